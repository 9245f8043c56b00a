"""Ambiguous names are resolved from context or left out (CODEBOOK §3, ambiguity.yaml)."""

from classify.countries import get_tagger


def countries_named(text):
    return {m.iso3 for m in get_tagger().tag(text).mentions}


def test_person_named_jordan_is_not_a_country():
    assert countries_named("Michael Jordan donated masks to a hospital in Chicago.") == {"USA"}
    assert "JOR" not in countries_named("Health economist Jordan Peterson said prices rose.")
    assert "JOR" not in countries_named("Mr Jordan, the hospital's director, resigned.")


def test_jordan_the_country_is_kept():
    result = get_tagger().tag("Jordan has asked private hospitals in Amman to admit patients.")
    assert result.primary_country == "JOR"


def test_person_named_chad_is_not_a_country():
    assert "TCD" not in countries_named("Chad Smith, a spokesman for the clinic, said so.")
    assert get_tagger().tag("Chad closed its borders on Thursday.").primary_country == "TCD"


def test_georgia_the_us_state_with_us_context():
    result = get_tagger().tag("Georgia Governor Brian Kemp reopened clinics in Atlanta.")
    assert result.primary_country == "USA"
    assert "GEO" not in result.countries


def test_georgia_the_country_with_caucasus_context():
    result = get_tagger().tag("Georgia extended its state of emergency; Tbilisi hospitals "
                              "were told to prepare beds.")
    assert result.primary_country == "GEO"


def test_bare_congo_needs_context():
    assert countries_named("Congo received vaccines.") == set()
    assert countries_named("Congo received vaccines at Kinshasa airport.") == {"COD"}
    assert countries_named("Congo received vaccines in Brazzaville.") == {"COG"}


def test_the_two_congos_by_full_name():
    assert countries_named("the Democratic Republic of the Congo") == {"COD"}
    assert countries_named("the Republic of the Congo") == {"COG"}


def test_guinea_variants_take_the_longest_name():
    assert countries_named("Guinea-Bissau and Equatorial Guinea") == {"GNB", "GNQ"}
    assert countries_named("Papua New Guinea") == {"PNG"}
    assert countries_named("Guinea reopened its borders.") == {"GIN"}


def test_guinea_pig_is_not_guinea():
    assert countries_named("The trial used a guinea pig model.") == set()


def test_niger_and_nigeria_are_distinct():
    assert countries_named("Niger and Nigeria agreed on border checks.") == {"NER", "NGA"}
    assert countries_named("Nigeria's Niger State opened isolation centres.") == {"NGA"}


def test_dominica_and_dominican_republic():
    assert countries_named("Dominica closed its ports.") == {"DMA"}
    assert countries_named("The Dominican Republic hired private labs.") == {"DOM"}
    assert countries_named("Dominican authorities closed schools.") == {"DOM"}


def test_korea_defaults_to_south_unless_north_is_meant():
    assert countries_named("Korea expanded drive-through testing.") == {"KOR"}
    assert countries_named("North Korea sealed its border.") == {"PRK"}
    assert countries_named("Korea's leader in Pyongyang held a meeting.") == {"PRK"}


def test_sudan_and_south_sudan():
    assert countries_named("South Sudan and Sudan") == {"SSD", "SDN"}
    assert countries_named("Sudan hospitals in Juba are full.") == {"SSD"}


def test_us_pronoun_is_not_the_united_states():
    assert countries_named("Let us know whether the clinic is open.") == set()
    assert countries_named("The US will pay for tests.") == {"USA"}


def test_new_mexico_is_not_mexico():
    assert countries_named("New Mexico opened testing sites.") == {"USA"}
