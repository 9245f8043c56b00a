"""First-version relevance and theme rule from lexicons (classify/data/keywords.yaml).

A transparent baseline: relevant when the text names a private health actor and an
engagement; themes whose lexicon matches at least twice. The trained model replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from classify.codebook import THEMES

KEYWORDS = Path(__file__).parent / "data" / "keywords.yaml"


@dataclass(frozen=True)
class Prediction:
    """Relevance and themes of one text."""

    relevant: bool
    relevance_score: float
    themes: list[str]
    theme_scores: dict[str, float]


@cache
def _lexicons() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    data = yaml.safe_load(KEYWORDS.read_text(encoding="utf-8"))
    actors = tuple(t for terms in data["actors"].values() for t in terms)
    engagement = tuple(t for terms in data["engagement"].values() for t in terms)
    themes = {k: tuple(v) for k, v in data["themes"].items()}
    return actors, engagement, themes


class KeywordModel:
    """Lexicon rule with scores in [0, 1] (share of the evidence needed that was found)."""

    version = "keywords-0.1"

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Relevance and themes for each text."""
        actors, engagement, theme_terms = _lexicons()
        out = []
        for text in texts:
            low = text.lower()
            n_actor = sum(low.count(t) for t in actors)
            n_engage = sum(1 for t in engagement if t in low)
            score = min(1.0, n_actor / 2) * 0.5 + min(1.0, n_engage / 2) * 0.5
            relevant = n_actor >= 1 and n_engage >= 1
            scores = {
                th: min(1.0, sum(low.count(t) for t in theme_terms[th]) / 4) for th in THEMES
            }
            themes = [th for th in THEMES if scores[th] >= 0.5] if relevant else []
            out.append(Prediction(relevant, round(score, 4), themes, scores))
        return out
