"""Engagement details (CODEBOOK §2, optional): instrument and private actor, where the text says.

A lexicon (`classify/data/engagement_details.yaml`, en/fr/es/pt) marks each instrument and
actor the text names, with the matched words as evidence. Generic facility and professional
words ("hospitals", "doctors") count as a private actor only next to a private marker. This is
a reading aid for curators, not a model: it reports what the words say and is meant for items
already judged relevant. Precision was measured by hand on 40 relevant train items
(`classify/data/details_check.jsonl`; docs/classifier.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from classify.features import TOKEN, fold

LEXICON = Path(__file__).parent / "data" / "engagement_details.yaml"
INSTRUMENTS = (
    "contract",
    "requisition",
    "regulation",
    "price-control",
    "payment",
    "partnership",
    "dialogue",
    "guidance",
    "donation",
)
ACTORS = (
    "hospital",
    "clinic",
    "laboratory",
    "pharmacy",
    "practitioner",
    "insurer",
    "manufacturer",
    "faith-based-ngo",
    "association",
    "other",
)


@dataclass(frozen=True)
class Evidence:
    """One label with the words that support it (folded: lowercase, no accents)."""

    label: str
    words: str
    token: int  # index of the first matched token in the folded text


def _tokens(term: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(fold(str(term))))


class DetailTagger:
    """Marks instruments and actors named in a text."""

    def __init__(self, lexicon: dict[str, Any]) -> None:
        self.window = int(lexicon.get("window", 3))
        # private markers as token sequences ("for-profit" is two tokens, never "for" alone)
        self.markers = {_tokens(m) for m in lexicon.get("private_markers", []) if _tokens(m)}
        # first token -> [(tokens, field, label, needs_private_marker)]
        self._starts: dict[str, list[tuple[tuple[str, ...], str, str, bool]]] = {}
        for label in INSTRUMENTS:
            for term in lexicon["instrument"].get(label, []):
                self._add(_tokens(term), "instrument", label, False)
        for label in ACTORS:
            spec = lexicon["actor"].get(label, {})
            for term in spec.get("terms", []):
                self._add(_tokens(term), "actor", label, False)
            for term in spec.get("with_private", []):
                self._add(_tokens(term), "actor", label, True)
        for cands in self._starts.values():
            cands.sort(key=lambda c: -len(c[0]))  # longest match first

    def _add(self, tokens: tuple[str, ...], field: str, label: str, private: bool) -> None:
        if tokens:
            self._starts.setdefault(tokens[0], []).append((tokens, field, label, private))

    def tag(self, text: str) -> dict[str, list[Evidence]]:
        """{"instrument": [...], "actor": [...]}: one Evidence per label, first mention."""
        tokens = TOKEN.findall(fold(text))
        found: dict[str, dict[str, Evidence]] = {"instrument": {}, "actor": {}}
        j = 0
        while j < len(tokens):
            step = 1
            for term, field, label, private in self._starts.get(tokens[j], ()):
                if tuple(tokens[j : j + len(term)]) != term:
                    continue
                if private and not self._near_marker(tokens, j, j + len(term)):
                    continue
                found[field].setdefault(label, Evidence(label, " ".join(term), j))
                step = len(term)
                break
            j += step
        return {
            field: sorted(hits.values(), key=lambda e: e.token) for field, hits in found.items()
        }

    def _near_marker(self, tokens: list[str], start: int, end: int) -> bool:
        lo, hi = max(0, start - self.window), min(len(tokens), end + self.window)
        return any(
            tuple(tokens[k : k + len(m)]) == m
            for k in range(lo, hi)
            for m in self.markers
            if k + len(m) <= hi
        )


@lru_cache(maxsize=1)
def get_detail_tagger(path: Path = LEXICON) -> DetailTagger:
    """The tagger for the committed lexicon (loaded once)."""
    return DetailTagger(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def engagement_details(text: str) -> dict[str, list[dict[str, Any]]]:
    """Instruments and actors the text names, each with its evidence words, as plain dicts."""
    out = get_detail_tagger().tag(text)
    return {
        field: [{"label": e.label, "evidence": e.words} for e in hits]
        for field, hits in out.items()
    }
