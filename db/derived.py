"""Read helpers for publication: the home page, country pages, article pages and feeds.

Each takes a plain sqlite3 connection (Datasette's `execute_fn` hands one over) and returns
plain dicts. The aggregates read `article_counts`, which triggers keep in step with every
article write (migration m004_publish), so none of these scans the articles table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

ARTICLE_LIST_COLUMNS = (
    "id, title, url, published, language, kind, source_type, source_id, primary_country, "
    "themes, relevant, relevance_score, labelled_by"
)


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    rows = _rows(conn, sql, params)
    return rows[0] if rows else None


def _loads(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def _decode(item: dict[str, Any]) -> dict[str, Any]:
    item["themes"] = _loads(item.get("themes"), [])
    return item


def themes(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The codebook's themes in their order."""
    return _rows(conn, "SELECT * FROM themes ORDER BY position")


def totals(conn: sqlite3.Connection) -> dict[str, int]:
    """Articles in all, relevant, and countries with at least one relevant article."""
    row = conn.execute(
        "SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN relevant = 1 THEN n END), 0), "
        "count(DISTINCT CASE WHEN relevant = 1 AND primary_country != '' "
        "THEN primary_country END) FROM article_counts WHERE theme = '*'"
    ).fetchone()
    return {"articles": row[0], "relevant": row[1], "countries": row[2]}


def theme_months(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Relevant items per theme and month (YYYY-MM), oldest first."""
    return _rows(
        conn,
        "SELECT month, theme, sum(n) AS items FROM article_counts "
        "WHERE relevant = 1 AND theme != '*' AND month != '' GROUP BY month, theme "
        "ORDER BY month, theme",
    )


def country_counts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per country with relevant items: name, region, map point and items per theme."""
    return _rows(conn, "SELECT * FROM country_theme_counts ORDER BY items DESC, iso3")


def country(conn: sqlite3.Connection, iso3: str) -> dict[str, Any] | None:
    """The reference row of a country, or None."""
    return _one(conn, "SELECT * FROM countries WHERE iso3 = ?", [iso3])


def country_theme_totals(conn: sqlite3.Connection, iso3: str) -> dict[str, int]:
    """Relevant items of a country: '*' for all, '' for those with no theme, then per theme."""
    rows = conn.execute(
        "SELECT theme, sum(n) FROM article_counts WHERE primary_country = ? AND relevant = 1 "
        "GROUP BY theme",
        [iso3],
    ).fetchall()
    return {theme: n for theme, n in rows}


def country_items(
    conn: sqlite3.Connection, iso3: str, theme: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """Newest relevant items whose primary country is iso3, of one theme (None: no theme).

    Selected on the narrow article_facets copy (index on country and date), so a country
    with tens of thousands of items costs no more than one with ten.
    """
    if theme is None:
        cond = "(f.themes IS NULL OR f.themes IN ('', '[]'))"
        params: list[Any] = [iso3, limit]
    else:
        cond = "EXISTS (SELECT 1 FROM json_each(f.themes) WHERE value = ?)"
        params = [iso3, theme, limit]
    columns = ", ".join(f"a.{c.strip()}" for c in ARTICLE_LIST_COLUMNS.split(","))
    return [
        _decode(r)
        for r in _rows(
            conn,
            f"SELECT {columns} FROM article_facets AS f "
            "JOIN articles AS a ON a.rowid = f.article_rowid "
            f"WHERE f.primary_country = ? AND f.relevant = 1 AND {cond} "
            "ORDER BY f.published DESC, f.id LIMIT ?",
            params,
        )
    ]


def feed_items(
    conn: sqlite3.Connection,
    countries: Sequence[str] = (),
    themes: Sequence[str] = (),
    *,
    relevant_only: bool = True,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest items for a selection of primary countries and themes (any of each), with text."""
    # with countries, select on the narrow copy (index on country and date); without, walk
    # the articles' date index
    t = "f" if countries else "a"
    where = []
    params: list[Any] = []
    if countries:
        where.append(f"f.primary_country IN ({', '.join('?' for _ in countries)})")
        params.extend(countries)
    if themes:
        where.append(
            f"EXISTS (SELECT 1 FROM json_each({t}.themes) "
            f"WHERE value IN ({', '.join('?' for _ in themes)}))"
        )
        params.extend(themes)
    if relevant_only:
        where.append(f"{t}.relevant = 1")
    columns = ", ".join(f"a.{c.strip()}" for c in ARTICLE_LIST_COLUMNS.split(","))
    source = ("article_facets AS f JOIN articles AS a ON a.rowid = f.article_rowid"
              if countries else "articles AS a")
    sql = (
        f"SELECT {columns}, a.fetched_at, substr(a.text, 1, 600) AS summary FROM {source}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {t}.published DESC, {t}.id LIMIT ?"
    )
    return [_decode(r) for r in _rows(conn, sql, [*params, limit])]


def article(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    """One article with its source, country name, label history and latest scores."""
    item = _one(conn, "SELECT * FROM articles WHERE id = ?", [article_id])
    if item is None:
        return None
    _decode(item)
    item["countries"] = _loads(item.get("countries"), [])
    item["authors"] = _loads(item.get("authors"), [])
    item["theme_scores"] = _loads(item.get("theme_scores"), {})
    item["source"] = _one(conn, "SELECT id, name, country, source_type, language FROM sources "
                                "WHERE id = ?", [item["source_id"]])
    names = dict(conn.execute(
        "SELECT iso3, name FROM countries WHERE iso3 IN "
        "(SELECT value FROM json_each(?)) OR iso3 = ?",
        [json.dumps(item["countries"]), item.get("primary_country")],
    ).fetchall())
    item["country_names"] = names
    labels = _rows(
        conn,
        "SELECT field, value, score, detail, origin, model_version, curator, created_at "
        "FROM labels WHERE article_id = ? ORDER BY id",
        [article_id],
    )
    for label in labels:
        label["value"] = _loads(label["value"], label["value"])
        label["detail"] = _loads(label["detail"], None)
    item["labels"] = labels
    latest_model: dict[str, dict[str, Any]] = {}
    for label in labels:
        if label["origin"] == "model":
            latest_model[label["field"]] = label
    country_scores = latest_model.get("countries", {}).get("detail") or {}
    item["country_scores"] = country_scores if isinstance(country_scores, dict) else {}
    item["reviews"] = _rows(
        conn,
        "SELECT curator, created_at, before, after, note FROM reviews WHERE article_id = ? "
        "ORDER BY id",
        [article_id],
    )
    return item
