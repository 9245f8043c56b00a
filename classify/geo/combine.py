"""Combine the gazetteer's weighed evidence with the learned models' probabilities into one
calibrated probability per candidate country (a conditional logit, fitted on held-out train
texts; weights in derived/learned_combiner.json).

Candidates are the countries with any gazetteer, URL or source evidence and each model's top
five. Each candidate is described by the features in FEATURES; its probability is the softmax
of their weighted sum over the candidates. A country the models do not know (USA, DEU and RUS
are not in CoronaNet's files) gets uniform model log-probabilities and the `unseen` flag; the
combiner learned how to weigh such candidates from countries held out of its models.
"""

from __future__ import annotations

import json
import math
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np

from classify.geo.paths import DATA_DIR

COMBINER = DATA_DIR / "derived" / "learned_combiner.json"
KINDS = ("name", "demonym", "capital", "city", "region", "agency", "currency")
FEATURES = ("nb", "lr", "unseen", "gaz", "firm", "share", "gaz_top", "lr_alone", "first",
            "passing_only") + tuple(f"n_{k}" for k in KINDS) + ("nb_top", "lr_top",
                                                                 "unnamed_vs_named", "nb_alone")
TOP = 5
LP_FLOOR = 15.0  # the models' log-probabilities are clipped here (NB's can reach -100)
L2 = 1e-3


@cache
def weights(path: Path = COMBINER) -> np.ndarray | None:
    """The fitted weights, in the order of FEATURES, or None when not fitted."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    w = dict(zip(data["features"], data["weights"], strict=True))
    return np.array([w.get(f, 0.0) for f in FEATURES])


def candidate_features(total: dict[str, float], firm: dict[str, float], hits: list,
                       lp: tuple | None, model) -> tuple[list[str], np.ndarray]:
    """Candidate countries and their feature rows. `hits` are the text's (then the title's)
    gazetteer hits in order; `lp` the two models' log-probabilities for this text and its
    number of words."""
    cands = {c for c, s in total.items() if s > 0}
    if lp is not None:
        for row in lp[:2]:
            cands.update(model.classes[j] for j in np.argpartition(-row, TOP)[:TOP])
    order = sorted(cands)
    gsum = sum(s for s in total.values() if s > 0)
    gmax = max(total.values(), default=0.0)
    first = hits[0].target.iso3 if hits else None
    kinds: dict[str, dict[str, int]] = {}
    for h in hits:
        k = kinds.setdefault(h.target.iso3, {})
        k[h.target.kind] = k.get(h.target.kind, 0) + 1
    uniform = -math.log(len(model.classes)) if model is not None else 0.0
    tops = [model.classes[int(np.argmax(row))] for row in lp[:2]] \
        if lp is not None and model is not None else [None, None]
    fmax = max(firm.values(), default=0.0)
    rows = []
    for c in order:
        j = model.index.get(c) if model is not None and lp is not None else None
        nb, lr = (max(float(lp[0][j]), -LP_FLOOR), max(float(lp[1][j]), -LP_FLOOR)) \
            if j is not None else (uniform, uniform)
        g, f = total.get(c, 0.0), firm.get(c, 0.0)
        kc = kinds.get(c, {})
        rows.append([nb, lr, float(j is None), math.log1p(g), math.log1p(f),
                     g / gsum if gsum else 0.0, float(g > 0 and g == gmax),
                     lr if gsum == 0 else 0.0, float(c == first), float(g > 0 and f == 0)]
                    + [math.log1p(kc.get(k, 0)) for k in KINDS]
                    + [float(c == tops[0]), float(c == tops[1]),
                       float(g == 0 and fmax >= 1.0), nb if gsum == 0 else 0.0])
    return order, np.array(rows, dtype=np.float64).reshape(len(order), len(FEATURES))


def probabilities(cands: list[str], x: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Softmax over the candidates."""
    if not cands:
        return {}
    s = x @ w
    e = np.exp(s - s.max())
    p = e / e.sum()
    return {c: float(v) for c, v in zip(cands, p, strict=True)}


def fit(groups: list[tuple[np.ndarray, int]], l2: float = L2) -> np.ndarray:
    """Conditional-logit weights maximising the probability of the gold candidate (groups
    whose gold country is no candidate are skipped)."""
    from scipy.optimize import minimize

    groups = [(x, y) for x, y in groups if y >= 0 and len(x)]
    x = np.vstack([g[0] for g in groups])
    sizes = np.array([len(g[0]) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    gold = starts + np.array([g[1] for g in groups])
    owner = np.repeat(np.arange(len(groups)), sizes)
    n = len(groups)

    def loss(w):
        s = x @ w
        s = s - np.maximum.reduceat(s, starts)[owner]
        e = np.exp(s)
        z = np.add.reduceat(e, starts)
        p = e / z[owner]
        value = -np.sum(s[gold] - np.log(z)) / n + l2 * w @ w
        grad = (x.T @ p - x[gold].sum(axis=0)) / n + 2 * l2 * w
        return value, grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def accuracy(groups: list[tuple[np.ndarray, int]], w: np.ndarray) -> float:
    """Share of groups whose top candidate is the gold one."""
    return float(np.mean([y >= 0 and int(np.argmax(x @ w)) == y for x, y in groups]))


def holdout_groups(model, rows: list[dict], remove) -> dict[str, list[tuple[np.ndarray, int]]]:
    """Feature groups of held-out texts, as written and with their country's own names removed,
    computed by the tagger's own code path."""
    from classify.countries import CountryTagger

    tagger = CountryTagger(learned_model=model, combiner=None)
    out = {}
    for cond in ("text", "own_names_removed"):
        texts = [r["text"] if cond == "text" else remove(r["text"], r["country_iso3"])
                 for r in rows]
        groups = []
        for r, (cands, x) in zip(rows, tagger.features_many(texts), strict=True):
            gold = r["country_iso3"]
            groups.append((x, cands.index(gold) if gold in cands else -1))
        out[cond] = groups
    return out


def fit_combiner(model, rows: list[dict], remove, path: Path = COMBINER) -> np.ndarray:
    """Fit the combiner on held-out rows and write it; prints two-fold accuracies."""
    from classify.geo.learned import hash_fraction

    t0 = time.perf_counter()
    data = holdout_groups(model, rows, remove)
    half = [hash_fraction(r["text"][::-1]) < 0.5 for r in rows]
    folds = {c: [] for c in data}
    for side in (True, False):
        w = fit([g for gs in data.values() for g, h in zip(gs, half, strict=True) if h == side])
        for c, gs in data.items():
            folds[c].append(accuracy([g for g, h in zip(gs, half, strict=True) if h != side], w))
    w = fit([g for gs in data.values() for g in gs])
    cv = {c: round(float(np.mean(v)), 4) for c, v in folds.items()}
    path.write_text(json.dumps({
        "info": f"conditional logit, L2 {L2}, fitted on {len(rows)} held-out CoronaNet train "
                "texts, each as written and with its own names removed; top-candidate accuracy "
                "in two-fold cross-validation on them",
        "cv_accuracy": cv,
        "features": list(FEATURES),
        "weights": [round(float(v), 5) for v in w],
    }, indent=1) + "\n", encoding="utf-8")
    weights.cache_clear()
    print(f"combiner: two-fold accuracy {cv} ({time.perf_counter() - t0:.0f}s) -> {path}",
          file=sys.stderr)
    return w
