"""Add up weighted evidence per country and decide primary country, countries and scope
(CODEBOOK §3), with the weights in scoring.yaml."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import yaml

from classify.geo.paths import DATA_DIR


@cache
def settings() -> dict:
    """scoring.yaml."""
    with open(DATA_DIR / "scoring.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass
class Tally:
    """Weighted evidence per country, kept apart for passing mentions."""

    total: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    firm: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, iso3: str, weight: float, passing: bool = False) -> None:
        """Count one piece of evidence."""
        self.total[iso3] += weight
        if not passing:
            self.firm[iso3] += weight


@dataclass(frozen=True)
class Decision:
    """What the tally says."""

    primary: str | None
    countries: list[str]
    scope: str
    scores: dict[str, float]


def decide(tally: Tally, is_global: bool, probs: dict[str, float] | None = None,
           joint: frozenset[str] = frozenset(), anchor: str | None = None) -> Decision:
    """Primary country, substantially discussed countries, scope and per-country scores: shares
    of the weighed evidence, or, with the learned models, the combiner's probabilities.
    `anchor`: the source's (or URL's) country when the text names it too; a country that only
    the models point to does not become primary over it."""
    cfg = settings()
    total = sum(tally.total.values())
    if total <= 0 and not probs:
        return Decision(None, [], "global", {})
    firm = sorted(((c, s) for c, s in tally.firm.items() if s > 0), key=lambda kv: -kv[1])
    top = firm[0][1] if firm else 0.0
    countries = [c for c, s in firm
                 if s >= cfg["substantial_min"] and s >= cfg["substantial_share"] * top]
    if probs:
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        least = cfg["primary_min"] if total > 0 else \
            cfg["learned_fallback_min_global" if is_global else "learned_fallback_min"]
        # No primary when the top country is one of several the text opens with (`joint`:
        # "Kenya and Uganda agreed") and they are its firmest, within `primary_lead` of each
        # other, unless the rest of the text makes the top one `tie_override` likely; or when
        # a substantially discussed rival comes close to the top's probability.
        tie = len(firm) > 1 and ranked[0][0] in joint and firm[0][0] in joint and \
            firm[1][0] in joint and firm[0][1] < cfg["primary_lead"] * firm[1][1] and \
            ranked[0][1] < cfg["tie_override"]
        rival = max((p for c, p in ranked[1:] if c in countries), default=0.0)
        lead = ranked[0][1] >= cfg["primary_lead"] * rival
        primary = ranked[0][0] if lead and not tie and ranked[0][1] >= least else None
        if anchor and primary and tally.total.get(primary, 0.0) <= 0:
            primary = anchor
        # A country only the models point to, while the text names others, needs what a guess
        # from the words alone needs; otherwise the likeliest substantially discussed one.
        if primary and tally.total.get(primary, 0.0) <= 0 and total > 0 and \
                ranked[0][1] < cfg["learned_fallback_min"]:
            primary = max(countries, key=lambda c: probs.get(c, 0.0)) if countries else None
        scores = {c: round(p, 3) for c, p in ranked if p >= 0.0005 or c in tally.total}
    else:
        ranked = sorted(tally.total.items(), key=lambda kv: -kv[1])
        primary = None
        if len(ranked) == 1 or ranked[0][1] >= cfg["primary_lead"] * ranked[1][1]:
            primary = ranked[0][0]
        scores = {c: round(s / total, 3) for c, s in ranked}
    if primary and primary not in countries:
        countries.insert(0, primary)
    if primary:
        scope = "national"
    elif is_global or len(countries) >= cfg["global_countries"] or not countries:
        scope = "global"
    else:
        scope = "multi-country"
    return Decision(primary, countries, scope, scores)
