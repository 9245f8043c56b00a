"""The relevance and theme model: linear scores, calibrated probabilities, per-label thresholds.

One linear layer scores all seven labels at once (`relevant` and the six CODEBOOK §2 themes);
Platt scaling turns scores into probabilities and a threshold per label, chosen on held-apart
data at training time, turns probabilities into labels. Themes are the model's answer to "if
this item is relevant, which themes does it describe": they are reported only for items
predicted relevant (CODEBOOK §2). The head learned from texts of a paragraph or two, so a longer
text is scored window by window (`features.windows`) and its theme probabilities are the mean
over its windows: a theme must run through the item, not appear in one passage (CODEBOOK §2:
a passing mention does not count). Relevance is scored on the whole text.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from classify.calibration import apply_platt
from classify.codebook import THEMES
from classify.features import Featurizer, windows

LABELS: tuple[str, ...] = ("relevant", *THEMES)
MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS_DIR / "newsdesk-classifier.skops"
FORMAT = 1
PRUNE = 0.01


@dataclass(frozen=True)
class Prediction:
    """Relevance and themes of one text."""

    relevant: bool
    relevance_score: float
    themes: list[str]
    theme_scores: dict[str, float]


class Model:
    """A trained classifier; `predict` works on batches of texts."""

    def __init__(
        self,
        featurizer: Featurizer,
        weights: np.ndarray,
        intercept: np.ndarray,
        platt: np.ndarray,
        thresholds: dict[str, float],
        *,
        version: str,
        min_themes: int = 1,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.featurizer = featurizer
        self.weights = np.asarray(weights, dtype=np.float32)  # n_features x len(LABELS)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.platt = np.asarray(platt, dtype=np.float64)  # len(LABELS) x 2
        self.thresholds = {lab: float(thresholds[lab]) for lab in LABELS}
        self.version = version
        self.min_themes = min_themes
        self.info = info or {}
        self._cut = np.array([self.thresholds[lab] for lab in LABELS])

    def scores(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated linear scores, one column per label in LABELS order."""
        x = self.featurizer.transform(texts)
        return np.asarray(x @ self.weights) + self.intercept

    def _calibrated(self, texts: list[str]) -> np.ndarray:
        s = self.scores(texts)
        return np.column_stack([apply_platt(s[:, j], *self.platt[j]) for j in range(len(LABELS))])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities, one column per label in LABELS order (themes: if relevant;
        for a text of several windows, the mean over its windows)."""
        probs = self._calibrated(texts)
        cap = self.featurizer.max_chars
        parts = [windows(t[:cap]) for t in texts]
        long = [i for i, p in enumerate(parts) if len(p) > 1]
        if long:
            sizes = np.array([len(parts[i]) for i in long])
            by_window = self._calibrated([w for i in long for w in parts[i]])[:, 1:]
            starts = np.r_[0, np.cumsum(sizes)[:-1]]
            probs[long, 1:] = np.add.reduceat(by_window, starts, axis=0) / sizes[:, None]
        return probs

    def decide(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relevant flags, theme 0/1 matrix given relevance) from a probability matrix."""
        relevant = probs[:, 0] >= self._cut[0]
        themes = probs[:, 1:] >= self._cut[1:]
        if self.min_themes:
            # a relevant item describes at least one area of the action plan
            empty = ~themes.any(axis=1)
            themes[empty, probs[empty, 1:].argmax(axis=1)] = True
        return relevant, themes

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Relevance and themes for each text; themes are empty for non-relevant texts."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        relevant, themes = self.decide(probs)
        out = []
        for i in range(len(texts)):
            chosen = [t for j, t in enumerate(THEMES) if themes[i, j]] if relevant[i] else []
            out.append(
                Prediction(
                    relevant=bool(relevant[i]),
                    relevance_score=round(float(probs[i, 0]), 4),
                    themes=chosen,
                    theme_scores={
                        t: round(float(probs[i, j + 1]), 4) for j, t in enumerate(THEMES)
                    },
                )
            )
        return out

    def to_state(self) -> dict[str, Any]:
        """A dict of plain values and numpy arrays for skops.

        Only hash buckets with an idf weight are stored, and of those only the ones some label
        weighs at PRUNE or more (a smaller weight moves a score by less than PRUNE).
        """
        f = self.featurizer
        has_idf = f.idf > 0
        used = np.r_[
            has_idf & (np.abs(self.weights[: f.n_hashed]).max(axis=1) >= PRUNE),
            np.ones(f.n_features - f.n_hashed, dtype=bool),
        ]
        return {
            "format": FORMAT,
            "version": self.version,
            "labels": list(LABELS),
            "featurizer": f.params(),
            "idf_mask": np.packbits(has_idf),
            "idf": f.idf[has_idf].astype(np.float16),
            "coef_mask": np.packbits(used),
            "coef": self.weights[used].T.astype(np.float16),
            "intercept": self.intercept.astype(np.float32),
            "platt": self.platt.astype(np.float64),
            "thresholds": dict(self.thresholds),
            "min_themes": int(self.min_themes),
            "info": self.info,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Model:
        """Rebuild a model from `to_state` output."""
        if state.get("format") != FORMAT or list(state.get("labels", [])) != list(LABELS):
            raise ValueError(
                f"unsupported model file (format {state.get('format')!r}, labels "
                f"{state.get('labels')!r}); retrain with `newsdesk train`"
            )
        featurizer = Featurizer(**dict(state["featurizer"]))
        has_idf = np.unpackbits(np.asarray(state["idf_mask"]), count=featurizer.n_hashed).astype(
            bool
        )
        idf = np.zeros(featurizer.n_hashed, dtype=np.float32)
        idf[has_idf] = np.asarray(state["idf"], dtype=np.float32)
        featurizer.idf = idf
        used = np.unpackbits(np.asarray(state["coef_mask"]), count=featurizer.n_features).astype(
            bool
        )
        weights = np.zeros((featurizer.n_features, len(LABELS)), dtype=np.float32)
        weights[used] = np.asarray(state["coef"], dtype=np.float32).T
        return cls(
            featurizer,
            weights,
            np.asarray(state["intercept"]),
            np.asarray(state["platt"]),
            state["thresholds"],
            version=state["version"],
            min_themes=int(state["min_themes"]),
            info=state.get("info") or {},
        )


def save_model(model: Model, path: Path) -> Path:
    """Write the model with skops (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sio.dump(model.to_state(), tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(path)
    load_model.cache_clear()
    return path


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> Model:
    untrusted = sio.get_untrusted_types(file=path)
    if untrusted:
        raise ValueError(f"{path}: model file holds types that are not trusted: {untrusted}")
    return Model.from_state(sio.load(path))


def load_model(path: Path | None = None) -> Model:
    """The model at `path` (default: the committed one), loaded once per file version."""
    path = Path(path or DEFAULT_MODEL).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}: run `newsdesk train`")
    return _load(path, path.stat().st_mtime)


load_model.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
