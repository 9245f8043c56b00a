"""Text features: hashed word and character n-grams (tf-idf weighted) plus lexicon and cue counts.

Hashing keeps the committed model small (no vocabulary); the idf weights, stored only for the
hash buckets seen in training, also decide which buckets the model uses at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import yaml
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from classify.codebook import THEMES

LEXICONS = Path(__file__).parent / "data" / "lexicons.yaml"
CUES = Path(__file__).parent / "data" / "feature_cues.yaml"
TOKEN = re.compile(r"\w+")
# About the length of a policy text (median 370 characters), the length the theme head learns from.
WINDOW_CHARS = 400
PARAGRAPH = re.compile(r"\s*\n\s*")


def document_text(record: Mapping[str, Any]) -> str:
    """The text a model reads for a record: its title, a blank line, then its text."""
    title = (record.get("title") or "").strip()
    text = record.get("text") or ""
    return f"{title}\n\n{text}" if title else text


def windows(text: str, size: int = WINDOW_CHARS) -> list[str]:
    """`text` cut at paragraph breaks into parts of at least `size` characters each (a short
    last part joins the one before); a paragraph is never cut, so one paragraph is one part."""
    parts: list[str] = []
    current = ""
    for para in PARAGRAPH.split(text.strip()):
        current = f"{current}\n{para}" if current else para
        if len(current) >= size:
            parts.append(current)
            current = ""
    if current:
        if parts:
            parts[-1] = f"{parts[-1]}\n{current}"
        else:
            parts.append(current)
    return parts or [text]


def _fold_table() -> dict[int, str]:
    # Accents off, case down, in one str.translate: "Clínicas" and "clinicas" hash alike.
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char:
            table[code] = base.lower()
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lowercase and strip the accents of Latin letters (fast, table-driven)."""
    return text.lower().translate(_FOLD)


def load_cues(lexicons: Path = LEXICONS, cues: Path = CUES) -> dict[str, Any]:
    """Feature groups from the seed lexicons (`actors`, `engagement`, one per theme) and the
    relevance cues, with the group pairs and proximities that become features of their own."""
    data = yaml.safe_load(lexicons.read_text(encoding="utf-8"))
    groups = {"actors": data["relevance"]["actors"], "engagement": data["relevance"]["engagement"]}
    groups.update({theme: data["themes"][theme] for theme in THEMES})
    out = {
        name: _terms(t for terms in by_lang.values() for t in terms)
        for name, by_lang in groups.items()
    }
    pairs = [["actors", "engagement"]]
    near: list[list[Any]] = []
    if cues.exists():
        extra = yaml.safe_load(cues.read_text(encoding="utf-8"))
        out.update({name: _terms(terms) for name, terms in extra.get("groups", {}).items()})
        pairs += [list(p) for p in extra.get("pairs", [])]
        near += [list(n) for n in extra.get("near", [])]
    return {"groups": out, "pairs": pairs, "near": near}


def _terms(terms: Iterable[Any]) -> list[str]:
    return sorted({fold(str(t)).strip() for t in terms if str(t).strip()})


class CueCounter:
    """Whole-token matches per term group (log(1 + count)), pair flags and proximity counts."""

    def __init__(
        self, groups: dict[str, list[str]], pairs: list[list[str]], near: list[list[Any]]
    ) -> None:
        self.groups = groups
        self.pairs = [(a, b) for a, b in pairs]
        self.near = [(a, b, int(w)) for a, b, w in near]
        names = list(groups)
        self._gid = {g: i for i, g in enumerate(names)}
        self._starts: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for gid, terms in enumerate(groups.values()):
            for term in terms:
                tokens = tuple(TOKEN.findall(term))
                if tokens:
                    self._starts.setdefault(tokens[0], []).append((tokens, gid))

    @property
    def names(self) -> list[str]:
        """Column names of the matrix `transform` returns."""
        return (
            [f"cue:{g}" for g in self.groups]
            + [f"cue:{a}&{b}" for a, b in self.pairs]
            + [f"cue:{a}~{b}" for a, b, _ in self.near]
        )

    def transform(self, folded: list[str]) -> sp.csr_matrix:
        """The cue matrix for already folded texts."""
        n_groups = len(self.groups)
        pairs = [(self._gid[a], self._gid[b]) for a, b in self.pairs]
        near = [(self._gid[a], self._gid[b], w) for a, b, w in self.near]
        rows, cols, vals = [], [], []
        starts = self._starts
        for i, text in enumerate(folded):
            tokens = TOKEN.findall(text)
            hits: dict[int, list[int]] = {}
            for j, tok in enumerate(tokens):
                cands = starts.get(tok)
                if cands is None:
                    continue
                for term, gid in cands:
                    if len(term) == 1 or tuple(tokens[j : j + len(term)]) == term:
                        hits.setdefault(gid, []).append(j)
            for gid, pos in hits.items():
                rows.append(i)
                cols.append(gid)
                vals.append(np.log1p(len(pos)))
            col = n_groups
            for a, b in pairs:
                if a in hits and b in hits:
                    rows.append(i)
                    cols.append(col)
                    vals.append(1.0)
                col += 1
            for a, b, w in near:
                if a in hits and b in hits:
                    bs = hits[b]
                    n = sum(1 for p in hits[a] if any(abs(p - q) <= w for q in bs))
                    if n:
                        rows.append(i)
                        cols.append(col)
                        vals.append(np.log1p(n))
                col += 1
        return sp.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(folded), len(self.names))
        )


