"""Classification of texts: countries, scope, relevance and themes (the `tag` contract)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from classify.countries import get_tagger
from classify.features import document_text
from classify.model import load_model

BATCH = 256


def model_version() -> str:
    """Version string of the labels this module produces (the committed relevance/theme model)."""
    return load_model().version


def tag_batch(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels for a batch of records (keys: id, text, title, url, language, source_country)."""
    tagger = get_tagger()
    places = tagger.tag_many(
        {
            "text": r.get("text") or "",
            "title": r.get("title"),
            "url": r.get("url"),
            "source_country": r.get("source_country"),
            "language": r.get("language"),
        }
        for r in records
    )
    predictions = load_model().predict([document_text(r) for r in records])
    out = []
    for record, place, pred in zip(records, places, predictions, strict=True):
        out.append(
            {
                "id": record.get("id"),
                "primary_country": place.primary_country,
                "countries": list(place.countries),
                "country_scores": {k: round(v, 4) for k, v in place.scores.items()},
                "scope": place.scope,
                "relevant": pred.relevant,
                "relevance_score": pred.relevance_score,
                "themes": pred.themes,
                "theme_scores": {k: round(v, 4) for k, v in pred.theme_scores.items()},
                "model_version": model_version(),
            }
        )
    return out


def tag_records(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Labels for each record, computed in batches."""
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            yield from tag_batch(batch)
            batch = []
    if batch:
        yield from tag_batch(batch)
