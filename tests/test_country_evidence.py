"""Explicit evidence against the learned models' guesses, and curated cues found missing in
error analysis (docs/countries.md, "Error analysis")."""

from classify.countries import CountryTagger, get_tagger


def test_source_country_named_in_the_text_beats_a_guess_from_the_words():
    # The words alone ("counties", "clinical officers", "roll-out") lean elsewhere; the source
    # is Kenyan and the text names a Kenyan body.
    text = ("More than a thousand nurses and clinical officers from private and faith-based "
            "facilities completed training on vaccination, the Ministry said, as the roll-out "
            "widens beyond public hospitals in all counties. The Kenya Medical Practitioners "
            "Council will award development points.")
    result = get_tagger().tag(text, source_country="KEN")
    assert result.primary_country == "KEN"


def test_source_counts_less_when_the_text_reports_on_others():
    text = ("Peru, Colombia and Chile each signed agreements with private clinics to rent "
            "intensive care beds. Colombia paid per bed-day, Chile set a tariff and Peru "
            "reserved beds in advance.")
    result = get_tagger().tag(text, source_country="PER")
    assert result.primary_country is None
    assert result.scope == "multi-country"


def test_a_guess_from_the_words_needs_more_when_the_text_speaks_of_many_countries():
    text = ("In many low- and middle-income countries, between a third and two thirds of "
            "outpatient care is delivered by private providers. Governments need to designate "
            "a focal point for the private sector and map private beds and laboratories.")
    result = get_tagger().tag(text)
    assert result.primary_country is None
    assert result.scope == "global"


def test_variant_names_are_not_places():
    result = get_tagger().tag("Of 412 samples sequenced, 73 per cent were identified as "
                              "Delta; patients infected with Delta had higher viral loads.")
    assert "NGA" not in {m.iso3 for m in result.mentions}
    assert get_tagger().tag("Delta State closed its borders.").primary_country == "NGA"


def test_french_seuls_is_not_seoul():
    result = get_tagger().tag("Seuls les laboratoires agréés peuvent réaliser le test.",
                              source_country="SEN")
    assert result.primary_country == "SEN"
    assert [m.kind for m in result.mentions] == ["source"]


def test_latin_america_in_a_url_is_not_the_united_states():
    result = get_tagger().tag("Los hospitales privados alquilan camas al Estado.",
                              url="https://example.org/salud/america-latina-alianzas-camas")
    assert "USA" not in {m.iso3 for m in result.mentions}


def test_currencies_regional_demonyms_and_bodies():
    tag = get_tagger().tag
    r = tag("Private hospitals will charge no more than 250 ringgit for a test.")
    assert r.primary_country == "MYS"
    assert [m.kind for m in r.mentions] == ["currency"]
    assert tag("A test now costs KES 2,500 in private laboratories.").primary_country == "KEN"
    assert tag("The Catalan government extended the closure of bars.").primary_country == "ESP"
    assert tag("The State Duma approved fines for breaking quarantine.").primary_country == "RUS"
    # codes are matched as written: "kes" is not a currency code
    assert not tag("the kes were closed").mentions


def test_the_country_that_acts_counts_more():
    result = get_tagger().tag("Andorra announces the closure of all schools.")
    assert result.primary_country == "AND"


def test_misspellings_abbreviations_and_regions_name_their_country():
    t = CountryTagger(learned_model=None, combiner=None)
    for text, iso3 in [("The Monoco Government prohibits gatherings.", "MCO"),
                       ("N. Korea begins enforcing price controls.", "PRK"),
                       ("B.C.'s Ministry of Tourism said the province moves to Phase 3.", "CAN"),
                       ("The regional state of Puntland restricted vehicles.", "SOM"),
                       ("Guyana announces its first case.", "GUY"),
                       ("The French government extended the curfew.", "FRA")]:
        assert t.tag(text).primary_country == iso3, text


def test_an_acronym_of_a_local_body_is_not_the_foreign_agency():
    t = CountryTagger(learned_model=None, combiner=None)
    # a city's CDC, and an acronym the text defines for its own body
    assert t.tag("On April 19, Beijing CDC advised home observation.").primary_country == "CHN"
    r = t.tag("In Guyana, the Civil Defence Commission (CDC) distributed hampers.")
    assert r.primary_country == "GUY" and "USA" not in r.scores
    r = t.tag("The Centers for Disease Control and Prevention (CDC) issued guidance.")
    assert r.primary_country == "USA"


def test_a_country_before_embassy_is_passing():
    result = get_tagger().tag("Masks are compulsory in shops, says the U.S. Embassy in Lima.")
    assert result.primary_country == "PER" and "USA" not in result.countries


def test_an_opening_list_of_countries_leaves_no_primary_unless_the_rest_is_clear():
    from classify.geo.scoring import Tally, decide

    tally = Tally()
    tally.add("AUT", 2.25)
    tally.add("SVN", 2.0)
    joint = frozenset({"AUT", "SVN"})
    assert decide(tally, False, {"AUT": 0.6, "SVN": 0.4}, joint).primary is None
    assert decide(tally, False, {"AUT": 0.95, "SVN": 0.05}, joint).primary == "AUT"
    # without the opening list the top country leads as usual
    assert decide(tally, False, {"AUT": 0.6, "SVN": 0.4}).primary == "AUT"


def test_a_weak_guess_from_the_words_does_not_beat_a_named_country():
    from classify.geo.scoring import Tally, decide

    tally = Tally()
    tally.add("PER", 1.2)
    assert decide(tally, False, {"TCD": 0.22, "GRC": 0.2, "PER": 0.05}).primary == "PER"
    assert decide(tally, False, {"TCD": 0.7, "PER": 0.2}).primary == "TCD"
