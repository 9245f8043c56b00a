"""Resolve names that may mean several countries (Congo, Korea, Guinea, Sudan, Niger,
Dominican, Georgia) or a person (Jordan, Chad): cues near the mention, then evidence of a
candidate elsewhere in the text, then the group's default (ambiguity.yaml)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP

from classify.gazetteer import Gazetteer, Group
from classify.geo.matcher import Hit, Tokens

_SETS: dict[int, tuple[frozenset, frozenset, frozenset]] = {}


def _word_sets(gaz: Gazetteer) -> tuple[frozenset, frozenset, frozenset]:
    """Honorifics and the words that rule out a person before and after (per gazetteer)."""
    sets = _SETS.get(id(gaz.ambiguity))
    if sets is None:
        a = gaz.ambiguity
        sets = (frozenset(a["honorifics"]), frozenset(w.lower() for w in a["not_person_before"]),
                frozenset(w.lower() for w in a["not_person_after"]))
        _SETS[id(gaz.ambiguity)] = sets
    return sets


def _name_like(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and word[1:].islower() and word.isalpha()


def is_person(toks: Tokens, hit: Hit, gaz: Gazetteer, occupied: set[int]) -> bool:
    """'Michael Jordan', 'Mr Jordan', 'Jordan Peterson': a person, not a country."""
    honorifics, not_before, not_after = _word_sets(gaz)
    i, j = hit.tok_start, hit.tok_end
    if i > 0:
        prev = toks.words[i - 1]
        if prev in honorifics:
            return True
        if (_name_like(prev) and prev.lower() not in not_before and prev.lower() not in _EN_STOP
                and (i - 1) not in occupied):
            return True
    if j < len(toks.words):
        nxt = toks.words[j]
        if (_name_like(nxt) and nxt.lower() not in not_after and nxt.lower() not in _EN_STOP
                and j not in occupied):
            return True
    return False


def _cue_near(low: list[str], hit: Hit, cues: tuple[str, ...], window: int,
              occupied: set[int]) -> bool:
    """Whether a cue stands within `window` tokens, outside other mentions."""
    a, b = max(0, hit.tok_start - window), min(len(low), hit.tok_end + window)
    words = [low[i] if i not in occupied else "|" for i in range(a, hit.tok_start)]
    words += ["|"] + [low[i] if i not in occupied else "|" for i in range(hit.tok_end, b)]
    context = " " + " ".join(words) + " "
    return any(f" {c} " in context for c in cues)


def resolve(toks: Tokens, hits: list[Hit], gaz: Gazetteer) -> list[Hit]:
    """Hits with every group hit given a country, or dropped (left out, or a person)."""
    if not any(h.target.group for h in hits):
        return hits
    low = toks.low
    window = gaz.ambiguity.get("window", 4)
    names = Counter(h.target.iso3 for h in hits if not h.target.group and h.target.iso3 != "-"
                    and h.target.kind in ("name", "demonym"))
    places = Counter(h.target.iso3 for h in hits if not h.target.group and h.target.iso3 != "-"
                     and h.target.kind not in ("name", "demonym"))
    occupied = {t for h in hits if h.tok_start >= 0 for t in range(h.tok_start, h.tok_end)}
    joined = " " + " ".join(w if i not in occupied else "|" for i, w in enumerate(low)) + " "
    persons: set[str] = set()
    out = []
    for h in hits:
        name = h.target.group
        if not name:
            out.append(h)
            continue
        group: Group = gaz.groups[name]
        if group.person_name and h.tok_start >= 0:
            own = occupied - set(range(h.tok_start, h.tok_end))
            if is_person(toks, h, gaz, own):
                persons.add(h.text)
                continue
            if h.text in persons and not (h.tok_start > 0 and low[h.tok_start - 1] in
                                          _word_sets(gaz)[1]):
                continue
        iso3 = _choose(group, h, low, joined, names, places, window, occupied)
        if iso3:
            out.append(replace(h, target=replace(h.target, iso3=iso3)))
    return out


def _choose(group: Group, h: Hit, low: list[str], joined: str, names: Counter,
            places: Counter, window: int, occupied: set[int]) -> str | None:
    """A local cue; else the candidate with most evidence (places always count, names only
    for the group's `evidence` candidates, cue words anywhere); else the default."""
    if h.tok_start >= 0:
        near = [c for c in group.candidates
                if _cue_near(low, h, group.cues.get(c, ()), window, occupied)]
        if len(near) == 1:
            return near[0]
    support = {c: places[c] + (names[c] if c in group.evidence else 0)
               + sum(joined.count(f" {cue} ") for cue in group.cues.get(c, ()))
               for c in group.candidates}
    ranked = sorted(support.items(), key=lambda kv: -kv[1])
    if ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return group.default
