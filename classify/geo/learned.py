"""Learned country cues: a linear model over words and word pairs, trained on CoronaNet's
human-labelled policy texts, that knows what the gazetteer cannot list — local place names,
officials, institutions, currencies ("Reutte", "Al Khalifa", "oblast", "DFAT").

It is stored as a term table (derived/learned_terms.tsv.gz: term, country, weight), so using it
needs no scikit-learn and no pickle. Train it (scikit-learn, train split only) with

    uv run python -m classify.geo.learned train [--policy-texts PATH]

The model is trained on each text twice, as written and with the labelled country's own names
(names, demonyms, capitals) removed, so that it learns cues other than the names the gazetteer
already has.
"""

from __future__ import annotations

import gzip
import math
import re
import sys
from functools import cache
from pathlib import Path

from classify.geo.paths import DATA_DIR

TERMS = DATA_DIR / "derived" / "learned_terms.tsv.gz"
_WORD = re.compile(r"[^\W\d_]{2,}")
BIAS = "__bias__"


def features(text: str) -> list[str]:
    """Lower-case words and adjacent word pairs (the model's only input)."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class LearnedModel:
    """Country probabilities from the term table."""

    def __init__(self, weights: dict[str, list[tuple[str, float]]], bias: dict[str, float]):
        self.weights = weights
        self.bias = bias

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability per country (softmax over all countries), or {} with no known term."""
        logits = dict(self.bias)
        seen = False
        for f in set(features(text)):
            for iso3, w in self.weights.get(f, ()):
                logits[iso3] += w
                seen = True
        if not seen:
            return {}
        top = max(logits.values())
        exp = {c: math.exp(v - top) for c, v in logits.items() if v - top > -12}
        z = sum(exp.values())
        return {c: e / z for c, e in exp.items()}


@cache
def get_model() -> LearnedModel | None:
    """The learned model, or None when the term table has not been trained."""
    if not TERMS.exists():
        return None
    weights: dict[str, list[tuple[str, float]]] = {}
    bias: dict[str, float] = {}
    with gzip.open(TERMS, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            term, iso3, w = line.rstrip("\n").split("\t")
            if term == BIAS:
                bias[iso3] = float(w)
            else:
                weights.setdefault(term, []).append((iso3, float(w)))
    return LearnedModel(weights, bias)


def _training_rows(path: Path, split: str) -> list[tuple[str, str]]:
    import json

    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["split"] == split and len(r["country_iso3"]) == 3:
                rows.append((r["text"], r["country_iso3"]))
    return rows


def train(path: Path, min_df: int = 3, alpha: float = 2e-6, keep: float = 0.05) -> None:
    """Fit on the train split and write the term table (weights with |w| >= keep)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import SGDClassifier

    from classify.gazetteer import get_gazetteer

    own = get_gazetteer().own_names
    patterns: dict[str, re.Pattern] = {}

    def strip(text: str, iso3: str) -> str:
        if iso3 not in patterns:
            alt = "|".join(re.escape(x) for x in sorted(own.get(iso3, ()), key=len, reverse=True))
            patterns[iso3] = re.compile(rf"(?<!\w)(?:{alt or '(?!x)x'})(?!\w)", re.IGNORECASE)
        return patterns[iso3].sub("", text)

    rows = _training_rows(path, "train")
    texts = [t for t, _ in rows] + [strip(t, c) for t, c in rows]
    labels = [c for _, c in rows] * 2
    vec = CountVectorizer(analyzer=features, binary=True, min_df=min_df, dtype=np.float32)
    x = vec.fit_transform(texts)
    clf = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=15, tol=None, random_state=0,
                        n_jobs=2)
    clf.fit(x, labels)
    vocab = vec.get_feature_names_out()
    TERMS.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with gzip.open(TERMS, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"# learned country cues: SGD log-loss, alpha={alpha}, min_df={min_df}, "
                f"|w|>={keep}; {len(rows)} CoronaNet train texts, each also without own names\n")
        for c, b in zip(clf.classes_, clf.intercept_, strict=True):
            f.write(f"{BIAS}\t{c}\t{b:.3f}\n")
        for ci, c in enumerate(clf.classes_):
            w = clf.coef_[ci]
            for j in np.flatnonzero(np.abs(w) >= keep):
                f.write(f"{vocab[j]}\t{c}\t{w[j]:.3f}\n")
                n += 1
    print(f"{x.shape[1]} features, {n} weights kept, written to {TERMS}")


def main(argv: list[str]) -> None:
    """`train [--policy-texts PATH]`."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / "policy-texts" / \
        "coronanet_policies.jsonl.gz"
    if argv[:1] == ["train"]:
        path = Path(argv[argv.index("--policy-texts") + 1]) if "--policy-texts" in argv \
            else default
        train(path)
    else:
        print(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
