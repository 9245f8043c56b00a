"""Words around a mention: passing mentions (travellers from X, the U.S. Embassy), government
actors (the Government of X, X's ministry), and cues that an item is about the whole world
(context.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from classify.geo.paths import DATA_DIR

# Skipped when looking back from a mention: list separators, articles, other mentions.
_SKIP = frozenset(
    ", ; : & and or y et e und и the la le les el los las l' o a as os der die".split())


@dataclass(frozen=True)
class Cues:
    """Cue phrases as token tuples, indexed by their last token for a fast backwards look-up."""

    passing: dict[str, tuple[tuple[str, ...], ...]]
    government: dict[str, tuple[tuple[str, ...], ...]]
    passing_after: frozenset[str]
    government_after: frozenset[str]
    global_re: re.Pattern
    global_exact_re: re.Pattern


def _by_last(phrases: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        toks = tuple(p.lower().split())
        out.setdefault(toks[-1], []).append(toks)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in out.items()}


@cache
def cues() -> Cues:
    """The cue lists of context.yaml, compiled."""
    with open(DATA_DIR / "context.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    flat = lambda section: [p for words in data[section].values() for p in words]  # noqa: E731
    after = frozenset(w for p in data["government_after"] for w in p.lower().split())
    glob = flat("global_cues")
    exact = [p for p in glob if p.isupper()]
    loose = [p for p in glob if not p.isupper()]
    alt = lambda ps: "|".join(re.escape(p) for p in sorted(ps, key=len, reverse=True))  # noqa: E731
    return Cues(
        passing=_by_last(flat("passing_before")),
        government=_by_last(flat("government_before")),
        passing_after=frozenset(w.lower() for w in data["passing_after"]),
        government_after=after,
        global_re=re.compile(rf"(?<!\w)(?:{alt(loose)})(?!\w)", re.IGNORECASE),
        global_exact_re=re.compile(rf"(?<!\w)(?:{alt(exact)})(?!\w)"),
    )


def _ends_with(low: list[str], j: int, table: dict[str, tuple[tuple[str, ...], ...]]) -> bool:
    for phrase in table.get(low[j], ()):
        n = len(phrase)
        if j - n + 1 >= 0 and tuple(low[j - n + 1: j + 1]) == phrase:
            return True
    return False


def before(low: list[str], start: int, occupied: set[int], c: Cues) -> str | None:
    """'passing' or 'government' when a cue stands before the mention starting at `start`,
    skipping separators, articles and other mentions in between (lists: from A, B and C)."""
    j = start - 1
    while j >= 0 and (low[j] in _SKIP or j in occupied):
        j -= 1
    if j < 0:
        return None
    if _ends_with(low, j, c.passing):
        return "passing"
    if _ends_with(low, j, c.government):
        return "government"
    return None


def passing_after(low: list[str], end: int, c: Cues) -> bool:
    """Whether the mention names that country's mission abroad (the U.S. Embassy)."""
    return end < len(low) and low[end] in c.passing_after


def government_after(low: list[str], end: int, c: Cues) -> bool:
    """Whether a government word follows the mention within three tokens (X's health ministry)."""
    return any(w in c.government_after for w in low[end: end + 3])


def is_global(text: str) -> bool:
    """Whether the text speaks of the world as a whole."""
    c = cues()
    return bool(c.global_re.search(text) or c.global_exact_re.search(text))


def first_list(hits: list, low: list[str]) -> int:
    """How many hits make up the first mention: one, or a list joined by commas and 'and'
    ("Kenya and Uganda agreed ...") whose countries share the first place."""
    if not hits:
        return 0
    n = 1
    while n < len(hits):
        a, b = hits[n - 1], hits[n]
        if a.tok_start < 0 or b.tok_start < a.tok_end or any(
                w not in _SKIP for w in low[a.tok_end: b.tok_start]):
            break
        n += 1
    return n
