"""Classification stage: label new and changed articles in the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from classify.tagging import BATCH, model_version, tag_batch
from db import queries, store


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
        results = tag_batch(batch)
        for row, result in zip(batch, results, strict=True):
            result["article_id"] = row["id"]
            result["content_sha1"] = row["content_sha1"]
        store.write_model_labels(db, results, version)
        done += len(batch)
        if progress:
            progress(done, len(rows))
    return done
