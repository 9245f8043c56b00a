"""The learned models (classify/geo/learned.py) and the combiner (classify/geo/combine.py)."""

import json
import zipfile

import numpy as np

from classify.countries import get_tagger
from classify.geo import combine, learned


def test_model_file_is_plain_arrays_and_small():
    assert learned.MODEL.stat().st_size < 5_000_000
    with zipfile.ZipFile(learned.MODEL) as z:
        assert all(n.endswith(".npy") for n in z.namelist())
    with np.load(learned.MODEL, allow_pickle=False) as z:  # raises on any pickled object
        arrays = {k: z[k] for k in z.files}
    assert all(a.dtype != object for a in arrays.values())
    model = learned.get_model()
    assert len(model.classes) > 150 and all(len(c) == 3 for c in model.classes)
    assert model.nb.shape == model.lr.shape == (len(model.vocab), len(model.classes))


def test_features_words_pairs_shapes_and_acronyms():
    f = learned.features("On 07.08.2020 the MoH and SAKTA extended it")
    assert {"the", "moh", "the moh", "#00.00.0000", "^MoH", "^SAKTA"} <= set(f)


def test_log_probs_are_normalised_and_rows_independent():
    model = learned.get_model()
    texts = ["The akimat of the oblast extended the quarantine regime.", "Schools reopen."]
    nb, lr, coverage, words = model.log_probs(texts)
    assert np.allclose(np.exp(nb).sum(axis=1), 1, atol=1e-4)
    assert np.allclose(np.exp(lr).sum(axis=1), 1, atol=1e-4)
    one = model.log_probs(texts[1:])
    assert np.array_equal(one[0][0], nb[1]) and np.array_equal(one[1][0], lr[1])
    assert list(words) == [9, 2]


def test_local_institutions_without_a_gazetteer_mention():
    tag = get_tagger().tag
    text = "The akimat of the oblast extended the quarantine regime for another two weeks."
    result = tag(text)
    assert not result.mentions
    assert result.primary_country == "KAZ"
    assert abs(sum(result.scores.values()) - 1) < 0.01


def test_countries_the_models_never_saw_keep_their_mentions():
    # CoronaNet has no rows for the USA, Germany or Russia; the gazetteer must still win.
    tag = get_tagger().tag
    assert "USA" not in learned.get_model().classes
    assert tag("The United States will pay hospitals for treating uninsured patients."
               ).primary_country == "USA"
    assert tag("Germany extended its lockdown and closed schools until the end of January."
               ).primary_country == "DEU"
    assert tag("Russia's health ministry registered a second vaccine and opened mass "
               "vaccination centres.").primary_country == "RUS"


def test_other_languages_are_left_to_the_gazetteer():
    tagger = get_tagger()
    assert tagger._learned(["Türkiye'de özel hastaneler pandemi hastanesi ilan edildi.",
                            "Правительство Казахстана ввело карантин в Алматы."]) == [None, None]
    assert tagger._learned(["The government extended the curfew for two weeks."])[0] is not None


def test_a_guess_from_a_few_words_is_not_made():
    result = get_tagger().tag("Private labs may test.")
    assert result.primary_country is None and result.countries == []


def test_combiner_weights_match_the_features():
    data = json.loads(combine.COMBINER.read_text(encoding="utf-8"))
    assert data["features"] == list(combine.FEATURES)
    assert combine.weights() is not None


def test_combiner_fit_learns_which_feature_marks_the_gold_candidate():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(200):
        x = rng.normal(size=(4, len(combine.FEATURES)))
        y = int(rng.integers(4))
        x[y, 3] += 2.0  # the gold candidate has more gazetteer evidence
        groups.append((x, y))
    w = combine.fit(groups)
    assert w[3] > 1
    assert combine.accuracy(groups, w) > 0.8


def test_probabilities_are_a_softmax_over_candidates():
    p = combine.probabilities(["KEN", "UGA"], np.array([[1.0], [0.0]]), np.array([1.0]))
    assert abs(sum(p.values()) - 1) < 1e-9 and p["KEN"] > p["UGA"]
    assert combine.probabilities([], np.zeros((0, 1)), np.array([1.0])) == {}


def test_swiss_canton_is_not_chinese_canton():
    result = get_tagger().tag("On May 1 the Canton Fribourg announced that secondary schools "
                              "will continue distance learning.")
    assert "CHN" not in {m.iso3 for m in result.mentions}
    assert result.primary_country == "CHE"