class Featurizer:
    """Texts to a sparse matrix: [word 1-2 grams | char 4-grams | cue groups].

    Each n-gram block is sublinear tf times idf, L2-normalised; buckets without an idf weight
    (too rare in training) are dropped.
    """

    def __init__(
        self,
        cues: dict[str, Any],
        *,
        word_bits: int = 18,
        char_bits: int = 18,
        max_chars: int = 6000,
        cue_scale: float = 0.5,
        idf: np.ndarray | None = None,
    ) -> None:
        self.cues = cues
        self.word_bits = word_bits
        self.char_bits = char_bits
        self.max_chars = max_chars
        self.cue_scale = cue_scale
        common = {"alternate_sign": False, "norm": None, "lowercase": False, "dtype": np.float32}
        self.word = HashingVectorizer(
            n_features=2**word_bits, ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common
        )
        self.char = HashingVectorizer(
            n_features=2**char_bits, analyzer="char_wb", ngram_range=(4, 4), **common
        )
        self.cue = CueCounter(cues["groups"], cues.get("pairs", []), cues.get("near", []))
        self.n_hashed = 2**word_bits + 2**char_bits
        self.idf = np.zeros(self.n_hashed, dtype=np.float32) if idf is None else idf

    @property
    def n_features(self) -> int:
        """Width of the matrix `transform` returns."""
        return self.n_hashed + len(self.cue.names)

    def _prepare(self, texts: Iterable[str]) -> list[str]:
        # Titles and leads carry the signal; the cap bounds the cost of very long pages.
        return [fold(t[: self.max_chars]) for t in texts]

    def counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Raw n-gram counts, for fitting the idf weights."""
        folded = self._prepare(texts)
        return sp.hstack([self.word.transform(folded), self.char.transform(folded)]).tocsr()

    def fit_idf(self, corpus: Iterable[str], *, min_df: int = 2, keep: Iterable[str] = ()) -> None:
        """Smoothed idf from `corpus`; buckets seen in fewer than `min_df` texts get weight 0,
        except those of the `keep` texts (lexicon terms, hand-labelled examples)."""
        counts = self.counts(corpus)
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_hashed)
        idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        mask = df >= min_df
        keep = list(keep)
        if keep:
            mask[np.unique(self.counts(keep).indices)] = True
        idf[~mask] = 0.0
        self.idf = idf

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """The feature matrix (float32 CSR), one row per text."""
        folded = self._prepare(texts)
        blocks = []
        offset = 0
        for vec in (self.word, self.char):
            m = vec.transform(folded)
            m.data = np.log1p(m.data) * self.idf[m.indices + offset]
            blocks.append(normalize(m, copy=False))
            offset += vec.n_features
        cue = self.cue.transform(folded)
        cue.data *= self.cue_scale
        blocks.append(cue)
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def params(self) -> dict[str, Any]:
        """Everything needed to rebuild this featurizer except the idf weights."""
        return {
            "word_bits": self.word_bits,
            "char_bits": self.char_bits,
            "max_chars": self.max_chars,
            "cue_scale": self.cue_scale,
            "cues": self.cues,
        }
