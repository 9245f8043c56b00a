"""Curator review pages: `/review` (the queue) and `/review/{article_id}` (one item).

Only logged-in curators (publish.auth) see them; everyone else is sent to `/-/login` (GET)
or refused with 403 (POST). A POST to `/review/{article_id}` records one decision through
`db.store.record_review` (curator labels and a reviews row in one transaction; the
effective labels change at once) and moves on to the next item of the queue.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import weakref
from typing import Any
from urllib.parse import parse_qs, urlencode

from datasette.utils.asgi import BadRequest, Base400, NotFound, Response
from sqlite_utils import Database

from db import derived, queries, store
from publish import auth, review_evidence

DB_NAME = "newsdesk"
PAGE = 50
MAX_NOTE = 4000
ISO3 = re.compile(r"^[A-Z]{3}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
SOURCE = re.compile(r"^[a-z0-9-]{1,100}$")
ACTIONS = ("save", "accept", "not_relevant", "next")
LANGUAGES_TTL = 600
_LANGUAGES: weakref.WeakKeyDictionary[Any, tuple[float, list[str]]] = (
    weakref.WeakKeyDictionary()
)


class Conflict(Base400):
    """Another curator decided on the item after this form was opened."""

    status = 409


# -- reading ----------------------------------------------------------------------------------


async def _call(datasette: Any, fn: Any, *args: Any) -> Any:
    db = datasette.get_database(DB_NAME)
    return await db.execute_fn(lambda conn: fn(conn, *args))


def _vocabulary(conn: sqlite3.Connection) -> dict[str, Any]:
    return {
        "themes": derived.themes(conn),
        "countries": [dict(zip(("iso3", "name"), r, strict=True)) for r in conn.execute(
            "SELECT iso3, name FROM countries ORDER BY name")],
        "sources": [dict(zip(("id", "name"), r, strict=True)) for r in conn.execute(
            "SELECT id, name FROM sources ORDER BY id")],
    }


def _filters(request: Any, vocab: dict[str, Any]) -> dict[str, str]:
    """The queue filters of the query string; 400 on an unknown theme, country or source."""
    out: dict[str, str] = {}
    for name in queries.REVIEW_FILTERS:
        value = (request.args.get(name) or "").strip()
        if not value:
            continue
        if name == "country":
            value = value.upper()
            ok = value in {c["iso3"] for c in vocab["countries"]}
        elif name == "theme":
            ok = value in {t["id"] for t in vocab["themes"]}
        elif name == "language":
            ok = bool(LANGUAGE.match(value))
        else:
            ok = bool(SOURCE.match(value)) and value in {s["id"] for s in vocab["sources"]}
        if not ok:
            raise BadRequest(f"Unknown {name} {value!r} in the queue filter")
        out[name] = value
    return out


async def _languages(datasette: Any) -> list[str]:
    """Languages of the stored items, for the filter; a scan, so kept for LANGUAGES_TTL s."""
    stamp, found = _LANGUAGES.get(datasette, (0.0, []))
    if time.monotonic() - stamp > LANGUAGES_TTL:
        found = await _call(datasette, lambda conn: [r[0] for r in conn.execute(
            "SELECT DISTINCT language FROM article_facets WHERE language IS NOT NULL "
            "ORDER BY language")])
        _LANGUAGES[datasette] = (time.monotonic(), found)
    return found


def _query(filters: dict[str, str]) -> str:
    return ("?" + urlencode(filters)) if filters else ""


async def queue_page(datasette: Any, request: Any) -> Response:
    """The items awaiting a curator, most uncertain first, with filters and pages."""
    curator = await auth.require_curator(datasette, request)
    if isinstance(curator, Response):
        return curator
    vocab = await _call(datasette, _vocabulary)
    filters = _filters(request, vocab)
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError as e:
        raise BadRequest("page must be a number") from e
    items = await _call(datasette, lambda conn: queries.review_queue(
        conn, limit=PAGE, offset=(page - 1) * PAGE, **filters))
    total = await _call(datasette, lambda conn: queries.review_queue_size(conn, **filters))
    languages = await _languages(datasette)
    base = datasette.urls.path("/review")
    context = {
        "curator": curator,
        "items": items,
        "total": total,
        "page": page,
        "first": (page - 1) * PAGE,
        "prev_url": base + _query({**filters, "page": str(page - 1)}) if page > 1 else None,
        "next_url": base + _query({**filters, "page": str(page + 1)})
        if page * PAGE < total else None,
        "filters": filters,
        "query": _query(filters),
        "languages": languages,
        **vocab,
    }
    return Response.html(
        await datasette.render_template("review_queue.html", context, request=request),
        headers={"Cache-Control": "no-store"},
    )


def _item_context(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    item = derived.article(conn, article_id)
    if item is None:
        return None
    latest: dict[str, dict[str, Any]] = {}
    for label in item["labels"]:
        latest[f"{label['origin']}:{label['field']}"] = label
    codes = {*item["countries"], item.get("primary_country")}
    for key in ("model:countries", "model:primary_country"):
        value = latest.get(key, {}).get("value")
        codes.update(value if isinstance(value, list) else [value])
    codes.discard(None)
    names: dict[str, list[str]] = {}
    for iso3, name, short, capital in conn.execute(
        "SELECT iso3, name, name_short, capital FROM countries WHERE iso3 IN "
        f"({', '.join('?' for _ in codes)})", sorted(codes),
    ):
        names[iso3] = [n for n in (name, short, capital) if n]
    return {
        "item": item,
        "latest": latest,
        "names": names,
        "review": queries.latest_review(conn, article_id),
        "thresholds": queries.label_thresholds(conn).get(item.get("model_version") or "", {}),
    }


async def _evidence(datasette: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    provider = review_evidence.PROVIDERS.get(datasette)
    if provider is not None:
        try:
            return await asyncio.to_thread(provider, ctx["item"])
        except Exception as e:  # the screen must still work without its evidence
            return {"spans": [], "terms": {}, "other": [], "error": str(e)}
    return review_evidence.reference_evidence(ctx["item"], ctx["names"])


async def item_page(datasette: Any, request: Any) -> Response:
    """One item: text with evidence, every label with its confidence, the decision form."""
    curator = await auth.require_curator(datasette, request)
    if isinstance(curator, Response):
        return curator
    article_id = request.url_vars["article_id"]
    if request.method == "POST":
        return await decide(datasette, request, curator, article_id)
    vocab = await _call(datasette, _vocabulary)
    filters = _filters(request, vocab)
    ctx = await _call(datasette, _item_context, article_id)
    if ctx is None:
        raise NotFound(f"No article with id {article_id}")
    item = ctx["item"]
    evidence = await _evidence(datasette, ctx)
    thresholds = ctx["thresholds"]
    model_themes = ctx["latest"].get("model:themes", {})
    theme_scores = model_themes.get("detail") if isinstance(model_themes.get("detail"),
                                                             dict) else {}
    theme_rows = [
        {"id": t["id"], "name": t["name_en"], "summary": t.get("summary"),
         "checked": t["id"] in item["themes"], "score": theme_scores.get(t["id"]),
         "threshold": thresholds.get(t["id"], queries.DEFAULT_THRESHOLD),
         "terms": evidence.get("terms", {}).get(t["id"], []),
         "curated": "curator:themes" in ctx["latest"]}
        for t in vocab["themes"]
    ]
    country_names = {c["iso3"]: c["name"] for c in vocab["countries"]}
    model_relevant = ctx["latest"].get("model:relevant", {})
    context = {
        "curator": curator,
        "item": item,
        "text": review_evidence.highlight(item.get("text") or "", evidence.get("spans", [])),
        "evidence": evidence,
        "marks": len(evidence.get("spans", [])),
        "theme_rows": theme_rows,
        "relevance": {
            "value": item.get("relevant"),
            "score": model_relevant.get("score"),
            "model_value": model_relevant.get("value"),
            "threshold": thresholds.get("relevant", queries.DEFAULT_THRESHOLD),
            "terms": evidence.get("terms", {}).get("relevant", []),
            "curated": ctx["latest"].get("curator:relevant"),
        },
        "country_rows": [
            {"iso3": c, "name": country_names.get(c, c), "score": item["country_scores"].get(c)}
            for c in item["countries"]
        ],
        "countries": vocab["countries"],
        "country_names": country_names,
        "latest": ctx["latest"],
        "review": ctx["review"],
        "token": str(ctx["review"]["id"]) if ctx["review"] else "0",
        "filters": filters,
        "query": _query(filters),
        "original_url": _safe_url(item.get("url")),
        "archive": datasette.urls.path(f"/archive/{item['id']}")
        if item.get("warc_file") and item.get("warc_record_id") else None,
        "article_url": datasette.urls.path(f"/article/{item['id']}"),
        "accept_ready": item.get("relevant") is not None,
    }
    return Response.html(
        await datasette.render_template("review_item.html", context, request=request),
        headers={"Cache-Control": "no-store"},
    )


def _safe_url(url: str | None) -> str | None:
    from publish.plugin import safe_url  # one definition of a linkable URL

    return safe_url(url)


# -- deciding ---------------------------------------------------------------------------------


def _codes(values: list[str]) -> list[str]:
    """Country codes from repeated fields, each possibly a comma or space separated list."""
    out: list[str] = []
    for raw in values:
        for code in re.split(r"[\s,;]+", raw.strip()):
            if code and code.upper() not in out:
                out.append(code.upper())
    return out


def parse_decision(form: dict[str, list[str]], current: dict[str, Any], themes: set[str],
                   countries: set[str]) -> tuple[str, dict[str, Any], str | None]:
    """(action, labels to record, note) from the posted form; BadRequest when it is invalid.

    `accept` records the effective labels as they stand; `not_relevant` records relevant =
    no (and so no theme); `save` (the default) records the form's fields.
    """
    def one(name: str) -> str:
        return (form.get(name) or [""])[-1].strip()

    action = one("action") or "save"
    if action not in ACTIONS:
        raise BadRequest(f"Unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    note = one("note") or None
    if note and len(note) > MAX_NOTE:
        raise BadRequest(f"The note is longer than {MAX_NOTE} characters")
    if action == "next":
        return action, {}, note
    if action == "accept":
        if current.get("relevant") is None:
            raise BadRequest("This item has no labels yet: there is nothing to accept")
        decision = {k: current.get(k) for k in store.LABEL_FIELDS}
        if not decision["relevant"]:
            decision["themes"] = []
        return action, decision, note
    if action == "not_relevant":
        return action, {"relevant": False, "themes": []}, note
    relevant = one("relevant")
    if relevant not in ("0", "1"):
        raise BadRequest("relevant must be 1 (yes) or 0 (no)")
    chosen = sorted({t.strip() for t in form.get("themes", []) if t.strip()})
    unknown = [t for t in chosen if t not in themes]
    if unknown:
        raise BadRequest(f"Unknown theme(s): {', '.join(unknown)}; the codebook's themes are "
                         f"{', '.join(sorted(themes))}")
    if relevant == "0" and chosen:
        raise BadRequest("A non-relevant item has no theme (CODEBOOK §2): untick the themes "
                         "or mark it relevant")
    primary = one("primary_country").upper() or None
    listed = _codes(form.get("countries", []))
    bad = [c for c in [primary, *listed] if c and (not ISO3.match(c) or c not in countries)]
    if bad:
        raise BadRequest(f"Unknown country code(s): {', '.join(bad)} (ISO 3166-1 alpha-3)")
    if primary and primary not in listed:
        listed.insert(0, primary)
    elif primary:
        listed.remove(primary)
        listed.insert(0, primary)
    decision: dict[str, Any] = {"relevant": relevant == "1", "themes": chosen,
                                "primary_country": primary, "countries": listed}
    same_places = (primary == current.get("primary_country")
                   and set(listed) == set(current.get("countries") or []))
    decision["scope"] = current.get("scope") if same_places and current.get("scope") else (
        "national" if primary else "multi-country" if listed else "global")
    return action, decision, note


def _wrap(conn: sqlite3.Connection) -> Database:
    """A sqlite_utils view of one of Datasette's connections, leaving its pragmas alone."""
    return Database(conn, recursive_triggers=False)


