"""Features: accent folding, cue counting and the feature matrix."""

from __future__ import annotations

import numpy as np

from classify.features import CueCounter, Featurizer, document_text, fold, load_cues, windows


def test_fold_lowercases_and_strips_accents() -> None:
    assert (
        fold("Clínicas PRIVADAS, hôpitaux privés, São Paulo")
        == "clinicas privadas, hopitaux prives, sao paulo"
    )


def test_document_text_puts_the_title_first() -> None:
    assert (
        document_text({"title": " Beds ", "text": "Private hospitals"})
        == "Beds\n\nPrivate hospitals"
    )
    assert document_text({"text": "only text"}) == "only text"


def test_cues_count_whole_tokens_pairs_and_proximity() -> None:
    counter = CueCounter(
        {
            "actors": ["private hospital", "clinic"],
            "engagement": ["contract"],
            "marker": ["private"],
            "facility": ["hospitals"],
        },
        pairs=[["actors", "engagement"]],
        near=[["marker", "facility", 3]],
    )
    m = counter.transform(
        [
            fold("A contract with a private hospital and a clinic; clinics nearby."),
            fold("Private and public hospitals"),
            fold("nothing"),
        ]
    ).toarray()
    names = counter.names
    row = dict(zip(names, m[0], strict=True))
    assert row["cue:actors"] == np.float32(
        np.log1p(2)
    )  # "private hospital" and "clinic", not "clinics"
    assert row["cue:actors&engagement"] == 1.0
    assert dict(zip(names, m[1], strict=True))["cue:marker~facility"] == np.float32(np.log1p(1))
    assert not m[2].any()


def test_featurizer_rows_are_normalised_per_block() -> None:
    f = Featurizer(load_cues())
    f.fit_idf(
        ["private hospitals contract beds", "curfew extended", "private clinics test"], min_df=1
    )
    x = f.transform(["Private hospitals contract beds", "zzzz unseen"]).tocsr()
    assert x.shape == (2, f.n_features)
    word = x[:, : 2**f.word_bits].toarray()
    assert np.isclose(np.linalg.norm(word[0]), 1.0)
    assert not word[1].any()  # words never seen in training carry no weight


def test_committed_cues_separate_private_health_from_other_private_contexts() -> None:
    counter = CueCounter(**load_cues())
    m = counter.transform(
        [
            fold("Private clinics must report every case."),
            fold("Private gatherings and private schools stay closed."),
            fold("A relief package for the private sector and its workers."),
        ]
    ).toarray()
    rows = [dict(zip(counter.names, r, strict=True)) for r in m]
    assert rows[0]["cue:private_marker~health_facility"] > 0
    assert rows[0]["cue:private_marker~private_non_health"] == 0
    assert rows[1]["cue:private_marker~private_non_health"] > 0
    assert rows[1]["cue:private_marker~health_facility"] == 0
    assert rows[2]["cue:private_marker~economy"] > 0


def test_windows_join_paragraphs_up_to_the_size_and_never_cut_one() -> None:
    a, b, c = "a" * 150, "b" * 300, "c" * 500
    assert windows(f"{a}\n\n{b}\n{c}\nshort tail", size=400) == [
        f"{a}\n{b}",
        f"{c}\nshort tail",  # a last part under the size joins the one before
    ]
    assert windows(c + c, size=400) == [c + c]  # one paragraph stays whole
    assert windows(f"{a}\n{a}", size=400) == [f"{a}\n{a}"]  # too short for two parts
