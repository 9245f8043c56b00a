"""Country evidence in a URL: its country-code domain (health.gov.za), country names in its
host (kenya.un.org) and in its path (/news/kenya-extends-curfew)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

import yaml

from classify.geo.matcher import Matcher
from classify.geo.paths import DATA_DIR

_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class UrlSignal:
    """A country read from a URL, where it was read, and how much it counts."""

    iso3: str
    part: str  # tld | host_name | path_name
    text: str
    weight: float


@cache
def settings() -> dict:
    """urls.yaml, with the ccTLD table from names.csv."""
    with open(DATA_DIR / "urls.yaml", encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    tlds = {}
    with open(DATA_DIR / "names.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "tld":
                tlds[r["name"].lstrip(".").lower()] = r["iso3"]
    cfg["tlds"] = tlds
    return cfg


def signals(url: str, matcher: Matcher) -> list[UrlSignal]:
    """Every country signal in a URL."""
    cfg = settings()
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
    except ValueError:
        return []
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    out: list[UrlSignal] = []
    w = cfg["weights"]
    tld = labels[-1] if labels else ""
    if tld in cfg["government_tlds"]:
        out.append(UrlSignal(cfg["government_tlds"][tld], "tld", "." + tld, w["tld"]))
    elif tld in cfg["tlds"]:
        generic = tld in cfg["generic_cctlds"]
        if not generic or (len(labels) > 2 and labels[-2] in cfg["second_level"]):
            out.append(UrlSignal(cfg["tlds"][tld], "tld", "." + tld, w["tld"]))
    host_words = [x for label in labels[:-1] for x in _WORDS.findall(label)]
    path_words = _WORDS.findall(unquote(parts.path).lower())
    for words, part in ((host_words, "host_name"), (path_words, "path_name")):
        for text, target in matcher.hits_in_words(words):
            if target.kind in cfg["kinds"] and len(text) >= cfg["min_length"]:
                iso3 = target.iso3
                if target.group:
                    iso3 = matcher.gaz.groups[target.group].default
                if iso3 and iso3 != "-":
                    out.append(UrlSignal(iso3, part, text, w[part]))
    return out
