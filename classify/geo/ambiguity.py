"""Resolve names that may mean several countries (Congo, Korea, Guinea, Sudan, Niger,
Dominican, Georgia) or a person (Jordan, Chad): cues near the mention, then evidence of a
candidate elsewhere in the text, then the group's default (ambiguity.yaml)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.tokens import Doc

from classify.gazetteer import Gazetteer, Group
from classify.geo.matcher import Hit


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


def is_person(doc: Doc, hit: Hit, gaz: Gazetteer, occupied: set[int]) -> bool:
    """'Michael Jordan', 'Mr Jordan', 'Jordan Peterson': a person, not a country."""
    honorifics, not_before, not_after = _word_sets(gaz)
    i, j = hit.tok_start, hit.tok_end
    if i > 0:
        prev = doc[i - 1].text
        if prev in honorifics:
            return True
        if (_name_like(prev) and prev.lower() not in not_before and prev.lower() not in _EN_STOP
                and (i - 1) not in occupied):
            return True
    if j < len(doc):
        nxt = doc[j].text
        if (_name_like(nxt) and nxt.lower() not in not_after and nxt.lower() not in _EN_STOP
                and j not in occupied):
            return True
    return False


def _cue_near(low: list[str], hit: Hit, cues: tuple[str, ...], window: int) -> bool:
    a, b = max(0, hit.tok_start - window), hit.tok_end + window
    context = " " + " ".join(low[a: hit.tok_start] + ["|"] + low[hit.tok_end: b]) + " "
    return any(f" {c} " in context for c in cues)


def resolve(doc: Doc, low: list[str], hits: list[Hit], gaz: Gazetteer) -> list[Hit]:
    """Hits with every group hit given a country, or dropped (left out, or a person)."""
    if not any(h.target.group for h in hits):
        return hits
    window = gaz.ambiguity.get("window", 4)
    evidence = Counter(h.target.iso3 for h in hits if not h.target.group and h.target.iso3 != "-")
    occupied = {t for h in hits if h.tok_start >= 0 for t in range(h.tok_start, h.tok_end)}
    joined = " " + " ".join(low) + " "
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
            if is_person(doc, h, gaz, own):
                persons.add(h.text)
                continue
            if h.text in persons and not (h.tok_start > 0 and doc[h.tok_start - 1].lower_ in
                                          _word_sets(gaz)[1]):
                continue
        iso3 = _choose(group, h, low, joined, evidence, window)
        if iso3:
            out.append(replace(h, target=replace(h.target, iso3=iso3)))
    return out


def _choose(group: Group, h: Hit, low: list[str], joined: str, evidence: Counter,
            window: int) -> str | None:
    if h.tok_start >= 0:
        near = [c for c in group.candidates if _cue_near(low, h, group.cues.get(c, ()), window)]
        if len(near) == 1:
            return near[0]
    support = {c: evidence[c] + sum(joined.count(f" {cue} ") for cue in group.cues.get(c, ()))
               for c in group.candidates}
    ranked = sorted(support.items(), key=lambda kv: -kv[1])
    if ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return group.default
