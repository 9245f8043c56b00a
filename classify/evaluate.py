"""Evaluation of a model on labelled items: per-label precision, recall, F1 and calibration.

Input lines (JSONL) hold `text` (and optionally `title`), and the labels known for the item:
`relevant` (true/false) and/or `themes` (a list of CODEBOOK §2 theme ids; for a relevant item,
or for an item of unknown relevance whose themes were coded anyway).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from classify.codebook import THEMES
from classify.features import document_text
from classify.metrics import brier, ece, f1_interval, multilabel, prf
from classify.model import Model, load_model

BATCH = 2048


def _probabilities(model: Model, texts: list[str]) -> np.ndarray:
    parts = [model.probabilities(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts) if parts else np.zeros((0, 1 + len(THEMES)))


def _matrix(theme_lists: list[list[str]]) -> np.ndarray:
    return np.array([[t in themes for t in THEMES] for themes in theme_lists], dtype=bool).reshape(
        len(theme_lists), len(THEMES)
    )


def evaluate_examples(examples: list[dict[str, Any]], model: Model) -> dict[str, Any]:
    """Figures for items with `text`/`title` and any of `relevant` and `themes`."""
    texts = [document_text(e) for e in examples]
    probs = _probabilities(model, texts)
    rel_pred, theme_pred = (
        model.decide(probs) if len(texts) else (np.zeros(0, bool), np.zeros((0, 6), bool))
    )
    report: dict[str, Any] = {"items": len(examples), "model_version": model.version}

    has_rel = np.array([isinstance(e.get("relevant"), bool) for e in examples], dtype=bool)
    if has_rel.any():
        y = np.array([bool(e.get("relevant")) for e in examples])[has_rel]
        pred = rel_pred[has_rel]
        p = probs[has_rel, 0]
        block = prf(y, pred)
        block.update(
            {
                "f1_95ci": f1_interval(y, pred) if len(y) >= 20 else None,
                "brier": brier(y, p),
                "ece": ece(y, p),
                "threshold": round(model.thresholds["relevant"], 4),
            }
        )
        report["relevance"] = block

    # themes given relevance: gold relevant items, or items of unknown relevance with coded themes
    given = np.array(
        [e.get("themes") is not None and e.get("relevant") is not False for e in examples],
        dtype=bool,
    )
    if given.any():
        gold = _matrix([examples[i]["themes"] for i in np.flatnonzero(given)])
        block = multilabel(gold, theme_pred[given], THEMES)
        p = probs[given, 1:]
        block["brier"] = brier(gold.ravel(), p.ravel())
        block["ece"] = ece(gold.ravel(), p.ravel())
        for t in THEMES:
            block["per_label"][t]["threshold"] = round(model.thresholds[t], 4)
        report["themes_given_relevant"] = block

    both = np.array(
        [isinstance(e.get("relevant"), bool) and e.get("themes") is not None for e in examples],
        dtype=bool,
    )
    if both.any():
        idx = np.flatnonzero(both)
        gold = _matrix([examples[i]["themes"] if examples[i]["relevant"] else [] for i in idx])
        pred = theme_pred[idx] & rel_pred[idx, None]
        report["themes_end_to_end"] = multilabel(gold, pred, THEMES)
    return report


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Labelled items of a JSONL file, checked line by line."""
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(item, dict) or not document_text(item).strip():
                raise ValueError(f"{path}:{n}: needs a non-empty `text` (or `title`)")
            if "relevant" in item and not isinstance(item["relevant"], bool | None):
                raise ValueError(f"{path}:{n}: `relevant` must be true or false")
            themes = item.get("themes")
            if themes is not None:
                if not isinstance(themes, list) or set(themes) - set(THEMES):
                    raise ValueError(f"{path}:{n}: `themes` must be a list of {', '.join(THEMES)}")
            if item.get("relevant") is None and themes is None:
                raise ValueError(f"{path}:{n}: no label (`relevant` or `themes`)")
            items.append(item)
    if not items:
        raise ValueError(f"{path}: no labelled items")
    return items


def evaluate_file(path: Path, model: Model | None = None) -> dict[str, Any]:
    """Per-label precision, recall, F1, support and calibration (Brier, ECE) of a labelled JSONL."""
    model = model or load_model()
    report = evaluate_examples(read_labelled(Path(path)), model)
    report["file"] = str(path)
    return report


def _row(name: str, m: dict[str, Any], extra: str = "") -> str:
    return (
        f"  {name:<12} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f} "
        f"{m['support']:>8d}{extra}"
    )


def format_report(report: dict[str, Any]) -> str:
    """The report as plain text for a terminal."""
    head = "  label        precision  recall      F1  support"
    lines = [
        f"model {report.get('model_version', '?')} on {report.get('file', 'examples')}: "
        f"{report['items']} items"
    ]
    rel = report.get("relevance")
    if rel:
        ci = (
            f"  (F1 95% CI {rel['f1_95ci'][0]:.3f}-{rel['f1_95ci'][1]:.3f})"
            if rel.get("f1_95ci")
            else ""
        )
        lines += [
            "",
            "relevance",
            head,
            _row("relevant", rel, f"  threshold {rel['threshold']:.3f}") + ci,
            f"  calibration: Brier {rel['brier']:.4f}, ECE {rel['ece']:.4f}",
        ]
    for key, title in (
        ("themes_given_relevant", "themes (items known or assumed relevant)"),
        ("themes_end_to_end", "themes end to end (predicted only for predicted-relevant items)"),
    ):
        block = report.get(key)
        if not block:
            continue
        lines += ["", f"{title}: {block['items']} items", head]
        for t in THEMES:
            m = block["per_label"][t]
            thr = f"  threshold {m['threshold']:.3f}" if "threshold" in m else ""
            lines.append(_row(t, m, thr))
        lines.append(_row("micro", block["micro"]))
        lines.append(f"  macro F1 {block['macro_f1']:.3f}")
        if "brier" in block:
            lines.append(f"  calibration: Brier {block['brier']:.4f}, ECE {block['ece']:.4f}")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m classify.evaluate FILE [MODEL]`
    import sys

    chosen = load_model(Path(sys.argv[2])) if len(sys.argv) > 2 else None
    print(format_report(evaluate_file(Path(sys.argv[1]), chosen)))
