"""Datasette plugin hooks: newsdesk's pages, feeds, cell links and connection settings.

Registered by publish.app.make_datasette (no installation step). Pages:
`/` home (theme timeline, map), `/country/{ISO3}` news by country, `/article/{id}` one item,
`/archive/{id}` its archived copy from the WARC, Atom feeds at `/country/{ISO3}.atom` and
`/feeds/articles.atom?country=...&theme=...`.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from db import derived
from publish import atom, auth, review, svg, warc

DB_NAME = "newsdesk"
ARCHIVE_DIRS: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
ISO3 = re.compile(r"^[A-Z]{3}$")
FEED_LIMIT = 50
PER_THEME = 20
# SQLite page cache and memory map per connection: the 1M-article benchmark's hot pages
# (FTS doclists, the indexes facets read) stay in memory between requests.
CACHE_KIB = 262144
MMAP_BYTES = 0x7FFF0000  # the most SQLite builds allow (SQLITE_MAX_MMAP_SIZE)


def safe_url(url: str | None) -> str | None:
    """url when it is http(s), else None: a stored javascript: URL never becomes a link."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


async def _call(datasette: Any, fn: Any, *args: Any) -> Any:
    db = datasette.get_database(DB_NAME)
    return await db.execute_fn(lambda conn: fn(conn, *args))


async def _check(datasette: Any, request: Any) -> None:
    await datasette.ensure_permissions(
        request.actor, [("view-database", DB_NAME), "view-instance"]
    )


async def _theme_names(datasette: Any) -> dict[str, str]:
    return {t["id"]: t["name_en"] for t in await _call(datasette, derived.themes)}


