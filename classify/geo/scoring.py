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


def decide(tally: Tally, is_global: bool) -> Decision:
    """Primary country, substantially discussed countries, scope and per-country shares."""
    cfg = settings()
    total = sum(tally.total.values())
    if total <= 0:
        return Decision(None, [], "global", {})
    scores = {c: round(s / total, 3) for c, s in sorted(tally.total.items(), key=lambda kv: -kv[1])}
    firm = sorted(((c, s) for c, s in tally.firm.items() if s > 0), key=lambda kv: -kv[1])
    top = firm[0][1] if firm else 0.0
    countries = [c for c, s in firm
                 if s >= cfg["substantial_min"] and s >= cfg["substantial_share"] * top]
    ranked = list(scores.items())
    primary = None
    if len(ranked) == 1 or tally.total[ranked[0][0]] >= cfg["primary_lead"] * tally.total[
            ranked[1][0]]:
        primary = ranked[0][0]
        if primary not in countries:
            countries.insert(0, primary)
    if primary:
        scope = "national"
    elif is_global or len(countries) >= cfg["global_countries"] or not countries:
        scope = "global"
    else:
        scope = "multi-country"
    return Decision(primary, countries, scope, scores)
