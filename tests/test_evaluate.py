"""`evaluate_file`: per-label figures and calibration on a labelled JSONL file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify.codebook import THEMES
from classify.evaluate import evaluate_file, format_report
from classify.model import load_model

ITEMS = [
    {
        "title": "Beds",
        "text": "The ministry signed agreements with 40 private hospitals to reserve 1,200 beds "
        "for COVID-19 patients.",
        "relevant": True,
        "themes": ["space"],
    },
    {
        "text": "Private insurers must cover the full cost of COVID-19 tests and treatment.",
        "relevant": True,
        "themes": ["financing"],
    },
    {
        "text": "The government extended the night curfew by two weeks.",
        "relevant": False,
        "themes": [],
    },
    {"text": "Schools will remain closed until further notice.", "relevant": False},
    {"text": "Public hospitals opened 300 new intensive care beds.", "themes": ["space"]},
]


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_evaluate_file_reports_relevance_and_themes(tmp_path: Path) -> None:
    report = evaluate_file(_write(tmp_path / "gold.jsonl", ITEMS))
    assert report["items"] == 5
    assert report["model_version"] == load_model().version
    rel = report["relevance"]
    assert rel["support"] == 2 and rel["tp"] + rel["fp"] == rel["predicted"]
    assert rel["precision"] == 1.0 and rel["recall"] == 1.0 and rel["f1"] == 1.0
    assert 0.0 <= rel["brier"] < 0.1 and 0.0 <= rel["ece"] <= 1.0
    given = report["themes_given_relevant"]
    assert given["items"] == 3  # two relevant items and one of unknown relevance with coded themes
    assert set(given["per_label"]) == set(THEMES)
    assert given["per_label"]["space"]["support"] == 2
    assert given["per_label"]["space"]["recall"] == 1.0
    end = report["themes_end_to_end"]
    assert end["items"] == 3 and end["micro"]["support"] == 2


def test_format_report_prints_every_label(tmp_path: Path) -> None:
    text = format_report(evaluate_file(_write(tmp_path / "gold.jsonl", ITEMS)))
    for label in ("relevant", *THEMES, "micro", "Brier", "ECE"):
        assert label in text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        (json.dumps({"relevant": True}), "non-empty `text`"),
        (json.dumps({"text": "x", "relevant": "yes"}), "`relevant` must be"),
        (json.dumps({"text": "x", "themes": ["beds"]}), "`themes` must be"),
        (json.dumps({"text": "x"}), "no label"),
    ],
)
def test_evaluate_file_rejects_bad_lines_with_their_number(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        evaluate_file(path)
    assert ":2:" in str(err.value)


def test_evaluate_file_rejects_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no labelled items"):
        evaluate_file(_write(tmp_path / "empty.jsonl", []))
