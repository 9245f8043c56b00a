"""Atom 1.0 feeds (RFC 4287) of articles, built with ElementTree so every value is escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _stamp(value: str | None) -> str:
    """An RFC 3339 timestamp from an ISO date or datetime."""
    if not value:
        return "1970-01-01T00:00:00Z"
    if len(value) == 10:
        return f"{value}T00:00:00Z"
    return value


def feed(
    *,
    title: str,
    feed_url: str,
    page_url: str,
    items: list[dict[str, Any]],
    article_url: Callable[[str], str],
) -> bytes:
    """The feed document for items (newest first), as UTF-8 bytes."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _el(root, "id", feed_url)
    _el(root, "title", title)
    _el(root, "link", rel="self", href=feed_url, type="application/atom+xml")
    _el(root, "link", rel="alternate", href=page_url, type="text/html")
    _el(root, "generator", "newsdesk")
    updated = max((_stamp(i.get("fetched_at") or i.get("published")) for i in items),
                  default=_stamp(None))
    _el(root, "updated", updated)
    _el(_el(root, "author"), "name", "newsdesk")
    for item in items:
        entry = _el(root, "entry")
        _el(entry, "id", f"urn:newsdesk:article:{item['id']}")
        _el(entry, "title", item.get("title") or "(untitled)")
        _el(entry, "link", rel="alternate", href=article_url(item["id"]), type="text/html")
        if item.get("url"):
            _el(entry, "link", rel="related", href=item["url"])
        _el(entry, "updated", _stamp(item.get("fetched_at") or item.get("published")))
        if item.get("published"):
            _el(entry, "published", _stamp(item["published"]))
        if item.get("summary"):
            _el(entry, "summary", item["summary"], type="text")
        if item.get("primary_country"):
            _el(entry, "category", term=item["primary_country"], label="country")
        for theme in item.get("themes") or []:
            _el(entry, "category", term=theme, label="theme")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
