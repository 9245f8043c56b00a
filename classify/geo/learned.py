"""Learned country cues: a Complement Naive Bayes model over words and word
pairs, trained on CoronaNet's
human-labelled policy texts, that knows what the gazetteer cannot list — local place names,
officials, institutions, currencies ("Reutte", "Al Khalifa", "oblast", "DFAT").

It is stored as a term table (derived/learned_terms.tsv.gz: term, country, weight), so using it
needs no scikit-learn and no pickle. Train it (scikit-learn, train split only) with

    uv run python -m classify.geo.learned train [--policy-texts PATH] [--holdout F --out PATH]

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


def hash_fraction(text: str) -> float:
    """A stable number in [0, 1) per text, to hold texts out of training."""
    import hashlib

    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16) / 16**8


def features(text: str) -> list[str]:
    """Lower-case words and adjacent word pairs (the model's only input)."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class LearnedModel:
    """Country probabilities from the term table (weights parsed on first use of a term)."""

    def __init__(self, raw: dict[str, str]):
        self.raw = raw
        self.parsed: dict[str, tuple[tuple[str, float], ...]] = {}

    def _weights(self, term: str) -> tuple[tuple[str, float], ...]:
        got = self.parsed.get(term)
        if got is None:
            cell = self.raw.get(term)
            got = tuple((p[:3], float(p[4:])) for p in cell.split(" ")) if cell else ()
            self.parsed[term] = got
        return got

    def probabilities(self, text: str, temperature: float = 1.0) -> dict[str, float]:
        """Probability per country among those with evidence (softmax of summed weights /
        temperature, countries without evidence at 0), or {} with no known term."""
        logits: dict[str, float] = {}
        for f in set(features(text)):
            if f in self.raw:
                for iso3, w in self._weights(f):
                    logits[iso3] = logits.get(iso3, 0.0) + w
        if not logits:
            return {}
        top = max(logits.values())
        exp = {c: math.exp((v - top) / temperature) for c, v in logits.items()
               if (v - top) / temperature > -12}
        z = sum(exp.values()) + max(0, len(_CLASSES) - len(logits)) * math.exp(-top / temperature)
        return {c: e / z for c, e in exp.items()}


_CLASSES: set[str] = set()


@cache
def get_model(path: Path = TERMS) -> LearnedModel | None:
    """The learned model, or None when the term table has not been trained."""
    if not path.exists():
        return None
    raw: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                if line.startswith("# classes "):
                    _CLASSES.update(line.split()[2:])
                continue
            term, _, cell = line.rstrip("\n").partition("\t")
            raw[term] = cell
    return LearnedModel(raw)


def _training_rows(path: Path, split: str) -> list[tuple[str, str]]:
    import json

    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["split"] == split and len(r["country_iso3"]) == 3:
                rows.append((r["text"], r["country_iso3"]))
    return rows


def train(path: Path, out: Path = TERMS, min_df: int = 3, alpha: float = 0.3, keep: float = 0.5,
          holdout: float = 0.0) -> None:
    """Fit Complement Naive Bayes on the train split and write the term table.

    A feature's weight is stored relative to its median over countries (which leaves the
    ranking of countries unchanged), and only weights at least `keep` away from it are kept."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import ComplementNB

    from classify.gazetteer import get_gazetteer

    own = get_gazetteer().own_names
    patterns: dict[str, re.Pattern] = {}

    def strip(text: str, iso3: str) -> str:
        if iso3 not in patterns:
            alt = "|".join(re.escape(x) for x in sorted(own.get(iso3, ()), key=len, reverse=True))
            patterns[iso3] = re.compile(rf"(?<!\w)(?:{alt or '(?!x)x'})(?!\w)", re.IGNORECASE)
        return patterns[iso3].sub("", text)

    rows = _training_rows(path, "train")
    if holdout:  # for choosing scoring weights without the dev split
        rows = [r for r in rows if hash_fraction(r[0]) >= holdout]
    texts = [t for t, _ in rows] + [strip(t, c) for t, c in rows]
    labels = [c for _, c in rows] * 2
    vec = CountVectorizer(analyzer=features, binary=True, min_df=min_df, dtype=np.float32)
    x = vec.fit_transform(texts)
    clf = ComplementNB(alpha=alpha).fit(x, labels)
    w = clf.feature_log_prob_.astype(np.float32)
    w -= np.median(w, axis=0, keepdims=True)
    vocab = vec.get_feature_names_out()
    out.parent.mkdir(parents=True, exist_ok=True)
    classes = [str(c) for c in clf.classes_]
    cells: dict[int, list[str]] = {}
    rows_, cols = np.nonzero(np.abs(w) >= keep)
    for ci, j in zip(rows_, cols, strict=True):
        cells.setdefault(int(j), []).append(f"{classes[ci]}:{w[ci, j]:.2f}")
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"# learned country cues: ComplementNB alpha={alpha}, min_df={min_df}, "
                f"|w - median| >= {keep}; {len(rows)} CoronaNet train texts, each also "
                f"without its country's own names\n# classes {' '.join(classes)}\n")
        for j, cell in sorted(cells.items()):
            f.write(f"{vocab[j]}\t{' '.join(cell)}\n")
    n = sum(len(c) for c in cells.values())
    print(f"{x.shape[1]} features, {n} weights kept, written to {out}")


def main(argv: list[str]) -> None:
    """`train [--policy-texts PATH]`."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / "policy-texts" / \
        "coronanet_policies.jsonl.gz"
    if argv[:1] == ["train"]:
        path = Path(argv[argv.index("--policy-texts") + 1]) if "--policy-texts" in argv \
            else default
        holdout = float(argv[argv.index("--holdout") + 1]) if "--holdout" in argv else 0.0
        out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else TERMS
        train(path, out, holdout=holdout)
    else:
        print(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
