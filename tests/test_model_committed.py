"""The committed relevance/theme model: it loads safely, predicts in shape, follows the codebook."""

from __future__ import annotations

import numpy as np
import skops.io as sio

from classify.codebook import THEMES
from classify.features import windows
from classify.model import DEFAULT_MODEL, LABELS, Model, Prediction, load_model

# CODEBOOK §1 examples, quoted
CODEBOOK_YES = [
    "The ministry signed agreements with 40 private hospitals to reserve 1,200 beds for "
    "COVID-19 patients.",
    "Les laboratoires privés agréés pourront réaliser les tests RT-PCR au tarif plafonné de "
    "25 000 FCFA.",
    "Las clínicas privadas deberán notificar diariamente los casos sospechosos al sistema de "
    "vigilancia.",
]
CODEBOOK_NO = [
    "The government extended the night curfew by two weeks.",
    "« Le nombre de cas confirmés atteint 3 000. »",
]


def test_committed_model_file_holds_only_trusted_types() -> None:
    assert DEFAULT_MODEL.exists()
    assert sio.get_untrusted_types(file=DEFAULT_MODEL) == []


def test_committed_model_is_small() -> None:
    assert DEFAULT_MODEL.stat().st_size < 4_000_000


def test_committed_model_loads_once_with_a_version() -> None:
    model = load_model()
    assert isinstance(model, Model)
    assert model.version.startswith("linear-")
    assert load_model() is model


def test_thresholds_are_probabilities_for_every_label() -> None:
    model = load_model()
    assert set(model.thresholds) == set(LABELS)
    assert all(0.0 < t < 1.0 for t in model.thresholds.values())


def test_predict_returns_one_prediction_per_text_with_all_theme_scores() -> None:
    texts = CODEBOOK_YES + CODEBOOK_NO + ["", "x" * 20000]
    preds = load_model().predict(texts)
    assert len(preds) == len(texts)
    for p in preds:
        assert isinstance(p, Prediction)
        assert 0.0 <= p.relevance_score <= 1.0
        assert list(p.theme_scores) == list(THEMES)
        assert all(0.0 <= s <= 1.0 for s in p.theme_scores.values())
        assert set(p.themes) <= set(THEMES)


def test_predict_of_nothing_is_nothing() -> None:
    assert load_model().predict([]) == []


def test_relevance_follows_the_thresholds() -> None:
    model = load_model()
    for p in model.predict(CODEBOOK_YES + CODEBOOK_NO):
        assert p.relevant == (p.relevance_score >= round(model.thresholds["relevant"], 4) - 1e-4)


def test_non_relevant_texts_get_no_theme() -> None:
    for p in load_model().predict(
        CODEBOOK_NO + ["Schools will remain closed until further notice."]
    ):
        assert not p.relevant
        assert p.themes == []


def test_relevant_texts_get_at_least_one_theme() -> None:
    model = load_model()
    for p in model.predict(CODEBOOK_YES):
        assert p.relevant
        assert p.themes
        if model.min_themes == 0:  # without the fallback, every theme passes its own threshold
            assert all(p.theme_scores[t] >= model.thresholds[t] - 1e-4 for t in p.themes)


def test_codebook_examples_in_three_languages() -> None:
    yes = load_model().predict(CODEBOOK_YES)
    no = load_model().predict(CODEBOOK_NO)
    assert [p.relevant for p in yes] == [True, True, True]
    assert [p.relevant for p in no] == [False, False]
    assert "space" in yes[0].themes  # beds reserved in private hospitals


def test_batches_and_single_texts_agree() -> None:
    model = load_model()
    batch = model.predict(CODEBOOK_YES + CODEBOOK_NO)
    singles = [model.predict([t])[0] for t in CODEBOOK_YES + CODEBOOK_NO]
    assert batch == singles


def test_a_long_text_gets_the_mean_theme_probabilities_of_its_windows() -> None:
    model = load_model()
    parts = [
        "The ministry signed agreements with 40 private hospitals to reserve 1,200 intensive "
        "care beds for COVID-19 patients, and the hospitals will receive a fixed daily rate "
        "for each patient. " * 3,
        "Private laboratories must report every positive test result to the national "
        "surveillance system within 24 hours, through the new electronic platform. " * 3,
        "Pharmacies will sell surgical masks at a capped price, and the government will "
        "import ten million masks from local manufacturers next month. " * 3,
    ]
    parts = [p.strip() for p in parts]
    text = "\n\n".join(parts)
    assert windows(text) == parts
    whole = model.probabilities([text])[0]
    alone = model.probabilities(parts)
    assert np.allclose(whole[1:], alone[:, 1:].mean(axis=0), atol=1e-6)
    # relevance is scored on the whole text, and a short text is scored as it is
    assert np.isclose(whole[0], model._calibrated([text])[0, 0])
    assert np.allclose(alone, model._calibrated(parts))
