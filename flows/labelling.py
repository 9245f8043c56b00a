"""Classification stage: label new and changed articles in the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from classify.tagging import BATCH, model_version, tag_batch
from db import queries, store
from db.connect import open_db


def tag_chunk(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels for a chunk of article rows, keyed for db.store (pure: runs on any worker)."""
    results = tag_batch(rows)
    for row, result in zip(rows, results, strict=True):
        result["article_id"] = row["id"]
        result["content_sha1"] = row["content_sha1"]
    return results


def classify_articles(
    db: Database, *, all_articles: bool = False,
    progress: Callable[[int, int], None] | None = None, chunk: int = BATCH,
) -> int:
    """Label articles never labelled, changed since, or labelled by another model version.

    Articles are read in batches from a second, read-only connection (its snapshot does not
    see the labels being written), so memory holds one batch whatever the database's size.
    """
    version = model_version()
    path = db.execute("PRAGMA database_list").fetchone()[2]
    wal = db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # a reader beside the writer needs WAL; "" is an in-memory database
    reader = open_db(Path(path), readonly=True) if path and wal else db
    try:
        total = sum(1 for _ in queries.articles_to_classify(
            reader, version, all_articles=all_articles)) if progress else 0
        done = 0
        batch: list[dict[str, Any]] = []
        rows = queries.articles_to_classify(reader, version, all_articles=all_articles)
        if reader is db:
            rows = iter(list(rows))  # one connection: read everything before writing
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                store.write_model_labels(db, tag_chunk(batch), version)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, total)
        if batch:
            store.write_model_labels(db, tag_chunk(batch), version)
            done += len(batch)
            if progress:
                progress(done, total)
        return done
    finally:
        if reader is not db:
            reader.close()