async def home(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    themes = await _call(datasette, derived.themes)
    names = {t["id"]: t["name_en"] for t in themes}
    countries = await _call(datasette, derived.country_counts)
    months = await _call(datasette, derived.theme_months)
    context = {
        "metadata": datasette.metadata(),
        "totals": await _call(datasette, derived.totals),
        "themes": themes,
        "countries": countries,
        "timeline": Markup(svg.theme_timeline(months, names)),
        "world_map": Markup(svg.world_map(countries, link=datasette.urls.path("/country/"))),
    }
    return Response.html(
        await datasette.render_template("newsdesk_home.html", context, request=request)
    )


async def country_page(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    iso3 = request.url_vars["iso3"]
    if iso3 != iso3.upper():
        return Response.redirect(datasette.urls.path(f"/country/{iso3.upper()}"))
    country = await _call(datasette, derived.country, iso3)
    if country is None:
        raise NotFound(f"No country with code {iso3}")
    themes = await _call(datasette, derived.themes)
    totals = await _call(datasette, derived.country_theme_totals, iso3)
    sections = []
    for theme in [*themes, None]:
        tid = theme["id"] if theme else None
        if not totals.get(tid if tid else ""):
            continue  # counted by triggers: no need to look for items that are not there
        items = await _call(datasette, derived.country_items, iso3, tid, PER_THEME)
        if not items:
            continue
        table_args = {"primary_country": iso3, "relevant": 1}
        if tid:
            table_args["themes__arraycontains"] = tid
        sections.append({
            "theme": theme,
            "count": totals.get(tid, 0) if tid else None,
            "items": items,
            "more": datasette.urls.table(DB_NAME, "articles") + "?" + urlencode(table_args),
            "feed": datasette.urls.path("/feeds/articles.atom?"
                                        + urlencode({"country": iso3, "theme": tid}))
            if tid else None,
        })
    context = {
        "country": country,
        "total": totals.get("*", 0),
        "themes": themes,
        "totals": totals,
        "sections": sections,
        "feed": datasette.urls.path(f"/country/{iso3}.atom"),
        "table": datasette.urls.table(DB_NAME, "articles") + "?"
        + urlencode({"primary_country": iso3}),
    }
    return Response.html(
        await datasette.render_template("newsdesk_country.html", context, request=request)
    )


async def article_page(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    item = await _call(datasette, derived.article, request.url_vars["article_id"])
    if item is None:
        raise NotFound("No such article")
    themes = await _call(datasette, derived.themes)
    theme_rows = [
        {"id": t["id"], "name": t["name_en"], "assigned": t["id"] in item["themes"],
         "score": item["theme_scores"].get(t["id"]) if isinstance(item["theme_scores"], dict)
         else None,
         "bar": Markup(svg.bar(item["theme_scores"].get(t["id"])
                               if isinstance(item["theme_scores"], dict) else None))}
        for t in themes
    ]
    context = {
        "item": item,
        "original_url": safe_url(item.get("url")),
        "canonical_url": safe_url(item.get("canonical_url")),
        "theme_rows": theme_rows,
        "relevance_bar": Markup(svg.bar(item.get("relevance_score"))),
        "archive": datasette.urls.path(f"/archive/{item['id']}")
        if item.get("warc_file") and item.get("warc_record_id") else None,
        "row_url": datasette.urls.row(DB_NAME, "articles", item["id"]),
    }
    return Response.html(
        await datasette.render_template("newsdesk_article.html", context, request=request)
    )


async def archive(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    item = await _call(datasette, derived.article, request.url_vars["article_id"])
    if item is None or not item.get("warc_file") or not item.get("warc_record_id"):
        raise NotFound("No archived copy of this article")
    path = Path(item["warc_file"])
    if not path.is_absolute():
        path = ARCHIVE_DIRS.get(datasette, Path(".")) / path
    if not path.is_file():
        raise NotFound(f"The archive file {item['warc_file']} is not on this server")
    record = warc.find_record(path, item["warc_record_id"])
    if record is None:
        raise NotFound("The archive file holds no record with this id")
    # a download, never rendered in our origin: archived pages carry their own scripts
    return Response(
        record.body,
        content_type=record.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{item["id"]}.archived"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "WARC-Record-ID": item["warc_record_id"],
        },
    )


def _selection(request: Any, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


async def _feed(datasette: Any, request: Any, countries: list[str], themes: list[str],
                page: str) -> Response:
    countries = [c.upper() for c in countries]
    bad = [c for c in countries if not ISO3.match(c)]
    known = set(await _theme_names(datasette))
    bad += [t for t in themes if t not in known]
    if bad:
        return Response.text(f"Unknown country or theme: {', '.join(bad)}", status=400)
    items = await _call(datasette, lambda conn: derived.feed_items(
        conn, countries, themes, limit=FEED_LIMIT))
    label = " · ".join(filter(None, [", ".join(countries), ", ".join(themes)])) or "all"
    body = atom.feed(
        title=f"newsdesk: {label}",
        feed_url=datasette.absolute_url(request, request.full_path),
        page_url=datasette.absolute_url(request, datasette.urls.path(page)),
        items=items,
        article_url=lambda aid: datasette.absolute_url(
            request, datasette.urls.path(f"/article/{aid}")),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


async def country_feed(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    iso3 = request.url_vars["iso3"].upper()
    return await _feed(datasette, request, [iso3], _selection(request, "theme"),
                       f"/country/{iso3}")


async def articles_feed(datasette: Any, request: Any) -> Response:
    await _check(datasette, request)
    return await _feed(datasette, request, _selection(request, "country"),
                       _selection(request, "theme"), "/")


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/$", home),
        (r"^/country/(?P<iso3>[A-Za-z]{3})$", country_page),
        (r"^/country/(?P<iso3>[A-Za-z]{3})\.atom$", country_feed),
        (r"^/feeds/articles\.atom$", articles_feed),
        (r"^/article/(?P<article_id>[0-9a-f]{16})$", article_page),
        (r"^/archive/(?P<article_id>[0-9a-f]{16})$", archive),
        *auth.routes(),
        *review.routes(),
    ]


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database == DB_NAME:
        auth.hide_password_hashes(conn)
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str, database: str,
                datasette: Any) -> Any:
    """Article titles link to the article page; ISO3 country codes to the country page."""
    if database != DB_NAME:
        return None
    if table == "articles" and column == "title" and value and "id" in row.keys():
        href = datasette.urls.path(f"/article/{row['id']}")
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    if column in ("primary_country", "iso3") and isinstance(value, str) and ISO3.match(value):
        href = datasette.urls.path(f"/country/{value}")
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def menu_links(datasette: Any, actor: Any) -> list[dict[str, str]]:
    return auth.menu_links(datasette, actor)


@hookimpl
def permission_allowed(actor: Any, action: str, resource: Any) -> bool | None:
    """Nobody browses the curator accounts table (its hashes read as NULL anyway)."""
    if action == "view-table" and resource == (DB_NAME, "curators"):
        return False
    return None


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/newsdesk-static/newsdesk.css")]