def _normal(field: str, value: Any) -> Any:
    if field == "relevant":
        return None if value is None else bool(value)
    if field == "themes":
        return sorted(value or [])
    if field == "countries":
        return list(value or [])
    return value


def _record(conn: sqlite3.Connection, article_id: str, curator: str, decision: dict[str, Any],
            note: str | None, token: str | None) -> tuple[str, dict[str, Any] | None]:
    """Record the decision unless it repeats the latest one: ("recorded" | "repeated" |
    "conflict", latest review). Runs on Datasette's one write thread, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        latest = queries.latest_review(conn, article_id)
        curated = queries.latest_curator_labels(conn, article_id)
        same = all(f in curated and _normal(f, curated[f]) == _normal(f, v)
                   for f, v in decision.items())
        latest_id = str(latest["id"]) if latest else "0"
        if token is not None and token != latest_id:
            outcome = "repeated" if same else "conflict"
        elif token is None and same and latest and latest["curator"] == curator \
                and (latest["note"] or None) == note:
            outcome = "repeated"
        else:
            store.record_review(_wrap(conn), article_id, curator, decision, note)
            outcome = "recorded"
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcome, latest


async def _next_url(datasette: Any, article_id: str, filters: dict[str, str]) -> str:
    nxt = await _call(datasette, lambda conn: queries.review_next(conn, article_id, **filters))
    if nxt is None:
        return datasette.urls.path("/review") + _query(filters)
    return datasette.urls.path(f"/review/{nxt}") + _query(filters)


async def decide(datasette: Any, request: Any, curator: str, article_id: str) -> Response:
    """Record the posted decision (or skip to the next item) and go to the next item."""
    vocab = await _call(datasette, _vocabulary)
    filters = _filters(request, vocab)
    exists = await _call(datasette, lambda conn: conn.execute(
        "SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone())
    if not exists:
        raise NotFound(f"No article with id {article_id}")
    body = (await request.post_body()).decode("utf-8", errors="replace")
    form = parse_qs(body, keep_blank_values=True)
    current = await _call(datasette, lambda conn: store.effective_labels(_wrap(conn),
                                                                         article_id))
    action, decision, note = parse_decision(
        form, current, {t["id"] for t in vocab["themes"]},
        {c["iso3"] for c in vocab["countries"]})
    # where the item stands in the queue before the decision takes it out
    next_url = await _next_url(datasette, article_id, filters)
    if action == "next":
        return Response.redirect(next_url)
    token = (form.get("review_token") or [None])[-1]
    outcome, latest = await datasette.get_database(DB_NAME).execute_write_fn(
        lambda conn: _record(conn, article_id, curator, decision, note, token), block=True)
    if outcome == "conflict":
        assert latest is not None
        raise Conflict(
            f"{latest['curator']} reviewed this item at {latest['created_at']}, after you "
            "opened it, and decided otherwise. Reload the page to see their decision.")
    label = {"accept": "Accepted", "not_relevant": "Marked not relevant",
             "save": "Saved"}[action]
    if outcome == "repeated":
        datasette.add_message(request, "That decision was already recorded.", datasette.INFO)
    else:
        datasette.add_message(request, f"{label}: {article_id}.", datasette.INFO)
    return Response.redirect(next_url)


def routes() -> list[tuple[str, Any]]:
    """The review pages."""
    return [
        (r"^/review$", queue_page),
        (r"^/review/(?P<article_id>[0-9a-f]{16})$", item_page),
    ]
