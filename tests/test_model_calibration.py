"""Platt calibration and the per-label threshold choice."""

from __future__ import annotations

import numpy as np

from classify.calibration import apply_platt, best_threshold, fit_platt
from classify.metrics import brier, ece, prf


def test_platt_recovers_a_known_sigmoid() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(0, 2, 20000)
    y = rng.random(20000) < 1 / (1 + np.exp(-(1.5 * s - 0.5)))
    a, b = fit_platt(s, y)
    assert abs(a + 1.5) < 0.1 and abs(b - 0.5) < 0.1
    p = apply_platt(s, a, b)
    assert ece(y, p) < 0.02
    assert brier(y, p) < brier(y, np.full_like(p, y.mean()))


def test_platt_is_finite_for_one_class() -> None:
    a, b = fit_platt(np.array([0.1, 0.5, 2.0]), np.array([0, 0, 0]))
    assert np.isfinite(a) and np.isfinite(b)
    assert apply_platt(np.array([0.0]), a, b)[0] < 0.5


def test_best_threshold_maximises_f1() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.3, 0.2, 0.1])
    t = best_threshold(y, p)
    assert 0.3 < t < 0.55
    assert prf(y, p >= t)["f1"] == max(prf(y, p >= c)["f1"] for c in p)


def test_best_threshold_without_positives_predicts_nothing() -> None:
    assert best_threshold(np.zeros(4), np.array([0.1, 0.9, 0.5, 0.2])) == 1.0
