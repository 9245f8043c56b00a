"""The gazetteer: derived file kept fresh, case rules, clashes between sources."""

from classify import gazetteer
from classify.gazetteer import EXACT, INITIAL_UPPER, case_rule, fingerprint, get_gazetteer
from classify.geo.morphology import canonical, inflect_demonym
from classify.geo.sources import CURATED, PLACE, Entry


def test_derived_gazetteer_is_fresh():
    # Fails after a change to the data or the build code: run `python -m classify.gazetteer write`.
    with __import__("gzip").open(gazetteer.DERIVED, "rt", encoding="utf-8") as f:
        assert f.readline().split()[-1] == fingerprint()


def test_acronyms_match_exactly_and_names_capitalised():
    assert case_rule("US") == EXACT
    assert case_rule("Turkey") == INITIAL_UPPER
    assert case_rule("ivoirien") == 0


def test_own_names_include_names_demonyms_and_capitals():
    own = get_gazetteer().own_names["KEN"]
    assert {"Kenya", "Kenyan", "Nairobi"} <= own


def test_spanish_and_portuguese_demonyms_are_inflected():
    assert set(inflect_demonym("es", "francés")) == {"francés", "francesa", "franceses",
                                                     "francesas"}
    assert "alemães" in inflect_demonym("pt", "alemão", ["alemã", "alemães"])


def test_arabic_spelling_variants_fold():
    assert canonical("الأردن") == canonical("الاردن")


def test_place_clash_goes_to_the_much_larger_place():
    gaz = gazetteer.build([Entry("Springfieldia", "USA", "city", "-", PLACE, 1_000_000),
                           Entry("Springfieldia", "CAN", "city", "-", PLACE, 50_000),
                           Entry("Twinton", "USA", "city", "-", PLACE, 100_000),
                           Entry("Twinton", "GBR", "city", "-", PLACE, 90_000)])
    assert gaz.lookup("Springfieldia").iso3 == "USA"
    assert gaz.lookup("Twinton") is None


def test_curated_phrase_blocks_the_name_inside():
    gaz = gazetteer.build([Entry("Latin America", "-", "name", "en", CURATED),
                           Entry("America", "USA", "name", "en", CURATED)])
    assert gaz.lookup("Latin America").iso3 == "-"
    assert gaz.lookup("America").iso3 == "USA"


def test_territories_keep_their_own_codes():
    gaz = get_gazetteer()
    assert gaz.lookup("Hong Kong").iso3 == "HKG"
    assert gaz.lookup("Taiwan").iso3 == "TWN"
    assert gaz.lookup("Puerto Rico").iso3 == "PRI"
    assert gaz.lookup("Palestine").iso3 == "PSE"
    assert gaz.lookup("Kosovo").iso3 == "XKX"


def test_a_name_shared_with_a_territory_goes_to_the_sovereign_state():
    # names.csv gives "French" to the French Southern Lands too, "Guyana" (in two languages)
    # to French Guiana; a tie between two sovereign states is still left out.
    gaz = get_gazetteer()
    for form, iso3 in [("French", "FRA"), ("Norwegian", "NOR"), ("American", "USA"),
                       ("Indians", "IND"), ("Guyana", "GUY"), ("Samoan", "WSM")]:
        assert gaz.lookup(form).iso3 == iso3, form
    assert gaz.lookup("Indian Ocean").iso3 == "-"
    built = gazetteer.build([Entry("Twinland", "COD", "name", "en", CURATED),
                             Entry("Twinland", "COG", "name", "en", CURATED)])
    assert built.lookup("Twinland") is None
