"""Probability calibration (Platt scaling of linear scores) and per-label thresholds."""

from __future__ import annotations

import numpy as np


def fit_platt(
    scores: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """(a, b) such that P(y=1 | s) = 1 / (1 + exp(a*s + b)), fitted by Newton's method.

    Uses Platt's smoothed targets, as scikit-learn's sigmoid calibration does, so a label that
    is always (or never) true in the data still gets finite parameters.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    n_pos = w[y == 1].sum()
    n_neg = w[y == 0].sum()
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 0.0, float(np.log((n_neg + 1) / (n_pos + 1)))
    for _ in range(100):
        z = np.clip(a * s + b, -30, 30)
        p = 1 / (1 + np.exp(z))
        # gradient and Hessian of the weighted cross-entropy with respect to (a, b)
        d = (t - p) * w
        g = np.array([(d * s).sum(), d.sum()])
        h = p * (1 - p) * w
        hess = np.array([[(h * s * s).sum(), (h * s).sum()], [(h * s).sum(), h.sum()]])
        hess += np.eye(2) * 1e-9
        step = np.linalg.solve(hess, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def apply_platt(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated probabilities for linear scores."""
    return 1 / (1 + np.exp(np.clip(a * np.asarray(scores) + b, -30, 30)))


def best_threshold(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The probability cut-off with the highest (weighted) F1; ties go to the higher cut-off."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    if not y.any():
        return 1.0
    order = np.argsort(-p, kind="stable")
    ps, ys, ws = p[order], y[order], w[order]
    tp = np.cumsum(ws * ys)
    fp = np.cumsum(ws * ~ys)
    total_pos = (ws * ys).sum()
    f1 = 2 * tp / (tp + fp + total_pos)
    # only cut between distinct probabilities
    last_of_run = np.r_[ps[1:] != ps[:-1], True]
    f1 = np.where(last_of_run, f1, -1)
    best = int(np.argmax(f1))
    # midpoint to the next lower probability keeps the cut-off stable
    nxt = ps[best + 1] if best + 1 < len(ps) else 0.0
    return float((ps[best] + nxt) / 2)
