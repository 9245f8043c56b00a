"""Full-text search and facets that stay fast at a million articles.

Replacements for three Datasette defaults, installed by publish.app.make_datasette; every
other table behaves exactly as in Datasette (these delegate to its own code):

- `search_filters`: `?_search=` on `newsdesk.articles` first counts the matches in the FTS
  index alone (milliseconds). Above SEARCH_CAP matches, the page, its count and its facets
  cover the SEARCH_CAP matching items collected most recently, and the page says so with the
  total; below the cap nothing changes. The clause selects article ids through
  `article_facets`, so Datasette's row count reads the id index, not the articles' pages.
- Column and array facets of `newsdesk.articles` are computed on `article_facets`, the narrow
  copy of the facet columns that triggers keep in step (migration m004_publish): a row there
  is ~100 bytes against kilobytes of text in articles. All column facets come from one
  GROUP BY pass. If a filter names a column the copy lacks, they fall back to Datasette's
  queries on articles.

Why: any SQLite plan for "rows matching a search" touches each matching row, at 2-20 us per
row on a 5 GB table; a common word matches 100,000+ articles (docs/publish.md, bench/).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from typing import Any

from datasette import facets as ds_facets
from datasette import filters as ds_filters
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest

from db.schema import FACET_COLUMNS

DB_NAME = "newsdesk"
SEARCH_TABLE = "articles"
FTS_TABLE = "articles_fts"
FACETS_TABLE = "article_facets"
SEARCH_CAP = 2000
PROBE_LIMIT = 100_000  # matches counted exactly; more shows as "more than 100,000"
MAX_COMBINATIONS = 20000
NARROW_COLUMNS = frozenset(FACET_COLUMNS) | {"year", "who_region", "income_group", "rowid"}
SELECT_FROM_ARTICLES = re.compile(r"^\s*select .+? from articles\b", re.S | re.I)


@hookimpl(specname="filters_from_request")
def where_filters(request: Any, database: str, datasette: Any) -> Any:
    return ds_filters.where_filters(request=request, database=database, datasette=datasette)


@hookimpl(specname="filters_from_request")
def through_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    return ds_filters.through_filters(
        request=request, database=database, table=table, datasette=datasette
    )


@hookimpl(specname="filters_from_request")
def search_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    if database != DB_NAME or table != SEARCH_TABLE or "_search" not in request.args:
        return ds_filters.search_filters(
            request=request, database=database, table=table, datasette=datasette
        )

    async def inner() -> FilterArguments:
        search = request.args["_search"]
        raw = datasette.table_metadata(database, table).get("searchmode") == "raw"
        if request.args.get("_searchmode") in ("raw", "escaped"):
            raw = request.args["_searchmode"] == "raw"
        match = ":search" if raw else "escape_fts(:search)"
        db = datasette.get_database(database)
        try:
            total = (await db.execute(
                f"select count(*) from (select rowid from {FTS_TABLE} "
                f"where {FTS_TABLE} match {match} limit {PROBE_LIMIT + 1})",
                {"search": search},
            )).first()[0]
        except sqlite3.OperationalError as e:
            raise BadRequest(f"Invalid search {search!r}: {e}") from e
        context: dict[str, Any] = {"supports_search": True, "search": search,
                                   "search_total": total, "search_cap": None}
        limit = ""
        human = f'search matches "{search}"'
        if total > SEARCH_CAP:
            limit = f" order by rowid desc limit {SEARCH_CAP}"
            many = f"more than {PROBE_LIMIT:,}" if total > PROBE_LIMIT else f"{total:,}"
            human += (f" ({many} items; these are the {SEARCH_CAP:,} collected most "
                      "recently: add words or filters to narrow the search)")
            context["search_cap"] = SEARCH_CAP
        clause = _clauses(match, limit)[0]
        return FilterArguments([clause], {"search": search}, [human], context)

    return inner


def _clauses(match: str, limit: str) -> tuple[str, str]:
    """The search clause on articles (ids, so a count reads only the id index) and the same
    selection on article_facets (by rowid, no index needed)."""
    matches = f"select rowid from {FTS_TABLE} where {FTS_TABLE} match {match}{limit}"
    return (f"id in (select id from {FACETS_TABLE} where article_rowid in ({matches}))",
            f"article_rowid in ({matches})")


def _narrow(facet: Any, columns: list[str]) -> str | None:
    """The facet's SQL reading article_facets instead of articles, where that applies.

    Only when the faceted columns and every filtered column are in article_facets: a filter
    on another column is SQL naming a column the copy lacks, which SQLite would silently read
    as a string literal ("title" like ...), not an error.
    """
    if facet.database != DB_NAME or facet.table != SEARCH_TABLE:
        return None
    args = facet.request.args
    if "_where" in args or "_through" in args or not set(columns) <= NARROW_COLUMNS:
        return None
    for key in args:
        if not (key.startswith("_") and "__" not in key):
            if key.rsplit("__", 1)[0] not in NARROW_COLUMNS:
                return None
    narrow, n = SELECT_FROM_ARTICLES.subn(f"select * from {FACETS_TABLE}", facet.sql, count=1)
    if not n:
        return None
    for match in (":search", "escape_fts(:search)"):
        for limit in ("", f" order by rowid desc limit {SEARCH_CAP}"):
            wide, slim = _clauses(match, limit)
            narrow = narrow.replace(wide, slim)
    return narrow


def _order(item: tuple[Any, int]) -> tuple[int, int, Any]:
    value, count = item
    rank = 0 if isinstance(value, int | float) else 1
    return (-count, rank, value if rank else float(value))


class ColumnFacet(ds_facets.ColumnFacet):
    """Datasette's column facet, with every column counted in one query when possible."""

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        configs = self.get_configs()
        columns = [c["config"].get("column") or c["config"]["simple"] for c in configs]
        if len(columns) < 2 or len(set(columns)) != len(columns):
            return await super().facet_results()
        cols = ", ".join(escape_sqlite(c) for c in columns)
        rows = None
        for source in filter(None, (_narrow(self, columns), self.sql)):
            sql = (f"select {cols}, count(*) from ({source}) group by {cols} "
                   f"limit {MAX_COMBINATIONS + 1}")
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
                break
            except QueryInterrupted:
                return [], columns
            except sqlite3.OperationalError:
                continue  # a filter on a column article_facets lacks: use articles
        if rows is None:
            return await super().facet_results()
        if len(rows.rows) > MAX_COMBINATIONS:
            return await super().facet_results()
        counts: list[Counter[Any]] = [Counter() for _ in columns]
        for row in rows.rows:
            n = row[len(columns)]
            for i in range(len(columns)):
                if row[i] is not None:
                    counts[i][row[i]] += n
        try:
            orders = [sorted(counter.items(), key=_order) for counter in counts]
        except TypeError:  # values of kinds Python cannot order together (text and blobs)
            return await super().facet_results()
        facet_size = self.get_facet_size()
        qs_pairs = self.get_querystring_pairs()
        results = []
        for source_and_config, column, ordered in zip(configs, columns, orders, strict=True):
            shown = ordered[:facet_size]
            expanded = {}
            if self.table:
                expanded = await self.ds.expand_foreign_keys(
                    self.database, self.table, column, [v for v, _ in shown]
                )
            values = []
            for value, count in shown:
                column_qs = f"{column}__exact" if column.startswith("_") else column
                selected = (column_qs, str(value)) in qs_pairs
                if selected:
                    toggle = path_with_removed_args(self.request, {column_qs: str(value)})
                else:
                    toggle = path_with_added_args(self.request, {column_qs: value})
                values.append({
                    "value": value,
                    "label": expanded.get((column, value), value),
                    "count": count,
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                    "selected": selected,
                })
            results.append({
                "name": column,
                "type": self.type,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {"_facet": column})
                ),
                "results": values,
                "truncated": len(ordered) > facet_size,
            })
        return results, []


class ArrayFacet(ds_facets.ArrayFacet):
    """Datasette's array facet, deduplicating on (primary key, value) rather than whole rows.

    Datasette's query runs DISTINCT over every column of every matching row, article text
    included; with a primary key, the key and the array are enough.
    """

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        pks = await self.ds.get_database(self.database).primary_keys(self.table) \
            if self.table else []
        if not pks:
            return await super().facet_results()
        original = self.sql
        columns = [c["config"].get("column") or c["config"]["simple"]
                   for c in self.get_configs()]
        source = _narrow(self, columns) or original
        keys = ", ".join(escape_sqlite(k) for k in pks)
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = escape_sqlite(config.get("column") or config["simple"])
            # super() wraps self.sql as `inner` and DISTINCTs `inner.*`: hand it only the
            # primary key and the array column, so that is all it carries along
            self.sql = f"select {keys}, {column} from ({source}) where json_valid({column})"
            self.get_configs = lambda sc=source_and_config: [sc]  # type: ignore[method-assign]
            try:
                got, late = await super().facet_results()
            finally:
                self.sql = original
                del self.get_configs
            results += got
            timed_out += late
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    return [ColumnFacet, ds_facets.DateFacet, ArrayFacet]
