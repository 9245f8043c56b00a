"""Scope (national, multi-country, global) and passing mentions."""

from classify.countries import get_tagger


def test_national_item_with_passing_mentions():
    result = get_tagger().tag(
        "Kazakhstan will require private clinics to test travellers arriving from China, "
        "Iran and Italy.")
    assert result.primary_country == "KAZ"
    assert result.scope == "national"
    assert result.countries == ["KAZ"]
    assert {"CHN", "IRN", "ITA"} <= set(result.scores)


def test_donor_in_passing_is_not_substantially_discussed():
    result = get_tagger().tag(
        "The Malawian government opened a field hospital with equipment donated by Japan.")
    assert result.primary_country == "MWI"
    assert "JPN" not in result.countries


def test_multi_country_item():
    result = get_tagger().tag("Kenya and Uganda agreed to share private laboratory capacity.")
    assert result.primary_country is None
    assert result.scope == "multi-country"
    assert set(result.countries) == {"KEN", "UGA"}


def test_global_item():
    result = get_tagger().tag(
        "The World Health Organization urged governments worldwide to work with private "
        "providers, citing experience in India, Brazil, Nigeria, Indonesia and Mexico.")
    assert result.primary_country is None
    assert result.scope == "global"


def test_scores_are_shares():
    result = get_tagger().tag("Peru and Chile and Peru again.")
    assert all(0 <= s <= 1 for s in result.scores.values())
    assert abs(sum(result.scores.values()) - 1) < 0.01


def test_tag_many_matches_tag():
    tagger = get_tagger()
    docs = [{"text": "Ghana hires private labs."}, {"text": "Le Mali ouvre ses frontières.",
                                                    "language": "fr"}]
    assert [r.primary_country for r in tagger.tag_many(docs)] == ["GHA", "MLI"]
    assert tagger.tag_many(docs)[0] == tagger.tag(docs[0]["text"])
