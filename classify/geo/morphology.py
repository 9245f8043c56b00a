"""Spelling normalisation and inflection: one canonical form per token, and rewrites of
inflected text tokens (Russian cases, Arabic proclitics, genitive -s) to forms the gazetteer knows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

import yaml

from classify.geo.paths import DATA_DIR

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                             "ی": "ي", "ک": "ك", "ـ": None})
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


@cache
def rules() -> dict:
    """The language data in inflections.yaml."""
    with open(DATA_DIR / "inflections.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def canonical(token: str) -> str:
    """The form a token is indexed and looked up under: lower case, one apostrophe, and for
    Arabic and Cyrillic the spelling variants folded (hamza forms, ta marbuta, yo)."""
    t = token.lower().translate(_APOSTROPHES)
    if t.isascii():
        return t
    if _ARABIC.search(t):
        t = _ARABIC_MARKS.sub("", t.translate(_ARABIC_MAP))
    elif _CYRILLIC.search(t):
        t = t.replace("ё", "е")
    return unicodedata.normalize("NFC", t)


def make_resolver(known: set[str]) -> Callable[[str], str | None]:
    """A cached function mapping a text token to a known canonical token, or None."""
    tok = rules()["tokens"]
    cyr = [(a, b) for a, b in tok["cyrillic_suffixes"]]
    arab = sorted(tok["arabic_prefixes"], key=len, reverse=True)
    contractions = tok["arabic_contractions"]
    latin = sorted(tok["latin_suffixes"], key=len, reverse=True)
    elisions = sorted(tok["elisions"], key=len, reverse=True)

    @lru_cache(maxsize=200_000)
    def resolve(text: str) -> str | None:
        c = canonical(text)
        if c in known:
            return c
        if "'" in c:
            for e in elisions:
                if c.startswith(e) and c[len(e):] in known:
                    return c[len(e):]
            head = c.split("'", 1)[0]  # Turkish suffixes, unsplit possessives
            if len(head) >= 3 and head in known:
                return head
            return None
        if _ARABIC.search(c):
            for p in arab:
                if c.startswith(p) and len(c) - len(p) >= 3:
                    rest = c[len(p):]
                    if p in contractions:
                        rest = contractions[p] + rest
                    if rest in known:
                        return rest
            return None
        if _CYRILLIC.search(c):
            for end, repl in cyr:
                if c.endswith(end) and len(c) - len(end) >= 3:
                    cand = c[: len(c) - len(end)] + repl
                    if cand in known:
                        return cand
            return None
        if text[:1].isupper() and len(c) >= 5:
            for end in latin:
                if c.endswith(end) and len(c) - len(end) >= 4 and c[: -len(end)] in known:
                    return c[: -len(end)]
        return None

    return resolve


def inflect_demonym(lang: str, masculine: str, explicit: Iterable[str] = ()) -> list[str]:
    """All forms of a Spanish or Portuguese demonym: masculine and feminine, singular and plural.

    `explicit` holds an irregular feminine (and masculine plural), which override the rules."""
    table = rules()["demonyms"][lang]
    explicit = [e for e in explicit if e]
    forms = [masculine, *explicit]
    for end in sorted(table, key=len, reverse=True):
        if masculine.endswith(end):
            stem = masculine[: -len(end)]
            fem, mpl, fpl = (stem + e for e in table[end])
            if explicit:
                fem = explicit[0]
                mpl = explicit[1] if len(explicit) > 1 else mpl
                fpl = fem + "s" if not fem.endswith("s") else fem
            forms += [fem, mpl, fpl]
            break
    return list(dict.fromkeys(forms))
