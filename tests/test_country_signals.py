"""Evidence beyond the text: the source's country and the URL."""

from classify.countries import get_tagger


def test_source_country_when_the_text_names_none():
    result = get_tagger().tag("The Ministry announced that private clinics may reopen.",
                              source_country="PHL")
    assert result.primary_country == "PHL"
    assert result.countries == ["PHL"]
    assert [m.kind for m in result.mentions] == ["source"]


def test_text_about_another_country_beats_the_source():
    result = get_tagger().tag("Kenya's health ministry signed contracts with private "
                              "hospitals in Nairobi and Mombasa.", source_country="GBR")
    assert result.primary_country == "KEN"


def test_no_evidence_gives_no_country():
    result = get_tagger().tag("The ministry announced that private clinics may reopen.")
    assert result.primary_country is None
    assert result.countries == []


def test_country_code_domain():
    result = get_tagger().tag("Private laboratories may now test for COVID-19.",
                              url="https://www.health.gov.za/news/private-labs")
    assert result.primary_country == "ZAF"
    assert any(m.kind == "url" for m in result.mentions)


def test_generic_country_code_needs_a_government_label():
    tag = get_tagger().tag
    assert tag("Private labs may test.", url="https://www.minsalud.gov.co/x").primary_country \
        == "COL"
    assert tag("Private labs may test.", url="https://example.co/x").primary_country is None


def test_country_name_in_host_and_path():
    tag = get_tagger().tag
    assert tag("Private clinics join the response.", url="https://kenya.un.org/en/news"
               ).primary_country == "KEN"
    assert tag("The ministry extends the curfew.",
               url="https://example.org/news/uganda-extends-curfew-2020").primary_country == "UGA"


def test_us_government_domain():
    result = get_tagger().tag("Hospitals will be paid for treating uninsured patients.",
                              url="https://www.hhs.gov/about/news")
    assert result.primary_country == "USA"


def test_title_counts_more_than_the_body():
    result = get_tagger().tag("Officials met counterparts from Ghana to discuss supplies.",
                              title="Nigeria contracts private labs")
    assert result.primary_country == "NGA"
