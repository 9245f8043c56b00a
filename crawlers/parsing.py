"""Parsing of entry pages: RSS/Atom feeds, sitemaps and sitemap indexes, listing pages.

Pure functions of bytes, shared by the spider and `newsdesk sources check`. Broken XML is
read in recover mode; what cannot be read at all raises `EntryPageError`.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
_XML = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
_FEED_DATES = ("published", "pubDate", "date", "issued")


class EntryPageError(ValueError):
    """An entry page (feed, sitemap, listing) could not be read."""


def parse_when(value: str | None) -> datetime | None:
    """A feed or sitemap date (RFC 822 or ISO 8601, date only allowed) as aware UTC."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _xml(body: bytes) -> Any:
    try:
        root = etree.fromstring(body, parser=_XML)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    return root


@dataclass
class FeedEntry:
    """One item or entry of a feed: its link (None when unusable) and publication date."""

    link: str | None
    published: datetime | None


def feed_entries(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed, links made absolute."""
    root = _xml(body)
    entries = [] if root is None else [
        el for el in root.iter() if _local(el.tag) in ("item", "entry")
    ]
    if not entries:
        raise EntryPageError("feed has no items or entries")
    out = []
    for entry in entries:
        fields: dict[str, str] = {}
        for child in entry:
            name = _local(child.tag)
            if name == "link":
                href = child.get("href") or (child.text or "")
                if child.get("rel", "alternate") == "alternate" and href.strip():
                    fields.setdefault("link", href.strip())
            elif name == "guid" and child.get("isPermaLink", "true") != "false":
                fields.setdefault("guid", (child.text or "").strip())
            elif name in _FEED_DATES:
                fields.setdefault(name, (child.text or "").strip())
        link = urljoin(base_url, fields.get("link") or fields.get("guid") or "")
        usable = link.startswith(("http://", "https://")) and link != base_url
        when = next((parse_when(fields[k]) for k in _FEED_DATES if k in fields), None)
        out.append(FeedEntry(link if usable else None, when))
    return out


@dataclass
class SitemapEntry:
    """A <url> or <sitemap> of a sitemap: location, lastmod, news publication date."""

    loc: str
    lastmod: datetime | None
    published: datetime | None


def sitemap_entries(body: bytes) -> tuple[str, list[SitemapEntry]]:
    """('urlset' or 'sitemapindex', entries) of a sitemap, gzipped or not."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
                body = f.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError, zlib.error) as e:  # zlib.error: a corrupt deflate stream
            raise EntryPageError(f"bad gzip sitemap: {e}") from None
    root = _xml(body)
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise EntryPageError("not a sitemap or sitemap index")
    entries = []
    for entry in root:
        fields = {_local(el.tag): (el.text or "").strip() for el in entry.iter()}
        if fields.get("loc"):
            entries.append(SitemapEntry(fields["loc"], parse_when(fields.get("lastmod")),
                                        parse_when(fields.get("publication_date"))))
    return _local(root.tag), entries


def listing_links(text: str, base_url: str, link_selector: str,
                  next_selector: str | None) -> tuple[list[str], str | None]:
    """Article links and the next page's URL of a listing page (CSS selectors)."""
    sel = Selector(text=text)
    try:
        links = [urljoin(base_url, h.strip())
                 for h in sel.css(f"{link_selector}::attr(href)").getall() if h.strip()]
        nxt = sel.css(f"{next_selector}::attr(href)").get() if next_selector else None
    except Exception as e:  # cssselect raises its own errors on bad selectors
        raise EntryPageError(f"bad selector: {e}") from None
    return links, urljoin(base_url, nxt.strip()) if nxt and nxt.strip() else None
