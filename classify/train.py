"""Training: fit, calibrate and threshold the model; keep it only if it is not worse.

Each head is a logistic regression per label on the shared features. Scores for the labelled
examples come from 5-fold cross-fitting (every example scored by a model that did not see it);
Platt scaling fitted on those scores gives calibrated probabilities (what scikit-learn's
CalibratedClassifierCV(method="sigmoid", ensemble=False) does), and each label's threshold is
the one with the best F1 on them. The final weights are fitted on all training examples.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from classify.calibration import apply_platt, best_threshold, fit_platt
from classify.codebook import THEMES
from classify.datasets import SEED_DIR, Example, TrainingData, load_training_data
from classify.evaluate import evaluate_examples
from classify.features import Featurizer, load_cues
from classify.metrics import multilabel, prf
from classify.model import DEFAULT_MODEL, LABELS, Model, load_model, save_model
from classify.model_card import write_model_card

C_RELEVANCE = 32.0
C_THEMES = 8.0
FOLDS = 5
TOLERANCE = 0.005  # a new model may trail the old one by this much F1 (noise) and still replace it
EVAL_ROLES = ("curator", "hand", "theme-check", "financing-check", "weak-themes")  # out of fold
# The theme head's calibration and thresholds come from hand labels alone when there are enough
# (weak themes follow CoronaNet's categories, not CODEBOOK §2); the weak rows still train it.
THEME_HAND_ROLES = ("curator", "hand", "theme-check", "financing-check")
MIN_HAND_THEMES = 100


def _fit(
    X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, C: float, balanced: bool
) -> tuple[np.ndarray, float]:
    """(coef, intercept) of a weighted logistic regression; a constant model for one-class data."""
    if y.min() == y.max():
        prior = (y.mean() * len(y) + 0.5) / (len(y) + 1)
        return np.zeros(X.shape[1], dtype=np.float32), float(np.log(prior / (1 - prior)))
    clf = LogisticRegression(
        C=C, solver="liblinear", class_weight="balanced" if balanced else None, max_iter=500
    )
    clf.fit(X, y, sample_weight=w)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def _folds(y: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    """Test-index arrays of a (stratified when possible) K-fold split."""
    n_folds = max(2, min(n_folds, len(y)))
    counts = np.bincount(y.astype(int), minlength=2)
    if counts.min() >= n_folds:
        split = StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    else:
        split = KFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)))
    return [test for _, test in split]


def _head(
    X: sp.csr_matrix,
    Y: np.ndarray,
    w: np.ndarray,
    scored: np.ndarray,
    *,
    C: float,
    balanced: bool,
    seed: int,
) -> dict[str, Any]:
    """Out-of-fold scores of the `scored` rows, calibration, thresholds and final weights,
    one per column of Y."""
    idx = np.flatnonzero(scored)
    always = np.flatnonzero(~scored)  # weak negatives, lexicon terms: in every training fold
    # one split for all labels, stratified on the first label (or on "has any label")
    strat = Y[idx, 0] if Y.shape[1] == 1 else Y[idx].any(axis=1)
    oof = np.zeros((len(idx), Y.shape[1]))
    for test in _folds(strat, FOLDS, seed):
        train = np.r_[np.delete(idx, test), always]
        for j in range(Y.shape[1]):
            coef, b = _fit(X[train], Y[train, j], w[train], C, balanced)
            oof[test, j] = X[idx[test]] @ coef + b
    coefs, intercepts, platt, probs = [], [], [], np.zeros_like(oof)
    for j in range(Y.shape[1]):
        coef, b = _fit(X, Y[:, j], w, C, balanced)
        coefs.append(coef)
        intercepts.append(b)
        a, c = fit_platt(oof[:, j], Y[idx, j], w[idx])
        platt.append((a, c))
        probs[:, j] = apply_platt(oof[:, j], a, c)
    thresholds = [best_threshold(Y[idx, j], probs[:, j], w[idx]) for j in range(Y.shape[1])]
    return {
        "coef": np.column_stack(coefs),
        "intercept": np.array(intercepts),
        "platt": np.array(platt),
        "thresholds": thresholds,
        "oof_probs": probs,
        "oof_gold": Y[idx].astype(bool),
    }


def _design(featurizer: Featurizer, examples: list[Example]) -> sp.csr_matrix:
    return featurizer.transform([e.text for e in examples])


def fit_model(
    data: TrainingData, *, seed: int = 13, hash_bits: int = 18
) -> tuple[Model, dict[str, Any]]:
    """A model fitted on `data`, and its out-of-fold figures."""
    featurizer = Featurizer(load_cues(), word_bits=hash_bits, char_bits=hash_bits)
    featurizer.fit_idf(data.corpus, keep=data.keep_texts)

    rel = data.relevance
    Xr = _design(featurizer, rel)
    yr = np.array([[e.relevant] for e in rel], dtype=int)
    wr = np.array([e.weight for e in rel])
    scored_r = np.array([e.source in EVAL_ROLES for e in rel])
    head_r = _head(Xr, yr, wr, scored_r, C=C_RELEVANCE, balanced=True, seed=seed)

    th = data.themes
    Xt = _design(featurizer, th)
    Yt = np.array([[t in e.themes for t in THEMES] for e in th], dtype=int)
    wt = np.array([e.weight for e in th])
    scored_t = np.array([e.source in THEME_HAND_ROLES for e in th])
    if scored_t.sum() < MIN_HAND_THEMES:
        scored_t = np.array([e.source in EVAL_ROLES for e in th])
    head_t = _head(Xt, Yt, wt, scored_t, C=C_THEMES, balanced=False, seed=seed)

    # a relevant item describes at least one theme: keep the fallback only if it helps out of fold
    probs, gold = head_t["oof_probs"], head_t["oof_gold"]
    plain = probs >= np.array(head_t["thresholds"])
    forced = plain.copy()
    empty = ~forced.any(axis=1)
    forced[empty, probs[empty].argmax(axis=1)] = True
    f_plain = multilabel(gold, plain, THEMES)["micro"]["f1"]
    f_forced = multilabel(gold, forced, THEMES)["micro"]["f1"]
    min_themes = int(f_forced > f_plain)

    weights = np.column_stack([head_r["coef"], head_t["coef"]])
    intercept = np.r_[head_r["intercept"], head_t["intercept"]]
    platt = np.vstack([head_r["platt"], head_t["platt"]])
    thresholds = dict(zip(LABELS, [*head_r["thresholds"], *head_t["thresholds"]], strict=True))
    digest = hashlib.sha256(weights.astype(np.float16).tobytes() + intercept.tobytes()).hexdigest()[
        :8
    ]
    version = f"linear-{datetime.now(UTC):%Y%m%d}-{digest}"
    model = Model(
        featurizer, weights, intercept, platt, thresholds, version=version, min_themes=min_themes
    )
    # round-trip through the stored form, so every figure below is that of the saved model
    model = Model.from_state(model.to_state())

    rel_gold = head_r["oof_gold"][:, 0]
    rel_pred = head_r["oof_probs"][:, 0] >= thresholds["relevant"]
    oof = {
        "relevance": prf(rel_gold, rel_pred),
        "themes_micro_f1": max(f_plain, f_forced),
        "themes_micro_f1_without_fallback": f_plain,
    }
    return model, oof


def evaluate_model(model: Model, evaluation: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Figures of a model on the held-apart evaluation sets."""
    out: dict[str, Any] = {}
    if evaluation.get("relevance_dev"):
        r = evaluate_examples(evaluation["relevance_dev"], model)
        out["relevance_dev"] = r["relevance"]
        out["themes_dev_gold"] = r.get("themes_given_relevant")
        out["themes_end_to_end_dev"] = r.get("themes_end_to_end")
    if evaluation.get("clear_negatives_dev"):
        items = evaluation["clear_negatives_dev"]
        predicted = evaluate_examples(items, model)["relevance"]["predicted"]
        out["clear_negatives_dev"] = {
            "items": len(items),
            "predicted_relevant": predicted,
            "share": round(predicted / len(items), 4),
        }
    if evaluation.get("themes_dev_weak"):
        out["themes_dev_weak"] = evaluate_examples(evaluation["themes_dev_weak"], model)[
            "themes_given_relevant"
        ]
    for key in ("themes_dev_codebook", "themes_dev_codebook_first"):
        if evaluation.get(key):
            out[key] = evaluate_examples(evaluation[key], model)["themes_given_relevant"]
    if evaluation.get("financing_dev_checked"):
        items = evaluation["financing_dev_checked"]
        probs = model.probabilities([e["text"] for e in items])
        _, themes = model.decide(probs)
        j = THEMES.index("financing")
        out["financing_dev_checked"] = prf([e["financing"] for e in items], themes[:, j])
    if evaluation.get("curator_holdout"):
        out["curator_holdout"] = evaluate_examples(evaluation["curator_holdout"], model)
    return out


