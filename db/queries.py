"""Read helpers: what the crawlers, the classifier stage and `status` need to know."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlite_utils import Database

# crawl_runs.detail of a run whose process died before it finished (db.store.close_interrupted_runs)
INTERRUPTED = "interrupted: the run's process ended before it finished"

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


# -- crawl state for incremental crawls (issue 3) -------------------------------------------

# Errors worth another try on the next run; the others (404, robots, parse...) are not.
TRANSIENT_ERRORS = frozenset({
    "timeout", "dns", "connection-refused", "connection-lost", "truncated", "cancelled",
    "http-408", "http-429", "http-500", "http-502", "http-503", "http-504", "http-522",
    "http-524",
})
MAX_RETRY_RUNS = 5  # a URL that failed in this many runs is left alone
RETRY_ROLES = ("article", "sitemap", "listing")


def crawl_state(
    db: Database, source_ids: list[str], *, revalidate_days: int = 7, today: str | None = None,
) -> dict[str, Any]:
    """What a crawl of these sources needs to know (crawlers.run --state).

    `known`: stored article URLs; `validators`: ETag and Last-Modified per fetched URL;
    `revalidate`: articles published in the last revalidate_days (they may still change);
    `retry`: per source, URLs (and their role) that failed for a transient reason in its latest
    finished run; `last_success`: per source, the start of its latest run that did not fail.
    """
    marks = ", ".join("?" for _ in source_ids)
    validators = {
        url: {"etag": etag, "last_modified": lm}
        for url, etag, lm in db.execute(
            f"SELECT url, etag, last_modified FROM fetch_state WHERE source_id IN ({marks}) "
            "AND (etag IS NOT NULL OR last_modified IS NOT NULL)", source_ids,
        ).fetchall()
    }
    since = db.execute(
        "SELECT date(coalesce(?, 'now'), ?)", [today, f"-{int(revalidate_days)} days"]
    ).fetchone()[0]
    revalidate = sorted({
        u for row in db.execute(
            f"SELECT url, canonical_url FROM articles WHERE source_id IN ({marks}) "
            "AND published >= ?", [*source_ids, since],
        ).fetchall() for u in row
    })
    known = known_urls(db)
    retry: dict[str, list[dict[str, str]]] = {}
    for sid in source_ids:
        # a run still 'running', or closed as interrupted, is one whose load was killed: its
        # errors were never recorded
        latest = db.execute(
            "SELECT max(id) FROM crawl_runs WHERE source_id = ? AND status != 'running' "
            "AND coalesce(detail, '') != ?", [sid, INTERRUPTED],
        ).fetchone()[0]
        if latest is None:
            continue
        rows = db.execute(
            f"""
            SELECT e.url, e.kind, coalesce(e.role, 'article'),
                (SELECT count(DISTINCT e2.run_id) FROM crawl_errors e2
                 JOIN crawl_runs r2 ON r2.id = e2.run_id
                 WHERE e2.url = e.url AND r2.source_id = ?) AS runs
            FROM crawl_errors e WHERE e.run_id = ?
                AND coalesce(e.role, 'article') IN ({', '.join('?' for _ in RETRY_ROLES)})
            """, [sid, latest, *RETRY_ROLES],
        ).fetchall()
        urls = {}
        for url, kind, role, runs in rows:
            if kind in TRANSIENT_ERRORS and runs < MAX_RETRY_RUNS and url not in known:
                urls[url] = role
        if urls:
            retry[sid] = [{"url": u, "role": r} for u, r in sorted(urls.items())]
    last_success = dict(db.execute(
        f"SELECT source_id, max(started_at) FROM crawl_runs WHERE source_id IN ({marks}) "
        "AND status IN ('ok', 'partial') GROUP BY source_id", source_ids,
    ).fetchall())
    return {"known": sorted(known), "validators": validators, "revalidate": revalidate,
            "retry": retry, "last_success": last_success}


def database_folder(db: Database) -> str | None:
    """Folder of the database file (None for an in-memory database)."""
    for _, name, path in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            from pathlib import Path

            return str(Path(path).resolve().parent)
    return None


# -- curator review (issue 8) ---------------------------------------------------------------

DEFAULT_THRESHOLD = 0.5  # decision threshold of a label whose model records none
REVIEW_FILTERS = ("country", "theme", "language", "source")


def _connection(db: Any) -> Any:
    """The sqlite3 connection of a sqlite_utils Database, or the connection itself."""
    return getattr(db, "conn", db)


def curator_password_hash(db: Any, name: str) -> str | None:
    """The stored password hash of a curator, or None when there is no such curator."""
    row = _connection(db).execute(
        "SELECT password_hash FROM curators WHERE name = ?", [name]
    ).fetchone()
    return row[0] if row else None


def curator_exists(db: Any, name: str) -> bool:
    """Whether a curator account of this name exists."""
    return _connection(db).execute(
        "SELECT 1 FROM curators WHERE name = ?", [name]
    ).fetchone() is not None


def curator_names(db: Any) -> list[str]:
    """Names of every curator account."""
    return [r[0] for r in _connection(db).execute("SELECT name FROM curators ORDER BY name")]


def label_thresholds(db: Any) -> dict[str, dict[str, float]]:
    """Decision thresholds per model version and label (`models.metrics` key `thresholds`)."""
    out: dict[str, dict[str, float]] = {}
    for version, metrics in _connection(db).execute("SELECT version, metrics FROM models"):
        try:
            found = (json.loads(metrics or "{}") or {}).get("thresholds") or {}
        except (ValueError, AttributeError):
            continue
        if isinstance(found, dict):
            out[version] = {str(k): float(v) for k, v in found.items()
                            if isinstance(v, int | float)}
    return out


def _review_where(filters: dict[str, str | None]) -> tuple[list[str], list[Any]]:
    """Conditions on article_facets (alias f) for the queue filters.

    A LIKE on the JSON text goes first: it rules out most rows for a fraction of json_each's
    cost, which then checks the few left exactly.
    """
    where: list[str] = []
    params: list[Any] = []
    if filters.get("country"):
        where.append("(f.primary_country = ? OR (f.countries LIKE ? AND EXISTS (SELECT 1 FROM "
                     "json_each(CASE WHEN json_valid(f.countries) THEN f.countries ELSE '[]' "
                     "END) WHERE value = ?)))")
        params += [filters["country"], f'%"{filters["country"]}"%', filters["country"]]
    if filters.get("theme"):
        where.append("f.themes LIKE ? AND EXISTS (SELECT 1 FROM json_each(CASE WHEN "
                     "json_valid(f.themes) THEN f.themes ELSE '[]' END) WHERE value = ?)")
        params += [f'%"{filters["theme"]}"%', filters["theme"]]
    if filters.get("language"):
        where.append("f.language = ?")
        params.append(filters["language"])
    if filters.get("source"):
        where.append("f.source_id = ?")
        params.append(filters["source"])
    return where, params


def review_queue(
    db: Any, *, limit: int = 50, offset: int = 0, after: str | None = None,
    **filters: str | None,
) -> list[dict[str, Any]]:
    """Items awaiting a curator (labelled by the model only), most uncertain first.

    The margin of an item is the distance of its probability nearest a threshold
    (db.schema._review_margin, kept in `review_margins` by triggers); ties go by rowid.
    Filters: country (primary or any labelled country), theme, language, source (id). With
    `after` (an article id), the items that follow that article in this order.
    """
    conn = _connection(db)
    thresholds = label_thresholds(conn)
    where, params = _review_where(filters)
    filtered = bool(where)
    if after is not None:
        found = conn.execute("SELECT rowid FROM articles WHERE id = ?", [after]).fetchone()
        margin = _model_margin(conn, after, thresholds)
        if found is not None and margin is not None:
            where.append("(m.margin, m.article_rowid) > (?, ?)")
            params += [margin, found[0]]
    # unfiltered: walk the margin index; filtered: scan the narrow facet copy, sort what
    # matches (walking the index would visit every queued item when few match)
    source = ("article_facets AS f CROSS JOIN review_margins AS m" if filtered
              else "review_margins AS m JOIN article_facets AS f")
    sql = (
        "SELECT a.id, a.title, a.published, a.language, a.source_id, a.primary_country, "
        "a.countries, a.themes, a.theme_scores, a.relevant, a.relevance_score, "
        "a.model_version, m.margin FROM (SELECT m.article_rowid, m.margin "
        f"FROM {source} ON f.article_rowid = m.article_rowid "
        "WHERE m.margin IS NOT NULL" + "".join(f" AND {w}" for w in where)
        + " ORDER BY m.margin, m.article_rowid LIMIT ? OFFSET ?) AS m "
        "JOIN articles AS a ON a.rowid = m.article_rowid ORDER BY m.margin, m.article_rowid"
    )
    cursor = conn.execute(sql, [*params, limit, offset])
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        item = dict(zip(names, row, strict=True))
        for key, default in (("countries", []), ("themes", []), ("theme_scores", {})):
            try:
                item[key] = json.loads(item[key]) if item[key] else default
            except ValueError:
                item[key] = default
        item["closest"] = _closest_label(item, thresholds.get(item["model_version"] or "", {}))
        out.append(item)
    return out


def _model_margin(conn: Any, article_id: str, thresholds: dict[str, dict[str, float]]
                  ) -> float | None:
    """An article's margin from its latest model labels, as the queue had it before any
    curator decision (db.schema._review_margin, in Python); None without model labels."""
    latest: dict[str, tuple[Any, Any, Any, Any]] = {}
    for field, value, score, detail, version in conn.execute(
        "SELECT field, value, score, detail, model_version FROM labels WHERE article_id = ? "
        "AND origin = 'model' AND field IN ('relevant', 'themes') ORDER BY id", [article_id],
    ):
        latest[field] = (value, score, detail, version)
    if "relevant" not in latest:
        return None
    value, score, _, version = latest["relevant"]
    if score is None:
        return 1.0
    limits = thresholds.get(version or "", {})
    margins = [abs(score - limits.get("relevant", DEFAULT_THRESHOLD))]
    if value == "true" and "themes" in latest:
        try:
            scores = json.loads(latest["themes"][2] or "{}")
        except ValueError:
            scores = {}
        if isinstance(scores, dict):
            margins += [abs(p - limits.get(t, DEFAULT_THRESHOLD)) for t, p in scores.items()
                        if isinstance(p, int | float)]
    return min(margins)


def _closest_label(item: dict[str, Any], thresholds: dict[str, float]) -> str | None:
    """The label whose probability is nearest its threshold (what makes the item uncertain)."""
    scores: dict[str, float] = {}
    if item.get("relevance_score") is not None:
        scores["relevant"] = item["relevance_score"]
    if item.get("relevant") and isinstance(item.get("theme_scores"), dict):
        scores.update({k: v for k, v in item["theme_scores"].items()
                       if isinstance(v, int | float)})
    if not scores:
        return None
    return min(scores, key=lambda k: (abs(scores[k] - thresholds.get(k, DEFAULT_THRESHOLD)),
                                      k != "relevant"))


def review_queue_size(db: Any, **filters: str | None) -> int:
    """How many items await a curator (with the same filters as review_queue)."""
    where, params = _review_where(filters)
    source = ("article_facets AS f CROSS JOIN review_margins AS m "
              "ON f.article_rowid = m.article_rowid" if where else "review_margins AS m")
    return _connection(db).execute(
        f"SELECT count(*) FROM {source} WHERE m.margin IS NOT NULL"
        + "".join(f" AND {w}" for w in where), params,
    ).fetchone()[0]


def review_next(db: Any, article_id: str, **filters: str | None) -> str | None:
    """The item to review after article_id: the next in the queue, else its first."""
    for after in (article_id, None):
        rows = review_queue(db, limit=2, after=after, **filters)
        for row in rows:
            if row["id"] != article_id:
                return row["id"]
    return None


def latest_review(db: Any, article_id: str) -> dict[str, Any] | None:
    """The newest curator review of an article (id, curator, created_at, after, note)."""
    row = _connection(db).execute(
        "SELECT id, curator, created_at, before, after, note FROM reviews "
        "WHERE article_id = ? ORDER BY id DESC LIMIT 1", [article_id],
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "curator": row[1], "created_at": row[2],
            "before": json.loads(row[3]) if row[3] else None,
            "after": json.loads(row[4]) if row[4] else None, "note": row[5]}


def latest_curator_labels(db: Any, article_id: str) -> dict[str, Any]:
    """The latest curator value of each label field of an article (fields never curated absent)."""
    out: dict[str, Any] = {}
    for field, value in _connection(db).execute(
        "SELECT field, value FROM labels WHERE article_id = ? AND origin = 'curator' ORDER BY id",
        [article_id],
    ):
        out[field] = json.loads(value) if value is not None else None
    return out


def curator_examples(db: Database) -> list[dict[str, Any]]:
    """Articles whose relevance a curator decided, with their effective themes, for training."""
    rows = db.query(
        "SELECT a.id, a.title, a.text, a.relevant, a.themes FROM articles a "
        "WHERE EXISTS (SELECT 1 FROM labels l WHERE l.article_id = a.id "
        "AND l.origin = 'curator' AND l.field = 'relevant') ORDER BY a.id"
    )
    return [
        {"id": r["id"], "text": "\n\n".join(p for p in (r["title"], r["text"]) if p),
         "relevant": bool(r["relevant"]), "themes": json.loads(r["themes"] or "[]")}
        for r in rows
    ]
