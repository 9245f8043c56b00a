"""Training on a tiny synthetic corpus: skops round trip, curator first, refusing a worse model."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from classify.codebook import THEMES
from classify.datasets import is_holdout, load_training_data, majority_themes
from classify.model import load_model, save_model
from classify.train import train

BITS = 12  # small hash blocks keep these fits fast

PRIVATE = {
    "plan": "a joint task force with the private hospital association was set up",
    "space": "private hospitals must reserve intensive care beds and hotels isolate patients",
    "staff": "private doctors were trained and redeployed to support the response",
    "stuff": "masks and ventilators were purchased from private manufacturers",
    "systems": "private laboratories must report every test result to the surveillance system",
    "financing": "the price of tests in private clinics was capped and insurers reimburse care",
}
PUBLIC = {
    "plan": "a new national crisis committee was created in the ministry",
    "space": "public hospitals opened new intensive care beds",
    "staff": "public nurses received a bonus and retired doctors were recalled",
    "stuff": "the government distributed masks to public hospitals",
    "systems": "the health ministry launched a contact tracing application",
    "financing": "the public health insurance now covers the vaccination",
}
OTHER = [
    "the night curfew was extended by two weeks",
    "schools remain closed until further notice",
    "gatherings are limited to ten people",
    "borders are closed to all travellers",
    "restaurants may open their terraces",
]


def _records(n: int = 420, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.choice(["private", "public", "other", "other"])
        themes = (
            sorted(rng.sample(THEMES, rng.choice([1, 1, 2])), key=THEMES.index)
            if kind != "other"
            else []
        )
        bank = PRIVATE if kind == "private" else PUBLIC
        parts = [bank[t] for t in themes] or [rng.choice(OTHER)]
        text = (
            f"On {rng.randint(1, 28)} March the government of country {i % 17} announced that "
            + " and ".join(parts)
            + "."
        )
        out.append(
            {
                "id": f"coronanet:R_{i:04d}",
                "text": text,
                "split": "dev" if i % 5 == 0 else "train",
                "weak_themes": themes,
                "text_mentions_private_health": kind == "private",
                "private_actor_category": False,
            }
        )
    return out


def _write_data(
    root: Path, records: list[dict], *, flip_train_labels: bool = False
) -> tuple[Path, Path]:
    data_dir = root / "data"
    (data_dir / "policy-texts").mkdir(parents=True)
    with gzip.open(
        data_dir / "policy-texts" / "coronanet_policies.jsonl.gz", "wt", encoding="utf-8"
    ) as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    labels = root / "labels"
    labels.mkdir()
    with open(labels / "relevance_labels.jsonl", "w", encoding="utf-8") as fh:
        for r in records[:260]:
            relevant = r["text_mentions_private_health"]
            if flip_train_labels and r["split"] == "train":
                relevant = not relevant
            fh.write(
                json.dumps(
                    {
                        "id": r["id"],
                        "split": r["split"],
                        "relevant": relevant,
                        "themes": r["weak_themes"] if relevant else [],
                        "annotator": "test",
                        "note": "",
                    }
                )
                + "\n"
            )
    return data_dir, labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("train")
    data_dir, labels = _write_data(root, _records())
    out = root / "models" / "model.skops"
    report = train(data_dir, out=out, labels_dir=labels, hash_bits=BITS)
    return {"root": root, "data_dir": data_dir, "labels": labels, "out": out, "report": report}


def test_train_saves_a_model_that_round_trips_through_skops(trained: dict) -> None:
    out = trained["out"]
    assert trained["report"]["saved"] and out.exists()
    assert sio.get_untrusted_types(file=out) == []
    model = load_model(out)
    assert model.version == trained["report"]["version"]
    texts = [PRIVATE["space"], OTHER[0], PUBLIC["stuff"]]
    first = model.probabilities(texts)
    again = trained["root"] / "again.skops"
    save_model(model, again)
    assert np.allclose(load_model(again).probabilities(texts), first, atol=1e-3)


def test_trained_model_learns_relevance_and_themes(trained: dict) -> None:
    model = load_model(trained["out"])
    relevant, curfew = model.predict(
        [
            "The ministry said " + PRIVATE["space"] + ".",
            "The ministry said " + OTHER[0] + ".",
        ]
    )
    assert relevant.relevant and "space" in relevant.themes
    assert not curfew.relevant and curfew.themes == []
    assert trained["report"]["metrics"]["relevance_dev"]["f1"] > 0.9


def test_train_writes_the_model_card(trained: dict) -> None:
    card = (trained["out"].parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    report = trained["report"]
    assert report["version"] in card
    assert "| relevant |" in card and "Themes vs CoronaNet weak themes" in card


def test_train_refuses_a_worse_model_unless_forced(trained: dict, tmp_path: Path) -> None:
    out = tmp_path / "model.skops"
    good = train(trained["data_dir"], out=out, labels_dir=trained["labels"], hash_bits=BITS)
    assert good["saved"] and not good["replaced"]
    before = out.read_bytes()

    data_dir, bad_labels = _write_data(tmp_path / "bad", _records(), flip_train_labels=True)
    worse = train(data_dir, out=out, labels_dir=bad_labels, hash_bits=BITS)
    assert worse["comparison"]["worse"]
    assert not worse["saved"] and not worse["replaced"]
    assert out.read_bytes() == before
    assert load_model(out).version == good["version"]

    forced = train(data_dir, out=out, labels_dir=bad_labels, force=True, hash_bits=BITS)
    assert forced["saved"] and forced["replaced"]
    assert load_model(out).version == forced["version"] != good["version"]


def test_curator_labels_come_first_and_replace_seed_labels(trained: dict) -> None:
    records = _records()
    seed_train = next(
        r for r in records[:260] if r["split"] == "train" and r["text_mentions_private_health"]
    )
    curator = [
        {"id": "article:1", "text": seed_train["text"], "relevant": False, "themes": []},
        *[
            {
                "id": f"article:{i}",
                "text": f"Private clinic {i} was contracted for beds.",
                "relevant": True,
                "themes": ["space"],
            }
            for i in range(2, 40)
        ],
    ]
    data = load_training_data(trained["data_dir"], curator, labels_dir=trained["labels"])
    same_text = [e for e in data.relevance if e.text == seed_train["text"]]
    held = {c["id"] for c in curator if is_holdout(c["id"])}
    if "article:1" in held:
        assert same_text == []
    else:
        assert [(e.source, e.relevant) for e in same_text] == [("curator", False)]
    assert held and {e["id"] for e in data.evaluation["curator_holdout"]} == held
    assert not held & {e.id for e in data.relevance}
    curator_weights = {e.weight for e in data.relevance if e.source == "curator"}
    assert curator_weights and min(curator_weights) > max(
        e.weight for e in data.relevance if e.source != "curator"
    )


def test_curator_examples_are_validated(trained: dict) -> None:
    with pytest.raises(ValueError, match="relevant"):
        load_training_data(
            trained["data_dir"],
            [{"id": "a", "text": "x", "relevant": "yes"}],
            labels_dir=trained["labels"],
        )
    with pytest.raises(ValueError, match="unknown themes"):
        load_training_data(
            trained["data_dir"],
            [{"id": "a", "text": "x", "relevant": True, "themes": ["beds"]}],
            labels_dir=trained["labels"],
        )


def test_codebook_theme_labels_replace_weak_themes_and_dev_ones_are_held_apart(
    trained: dict, tmp_path: Path
) -> None:
    records = _records()
    themed = [r for r in records[260:] if r["weak_themes"]]
    dev = next(r for r in themed if r["split"] == "dev")
    train_rec, reread = [r for r in themed if r["split"] == "train"][:2]
    labels = tmp_path / "labels"
    labels.mkdir()
    relevance = "relevance_labels.jsonl"
    (labels / relevance).write_bytes((trained["labels"] / relevance).read_bytes())
    rows = [
        {"id": dev["id"], "split": "dev", "themes": ["plan"], "role": "primary"},
        {"id": dev["id"], "split": "dev", "themes": ["space"], "role": "second"},
        {"id": dev["id"], "split": "dev", "themes": ["space", "staff"], "role": "third"},
        {"id": train_rec["id"], "split": "train", "themes": [], "role": "primary"},
        # a train record read three times: each theme that two of the three chose
        {"id": reread["id"], "split": "train", "themes": ["plan", "staff"], "role": "primary"},
        {"id": reread["id"], "split": "train", "themes": ["staff", "stuff"], "role": "second"},
        {"id": reread["id"], "split": "train", "themes": ["plan", "stuff"], "role": "third"},
    ]
    (labels / "theme_labels.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    data = load_training_data(trained["data_dir"], labels_dir=labels)
    # dev: each theme most annotators chose; the first annotator's label is kept beside it
    assert data.evaluation["themes_dev_codebook"] == [
        {"id": dev["id"], "text": dev["text"], "themes": ["space"]}
    ]
    assert data.evaluation["themes_dev_codebook_first"] == [
        {"id": dev["id"], "text": dev["text"], "themes": ["plan"]}
    ]
    assert dev["id"] not in {e.id for e in data.themes}
    same = [(e.source, e.themes) for e in data.themes if e.id == train_rec["id"]]
    assert same == [("theme-check", ())]
    voted = [(e.source, e.themes) for e in data.themes if e.id == reread["id"]]
    assert voted == [("theme-check", ("plan", "staff", "stuff"))]


def test_majority_themes_breaks_a_tie_with_the_primary_annotator() -> None:
    primary = {"role": "primary", "themes": ["plan", "systems"]}
    second = {"role": "second", "themes": ["systems", "stuff"]}
    assert majority_themes([primary, second]) == ("plan", "systems")
    assert majority_themes([second, primary]) == ("plan", "systems")
    assert majority_themes([primary]) == ("plan", "systems")
    third = {"role": "third", "themes": ["stuff"]}
    assert majority_themes([primary, second, third]) == ("stuff", "systems")
