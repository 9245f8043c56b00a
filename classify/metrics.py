"""Evaluation figures: precision, recall, F1, Brier score and expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def prf(y_true: Sequence[bool], y_pred: Sequence[bool]) -> dict[str, float | int]:
    """Precision, recall, F1 and support of one binary label."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    tp = int((t & p).sum())
    fp = int((~t & p).sum())
    fn = int((t & ~p).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": int(t.sum()),
        "predicted": int(p.sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def multilabel(Y: np.ndarray, P: np.ndarray, labels: Sequence[str]) -> dict:
    """Per-label figures plus micro- and macro-averaged F1 for 0/1 matrices (items x labels)."""
    Y = np.asarray(Y, dtype=bool)
    P = np.asarray(P, dtype=bool)
    per = {lab: prf(Y[:, j], P[:, j]) for j, lab in enumerate(labels)}
    micro = prf(Y.ravel(), P.ravel())
    return {
        "items": int(Y.shape[0]),
        "micro": {k: micro[k] for k in ("precision", "recall", "f1", "support", "predicted")},
        "macro_f1": round(float(np.mean([per[lab]["f1"] for lab in labels])), 4) if labels else 0.0,
        "per_label": per,
    }


def brier(y: Sequence[bool], p: Sequence[float]) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return round(float(np.mean((p - y) ** 2)), 4) if len(y) else 0.0


def ece(y: Sequence[bool], p: Sequence[float], bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if not len(y):
        return 0.0
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return round(float(total / len(y)), 4)


def f1_interval(
    y_true: Sequence[bool], y_pred: Sequence[bool], *, n: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% bootstrap interval of F1 (items resampled with replacement)."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(t), size=(n, len(t)))
    tt, pp = t[idx], p[idx]
    tp = (tt & pp).sum(1)
    denom = 2 * tp + (~tt & pp).sum(1) + (tt & ~pp).sum(1)
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    lo, hi = np.percentile(f1, [2.5, 97.5])
    return round(float(lo), 4), round(float(hi), 4)
