"""Relevance and theme figures of a model on the held-apart dev sets; prints JSON.

    uv run python bench/classify_quality.py [--model PATH] [--data DIR] [--export DIR]

The sets are those `newsdesk train` holds apart (classify/datasets.py): the dev split of the
hand relevance labels, 4,000 dev texts with no theme and no private-sector flag (near-certain
negatives), the dev records with CoronaNet weak themes, 300 of them labelled blind under
CODEBOOK §2 by three annotators each (`classify/data/theme_labels.jsonl`; the label is each
theme most of them chose, and `themes_dev_codebook_first` scores the first annotator's alone),
and the weak-themed records with the financing label hand-checked where
`classify/data/financing_checks.jsonl` has one. For the codebook-labelled sample it also prints
how well CoronaNet's weak themes agree with the codebook labels and the annotators with each
other: the ceiling the theme figures sit under.
`--export DIR` also writes them as JSONL files for `newsdesk evaluate FILE`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
EXPORT_FIELDS = ("id", "text", "relevant", "themes")


def label_agreement(evaluation: dict) -> dict:
    """Micro-F1 of the weak themes against the codebook labels, and of the dev annotators
    against each other (first vs second, first vs third, second vs third)."""
    import numpy as np

    from classify.codebook import THEMES
    from classify.datasets import SEED_DIR, load_theme_labels
    from classify.metrics import multilabel

    codebook = {e["id"]: e["themes"] for e in evaluation["themes_dev_codebook"]}
    by_role = {"first": {e["id"]: e["themes"] for e in evaluation["themes_dev_codebook_first"]}}
    for role in ("second", "third"):
        rows = load_theme_labels(SEED_DIR, role).values()
        by_role[role] = {r["id"]: r["themes"] for r in rows if r["id"] in codebook}
    # every codebook-labelled dev record carries a weak theme, so it is in themes_dev_weak
    weak = {e["id"]: e["themes"] for e in evaluation["themes_dev_weak"]}

    def micro(a: dict, b: dict) -> dict:
        ids = sorted(set(a) & set(b))
        y = np.array([[t in a[i] for t in THEMES] for i in ids])
        p = np.array([[t in b[i] for t in THEMES] for i in ids])
        m = multilabel(y, p, THEMES)
        return {
            "items": len(ids),
            "micro_f1": round(m["micro"]["f1"], 4),
            "per_theme_f1": {t: round(v["f1"], 3) for t, v in m["per_label"].items()},
        }

    pairs = (("first", "second"), ("first", "third"), ("second", "third"))
    return {
        "weak_vs_codebook": micro(codebook, weak),
        "annotators": {
            f"{a}_vs_{b}": micro(by_role[a], by_role[b]) for a, b in pairs if by_role[b]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--export", type=Path, default=None)
    args = parser.parse_args()

    from classify.datasets import load_training_data
    from classify.model import load_model
    from classify.train import evaluate_model

    model = load_model(args.model)
    data = load_training_data(args.data)
    metrics = evaluate_model(model, data.evaluation)
    rel, weak = metrics["relevance_dev"], metrics["themes_dev_weak"]
    out = {
        "model_version": model.version,
        "relevance_dev": {
            k: rel[k]
            for k in (
                "precision",
                "recall",
                "f1",
                "f1_95ci",
                "support",
                "predicted",
                "brier",
                "ece",
            )
        },
        "clear_negatives_dev": metrics["clear_negatives_dev"],
        "themes_dev_weak": {
            "items": weak["items"],
            "micro": weak["micro"],
            "macro_f1": weak["macro_f1"],
            "per_theme_f1": {t: m["f1"] for t, m in weak["per_label"].items()},
            "brier": weak["brier"],
            "ece": weak["ece"],
        },
        "themes_dev_gold": {
            "items": metrics["themes_dev_gold"]["items"],
            "micro": metrics["themes_dev_gold"]["micro"],
        },
        "themes_dev_codebook": {
            "items": metrics["themes_dev_codebook"]["items"],
            "micro": metrics["themes_dev_codebook"]["micro"],
            "macro_f1": metrics["themes_dev_codebook"]["macro_f1"],
            "per_theme_f1": {
                t: m["f1"] for t, m in metrics["themes_dev_codebook"]["per_label"].items()
            },
            **label_agreement(data.evaluation),
        },
        "themes_dev_codebook_first": {
            "items": metrics["themes_dev_codebook_first"]["items"],
            "micro": metrics["themes_dev_codebook_first"]["micro"],
        },
        "financing_dev_checked": metrics["financing_dev_checked"],
        "targets": {"relevance_f1": 0.85, "theme_micro_f1": 0.85},
    }
    if args.export:
        args.export.mkdir(parents=True, exist_ok=True)
        for name in (
            "relevance_dev",
            "themes_dev_weak",
            "themes_dev_codebook",
            "themes_dev_codebook_first",
            "clear_negatives_dev",
        ):
            with open(args.export / f"{name}.jsonl", "w", encoding="utf-8") as fh:
                for item in data.evaluation[name]:
                    fh.write(
                        json.dumps(
                            {k: item[k] for k in EXPORT_FIELDS if k in item}, ensure_ascii=False
                        )
                        + "\n"
                    )
        out["exported"] = str(args.export)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
