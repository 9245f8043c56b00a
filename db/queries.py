"""Read helpers: what the crawlers, the classifier stage and `status` need to know."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlite_utils import Database

FAILING_RUNS = 3  # a source whose last this-many runs all failed is flagged


def known_urls(db: Database, source_ids: Iterable[str] | None = None) -> set[str]:
    """URLs and canonical URLs of stored articles (of some sources, or all)."""
    sql = "SELECT url, canonical_url FROM articles"
    params: list[str] = []
    if source_ids is not None:
        ids = list(source_ids)
        sql += f" WHERE source_id IN ({', '.join('?' for _ in ids)})"
        params = ids
    urls: set[str] = set()
    for url, canonical in db.execute(sql, params).fetchall():
        urls.add(url)
        urls.add(canonical)
    return urls


def articles_to_classify(
    db: Database, model_version: str, *, all_articles: bool = False
) -> Iterator[dict[str, Any]]:
    """Articles whose labels are missing, stale for their text, or from another model version."""
    where = "" if all_articles else (
        "WHERE classified_sha1 IS NULL OR classified_sha1 IS NOT content_sha1 "
        "OR model_version IS NOT ?"
    )
    params = [] if all_articles else [model_version]
    yield from db.query(
        "SELECT id, title, text, url, canonical_url, language, source_country, content_sha1 "
        f"FROM articles {where} ORDER BY id",
        params,
    )


def source_health(db: Database) -> list[dict[str, Any]]:
    """Per source: last success, last failure, items in recent runs, errors by kind, flag."""
    out = []
    for src in db.query("SELECT id, name FROM sources ORDER BY id"):
        runs = list(db.query(
            "SELECT id, status, started_at, finished_at, items, new_items, errors "
            "FROM crawl_runs WHERE source_id = ? ORDER BY started_at DESC, id DESC LIMIT 10",
            [src["id"]],
        ))
        ok = [r for r in runs if r["status"] in ("ok", "partial")]
        failed = [r for r in runs if r["status"] == "failed"]
        kinds = Counter(
            dict(db.execute(
                "SELECT e.kind, count(*) FROM crawl_errors e JOIN crawl_runs r ON r.id = e.run_id "
                "WHERE r.source_id = ? GROUP BY e.kind", [src["id"]],
            ).fetchall())
        )
        recent = runs[:FAILING_RUNS]
        out.append({
            "source_id": src["id"],
            "name": src["name"],
            "runs": len(runs),
            "last_success": ok[0]["finished_at"] if ok else None,
            "last_failure": failed[0]["finished_at"] if failed else None,
            "items_last_run": runs[0]["items"] if runs else None,
            "new_items_last_run": runs[0]["new_items"] if runs else None,
            "articles": db.execute(
                "SELECT count(*) FROM articles WHERE source_id = ?", [src["id"]]
            ).fetchone()[0],
            "errors_by_kind": dict(sorted(kinds.items())),
            "failing": len(recent) == FAILING_RUNS and all(
                r["status"] == "failed" for r in recent
            ),
        })
    return out


def summary(db: Database) -> dict[str, dict[str, int]]:
    """Article counts per source, language, primary country, theme and relevance."""
    def counts(sql: str) -> dict[str, int]:
        return {str(k): v for k, v in db.execute(sql).fetchall()}

    themes: Counter[str] = Counter()
    for (value,) in db.execute("SELECT themes FROM articles WHERE themes IS NOT NULL"):
        themes.update(json.loads(value))
    return {
        "source": counts("SELECT source_id, count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"),
        "language": counts(
            "SELECT coalesce(language, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"
        ),
        "kind": counts("SELECT coalesce(kind, '?'), count(*) FROM articles GROUP BY 1"),
        "primary_country": counts(
            "SELECT coalesce(primary_country, '(none)'), count(*) FROM articles "
            "GROUP BY 1 ORDER BY 2 DESC"
        ),
        "relevant": counts(
            "SELECT CASE relevant WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unlabelled' END, "
            "count(*) FROM articles GROUP BY 1"
        ),
        "theme": dict(themes.most_common()),
    }
