"""Classification stage: label new and changed articles in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from classify.tagging import BATCH, model_version, tag_batch
from db import queries, store


def tag_chunk(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels for a chunk of article rows, keyed for db.store (pure: runs on any worker)."""
    results = tag_batch(rows)
    for row, result in zip(rows, results, strict=True):
        result["article_id"] = row["id"]
        result["content_sha1"] = row["content_sha1"]
    return results


def classify_articles(
    db: Database, *, all_articles: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Label articles never labelled, changed since, or labelled by another model version."""
    version = model_version()
    rows = list(queries.articles_to_classify(db, version, all_articles=all_articles))
    done = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        store.write_model_labels(db, tag_chunk(batch), version)
        done += len(batch)
        if progress:
            progress(done, len(rows))
    return done
