"""Find gazetteer forms in a text: spaCy's blank multilingual tokenizer, then longest-match
lookup of canonical token n-grams (spaced scripts) or character n-grams (Chinese, Japanese,
Thai and other scripts written without spaces).

The n-gram index does what spaCy's PhraseMatcher does (exact token-sequence matching, longest
span kept) without building a spaCy Doc per pattern: for ~85,000 forms that build took ~6 s,
the index takes none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from spacy.tokens import Doc

from classify.gazetteer import _UNSPACED, EXACT, INITIAL_UPPER, Gazetteer, Target
from classify.geo.morphology import make_resolver

_UNSPACED_RUN = re.compile(_UNSPACED.pattern + "+")


@dataclass(frozen=True)
class Tokens:
    """A tokenized text as plain lists (walking a spaCy Doc's tokens costs more than matching)."""

    text: str
    words: list[str]
    starts: list[int]
    low: list[str]

    @classmethod
    def of(cls, doc: Doc, text: str) -> Tokens:
        """The tokens of a doc made from `text`."""
        if not len(doc):
            return cls(text, [], [], [])
        spans = doc.to_array(["IDX", "LENGTH"]).tolist()
        starts = [a for a, _ in spans]
        words = [text[a: a + n] for a, n in spans]
        return cls(text, words, starts, [w.lower() for w in words])


@dataclass(frozen=True)
class Hit:
    """One gazetteer form found in a text: character and token offsets, and its meaning."""

    start: int
    end: int
    tok_start: int  # -1 for unspaced-script hits
    tok_end: int
    text: str
    target: Target


def case_ok(text: str, target: Target) -> bool:
    """Whether the text's capitalisation fits the form (acronyms exact, names capitalised)."""
    if target.case == INITIAL_UPPER:
        return text[:1].isupper()
    if target.case == EXACT:
        return text.replace(" ", "") == target.form.replace(" ", "") or text.isupper() and (
            len(text) > 2)
    return True


class Matcher:
    """Finds gazetteer hits in tokenized texts."""

    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        self.resolve = make_resolver(gaz.known_tokens)

    def norms(self, toks: Tokens) -> list[str | None]:
        """The canonical known token for each token, or None."""
        resolve = self.resolve
        return [None if w.isspace() else resolve(w) for w in toks.words]

    def hits(self, toks: Tokens) -> list[Hit]:
        """All longest, case-valid hits in a text, in text order."""
        out = list(self._spaced(toks, self.norms(toks)))
        text = toks.text
        if _UNSPACED.search(text):
            out.extend(self._unspaced(text))
            out.sort(key=lambda h: h.start)
        return out

    def _spaced(self, toks: Tokens, norms: list[str | None]) -> Iterator[Hit]:
        keys, prefixes = self.gaz.keys, self.gaz.prefixes
        n, i = len(norms), 0
        while i < n:
            k = norms[i]
            if k is None:
                i += 1
                continue
            found: list[tuple[int, str]] = []
            j = i
            while True:
                if k in keys:
                    found.append((j + 1, k))
                if k not in prefixes:
                    break
                j += 1
                if j >= n or norms[j] is None:
                    break
                k = f"{k} {norms[j]}"
            hit = None
            for end, key in reversed(found):  # longest first
                a, b = toks.starts[i], toks.starts[end - 1] + len(toks.words[end - 1])
                target = keys[key]
                if case_ok(toks.text[a:b], target):
                    hit = Hit(a, b, i, end, toks.text[a:b], target)
                    break
            if hit is None:
                i += 1
            else:
                yield hit
                i = hit.tok_end

    def _unspaced(self, text: str) -> Iterator[Hit]:
        table, lengths = self.gaz.unspaced, self.gaz.unspaced_lengths
        for run in _UNSPACED_RUN.finditer(text):
            s, base = run.group(), run.start()
            i = 0
            while i < len(s):
                for length in lengths:
                    if i + length <= len(s) and (t := table.get(s[i: i + length])):
                        yield Hit(base + i, base + i + length, -1, -1, s[i: i + length], t)
                        i += length
                        break
                else:
                    i += 1

    def hits_in_words(self, words: Iterable[str]) -> list[tuple[str, Target]]:
        """Hits among loose lower-case words (URL parts): case is not checked."""
        toks = [w for w in words if w]
        norms = [self.resolve(w) for w in toks]
        out = []
        i = 0
        while i < len(toks):
            k = norms[i]
            best = None
            j = i
            while k is not None:
                if k in self.gaz.keys:
                    best = (j + 1, k)
                if k not in self.gaz.prefixes or j + 1 >= len(toks) or norms[j + 1] is None:
                    break
                j += 1
                k = f"{k} {norms[j]}"
            if best:
                out.append((" ".join(toks[i: best[0]]), self.gaz.keys[best[1]]))
                i = best[0]
            else:
                i += 1
        return out