def comparison_figures(
    model: Model, evaluation: dict[str, list[dict[str, Any]]]
) -> dict[str, float | None]:
    """The two figures old and new models are compared on (held-apart sets only)."""
    held = evaluation.get("curator_holdout") or []
    rel_items = list(evaluation.get("relevance_dev") or []) + held
    # themes: codebook labels where the project has them (CODEBOOK §2), else CoronaNet's weak ones
    codebook = evaluation.get("themes_dev_codebook") or evaluation.get("themes_dev_weak") or []
    theme_items = list(codebook) + [e for e in held if e["relevant"] and e.get("themes")]
    rel = evaluate_examples(rel_items, model).get("relevance") if rel_items else None
    thm = (
        evaluate_examples(theme_items, model).get("themes_given_relevant") if theme_items else None
    )
    return {
        "relevance_f1": rel["f1"] if rel else None,
        "theme_micro_f1": thm["micro"]["f1"] if thm else None,
        "relevance_items": len(rel_items),
        "theme_items": len(theme_items),
    }


def _worse(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    reasons = []
    for key in ("relevance_f1", "theme_micro_f1"):
        if (
            old.get(key) is not None
            and new.get(key) is not None
            and new[key] < old[key] - TOLERANCE
        ):
            reasons.append(f"{key} {new[key]:.4f} < old {old[key]:.4f}")
    return reasons


def train(
    data_dir: Path,
    curator_examples: Iterable[dict] = (),
    out: Path | None = None,
    *,
    force: bool = False,
    seed: int = 13,
    labels_dir: Path = SEED_DIR,
    hash_bits: int = 18,
) -> dict:
    """Train on curator examples (first), hand labels and the policy texts under `data_dir`;
    save to `out` (default: the committed model) unless the model already there is better.

    `labels_dir` holds the seed labels and lexicons; `hash_bits` sizes the hashed n-gram blocks
    (2**hash_bits buckets each; smaller only for quick experiments and tests).
    """
    started = time.perf_counter()
    out = Path(out or DEFAULT_MODEL)
    data = load_training_data(Path(data_dir), curator_examples, labels_dir=labels_dir, seed=seed)
    model, oof = fit_model(data, seed=seed, hash_bits=hash_bits)
    metrics = evaluate_model(model, data.evaluation)
    new_cmp = comparison_figures(model, data.evaluation)

    old_cmp, old_version, reasons = None, None, []
    if out.exists():
        try:
            old = load_model(out)
        except (ValueError, KeyError, OSError) as exc:  # unreadable or outdated file: replace it
            old_version = f"unreadable ({exc})"
        else:
            old_version = old.version
            old_cmp = comparison_figures(old, data.evaluation)
            reasons = _worse(old_cmp, new_cmp)

    report: dict[str, Any] = {
        "version": model.version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "data": data.counts,
        "hyperparameters": {
            "C_relevance": C_RELEVANCE,
            "C_themes": C_THEMES,
            "folds": FOLDS,
            "seed": seed,
            "features": model.featurizer.params() | {"cues": "lexicons.yaml + feature_cues.yaml"},
        },
        "thresholds": {k: round(v, 4) for k, v in model.thresholds.items()},
        "min_themes": model.min_themes,
        "out_of_fold": oof,
        "metrics": metrics,
        "comparison": {
            "new": new_cmp,
            "old": old_cmp,
            "old_version": old_version,
            "worse": bool(reasons),
            "reasons": reasons,
            "tolerance": TOLERANCE,
        },
        "path": str(out),
        "replaced": False,
        "saved": False,
    }
    if reasons and not force:
        report["message"] = (
            f"kept {old_version}: the new model is worse ({'; '.join(reasons)}); "
            "use force to replace it"
        )
    else:
        model.info = {
            k: report[k] for k in ("trained_at", "data", "thresholds", "metrics", "out_of_fold")
        }
        save_model(model, out)
        report["saved"] = True
        report["replaced"] = old_version is not None
        report["model_bytes"] = out.stat().st_size
        report["seconds"] = round(time.perf_counter() - started, 1)
        report["model_card"] = str(write_model_card(report, out.parent / "MODEL_CARD.md"))
        report["message"] = f"saved {model.version} to {out}"
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
