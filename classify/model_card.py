"""The model card (MODEL_CARD.md) written next to a saved model: data, date, metrics, thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classify.codebook import THEMES
from classify.datasets import HAND_THEME_WEIGHT, THEME_CHECK_WEIGHT, WEAK_THEME_WEIGHT
from classify.features import WINDOW_CHARS

CITATION = (
    "Cheng, C., Barceló, J., Hartnett, A. S., Kubinec, R. & Messerschmidt, L. (2020). COVID-19 "
    "Government Response Event Dataset (CoronaNet v1.0). Nature Human Behaviour 4, 756–768. "
    "https://doi.org/10.1038/s41562-020-0909-7"
)
LIMITATIONS = [
    "All training texts are English summaries written by CoronaNet coders; other languages rely "
    "on character n-grams, accent folding and the en/fr/es/pt lexicons and cues. Long pages are "
    f"read up to the character cap; their themes are the mean over windows of about {WINDOW_CHARS} "
    "characters (the head learned from texts of that length).",
    'Weak themes code "what the government did" from CoronaNet categories, not the codebook: on '
    "300 dev records labelled blind under CODEBOOK §2 by three annotators they reach micro-F1 "
    "0.71, the annotators 0.93–0.97 against each other. The theme head learns from codebook "
    "labels only (the weak themes of a few hundred records aside), so its figure against the weak "
    "themes is lower than against the codebook labels, by design. Financing is thin: CoronaNet "
    "has no payment or price-cap category, and its vaccine-purchase code also tags deliveries.",
    "Probabilities are calibrated on hand-labelled data enriched with private-sector candidates "
    "(about 30% relevant); on a real feed with 1–3% relevant items the relevance probability "
    "overstates the chance and precision is lower than on the dev set.",
]


def _prf(m: dict[str, Any] | None) -> str:
    if not m:
        return "n/a"
    return (
        f"P {m['precision']:.3f} · R {m['recall']:.3f} · F1 {m['f1']:.3f} (support {m['support']})"
    )


def _theme_table(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return ["(no items)"]
    rows = ["| theme | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for t in THEMES:
        m = block["per_label"][t]
        rows.append(
            f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        )
    mi = block["micro"]
    rows.append(
        f"| **micro** | {mi['precision']:.3f} | {mi['recall']:.3f} | **{mi['f1']:.3f}** "
        f"| {mi['support']} |"
    )
    rows.append(f"| macro F1 | | | {block['macro_f1']:.3f} | |")
    return rows


def _method(report: dict[str, Any]) -> list[str]:
    hp = report["hyperparameters"]
    f = hp["features"]
    fallback = (
        "a relevant item always gets its most probable theme when none passes its threshold."
        if report["min_themes"]
        else "no theme is forced."
    )
    return [
        f"- Features: hashed word 1-2-grams (2^{f['word_bits']} buckets) and character 4-grams "
        f"(2^{f['char_bits']}) of the lowercased, accent-folded title + text (first "
        f"{f['max_chars']} characters), sublinear tf-idf, L2 per block; buckets seen in fewer "
        "than 2 training texts are dropped; plus counts of the seed-lexicon groups and feature "
        "cues (`classify/data/lexicons.yaml`, `classify/data/feature_cues.yaml`).",
        f"- One logistic regression per label (liblinear; C = {hp['C_relevance']} for relevance "
        f"with balanced classes, C = {hp['C_themes']} for themes).",
        f"- Calibration: Platt scaling on {hp['folds']}-fold out-of-fold scores (what "
        "CalibratedClassifierCV(method='sigmoid', ensemble=False) does); each threshold maximises "
        'F1 on those held-apart scores. The theme head answers "if relevant, which themes"; '
        + fallback,
        f"- Long texts: cut at paragraph breaks into windows of at least {WINDOW_CHARS} "
        "characters; their theme probabilities are the mean over the windows (relevance: the "
        "whole text).",
    ]


def _data(d: dict[str, Any]) -> list[str]:
    return [
        f"- Curator labels: {d['curator']['train']} in training (weight 3, first), "
        f"{d['curator']['held_apart']} held apart.",
        f"- Relevance head: {d['relevance_train']['total']} examples "
        f"{d['relevance_train']['by_source']}.",
        f"- Theme head: {d['theme_train']['total']} examples {d['theme_train']['by_source']}.",
        "- Sources: hand labels of CoronaNet policy texts in `classify/data/` (train split only; "
        "how each file was chosen and labelled is in `classify/data/README.md`): "
        "`relevance_labels.jsonl`, `relevance_labels_extra.jsonl` (relevant texts' themes: "
        f"weight {HAND_THEME_WEIGHT:g}), `theme_labels.jsonl` (weight {THEME_CHECK_WEIGHT:g}; "
        "every weak-themed train record, the majority of its annotators where it was re-read), "
        f"`financing_checks.jsonl`; CoronaNet `weak_themes` of the few weak-themed train records "
        f"left (weight {WEAK_THEME_WEIGHT:g}; theme calibration and thresholds come from the hand "
        "labels); texts with no theme and no private-sector "
        "flag as relevance negatives (weight 0.3); seed-lexicon terms (weight 0.1).",
        f"- Data: {CITATION}",
    ]


def _evaluation(report: dict[str, Any]) -> list[str]:
    m, d = report["metrics"], report["data"]
    rel = m.get("relevance_dev") or {}
    ci = rel.get("f1_95ci")
    neg = m.get("clear_negatives_dev") or {}
    e2e = ((m.get("themes_end_to_end_dev") or {}).get("micro") or {}).get("f1", 0)
    first = ((m.get("themes_dev_codebook_first") or {}).get("micro") or {}).get("f1")
    lines = [
        f"- **Themes vs codebook labels**: {d['eval'].get('themes_dev_codebook', 0)} dev records "
        "with a weak theme, drawn at random and labelled blind under CODEBOOK §2 "
        "(`theme_labels.jsonl`; each theme most of a record's annotators chose), theme head "
        "applied as if relevant:",
        "",
        *_theme_table(m.get("themes_dev_codebook")),
        "",
        *(
            [f"- Against the first annotator's labels alone: micro-F1 {first:.3f}."]
            if first is not None
            else []
        ),
        f"- **Relevance**, hand labels of the dev split ({rel.get('support', 0)} relevant of "
        f"{d['eval']['relevance_dev']}): {_prf(rel)}"
        + (f", F1 95% bootstrap interval {ci[0]:.3f}–{ci[1]:.3f}" if ci else "")
        + (f"; Brier {rel['brier']:.4f}, ECE {rel['ece']:.4f}." if rel else "."),
        f"- Relevance on {neg.get('items', 0)} dev texts with no theme and no private-sector flag "
        f"(near-certain negatives): {neg.get('predicted_relevant', 0)} predicted relevant "
        f"({100 * neg.get('share', 0):.2f}%).",
        f"- **Themes vs CoronaNet weak themes**: dev records with at least one weak theme "
        f"({d['eval']['themes_dev_weak']} items), theme head applied as if relevant:",
        "",
        *_theme_table(m.get("themes_dev_weak")),
        "",
        "- Themes vs the codebook themes of the hand-labelled relevant dev items:",
        "",
        *_theme_table(m.get("themes_dev_gold")),
        "",
        f"- Financing on {d['eval']['financing_dev_checked']} dev records (weak-themed or checked) "
        "with the label hand-checked for every weak positive and every disagreement an earlier "
        "model had (a new model's other disagreements count against it unchecked) "
        f"(`financing_checks.jsonl`): {_prf(m.get('financing_dev_checked'))}.",
        f"- End to end on the hand-labelled dev items (themes only for predicted-relevant items): "
        f"micro-F1 {e2e:.3f}.",
    ]
    cur = m.get("curator_holdout")
    if cur:
        lines.append(f"- Held-apart curator labels: relevance {_prf(cur.get('relevance'))}.")
    oof = report.get("out_of_fold") or {}
    if oof:
        lines.append(
            f"- Out of fold on training data: relevance {_prf(oof.get('relevance'))}; theme "
            f"micro-F1 {oof.get('themes_micro_f1', 0):.3f}."
        )
    return lines


def render(report: dict[str, Any]) -> str:
    """Markdown text of the card for a training report."""
    lines = [
        "# Model card: newsdesk relevance and theme classifier",
        "",
        f"- **Version**: `{report['version']}`, trained {report['trained_at']} in "
        f"{report.get('seconds', '?')} s; file `{Path(report['path']).name}` "
        f"({report.get('model_bytes', 0) / 1e6:.1f} MB, skops).",
        "- **Predicts** (CODEBOOK.md): `relevant` (§1) and, for relevant items only, the six "
        "engagement themes (§2), with calibrated probabilities.",
        "- **Reproduce**: `uv run newsdesk train` from the repository root, with the shared data "
        "in `../shared/data` (curator labels from the database come first; with none, it rebuilds "
        "this file: same weights, same version hash); `newsdesk evaluate FILE` on any labelled "
        "JSONL; `uv run python bench/classify_quality.py` for the figures below.",
        "",
        "## Method",
        "",
        *_method(report),
        "",
        "## Thresholds (calibrated probability)",
        "",
        "| label | threshold |",
        "|---|---|",
        *[f"| {k} | {v:.3f} |" for k, v in report["thresholds"].items()],
        "",
        "## Training data",
        "",
        *_data(report["data"]),
        "",
        "## Evaluation (held apart: dev split, never trained on)",
        "",
        *_evaluation(report),
        "",
        "## Limitations",
        "",
        *[f"- {text}" for text in LIMITATIONS],
        "",
    ]
    return "\n".join(lines)


def write_model_card(report: dict[str, Any], path: Path) -> Path:
    """Write the card for a training report."""
    path.write_text(render(report), encoding="utf-8")
    return path
