"""The registry-driven spider: feeds (RSS/Atom), sitemaps (and indexes), listing pages."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawlers.extract import ExtractionError, extract_any
from crawlers.registry import Source, load_registry, select
from db.ids import text_sha1

KIND_BY_TYPE = {"press": "news", "government": "press-release", "multilateral": "blog"}


def utcnow() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def error_kind(failure: Failure) -> str:
    """The crawl_errors kind of a failed request."""
    if failure.check(HttpError):
        return f"http-{failure.value.response.status}"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(ConnectionRefusedError):
        return "connection-refused"
    if failure.check(scrapy.exceptions.IgnoreRequest):
        return "robots" if "robots" in str(failure.value).lower() else "ignored"
    return type(failure.value).__name__.lower()


class RegistrySpider(scrapy.Spider):
    """Crawls the sources of a registry file and yields Article items (DESIGN §4.1)."""

    name = "registry"

    def __init__(self, sources: str, source: str = "", known: str = "", report: str = "",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ids = [s for s in source.split(",") if s]
        self.sources: dict[str, Source] = {
            s.id: s for s in select(load_registry(sources), ids)
        }
        self.allowed_domains = sorted({d for s in self.sources.values() for d in s.allowed_domains})
        self.known: set[str] = set()
        if known and Path(known).is_file():
            self.known = set(Path(known).read_text(encoding="utf-8").split())
        self.report_path = report
        self.pages: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.skipped_known: Counter[str] = Counter()
        self.entry_failures: Counter[str] = Counter()
        self.errors: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.seen: set[str] = set()

    # -- requests --------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for src in self.sources.values():
            for url in src.feeds:
                yield self._request(url, src, self.parse_feed, entry=True)
            for url in src.sitemaps:
                yield self._request(url, src, self.parse_sitemap, entry=True)
            for url in src.start_urls:
                yield self._request(url, src, self.parse_listing, entry=True)

    def _request(self, url: str, src: Source, callback: Any, entry: bool = False,
                 **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error,
            meta={"source_id": src.id, "entry": entry, **meta},
            dont_filter=entry,
        )

    def _article(self, url: str, src: Source, **meta: Any) -> scrapy.Request | None:
        if not src.allows(url) or url in self.seen:
            return None
        self.seen.add(url)
        if url in self.known:
            self.skipped_known[src.id] += 1
            return None
        return self._request(url, src, self.parse_article, **meta)

    def _source(self, response: Response) -> Source:
        src = self.sources[response.meta["source_id"]]
        self.pages[src.id] += 1
        return src

    # -- callbacks -------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._source(response)
        sel = scrapy.Selector(response, type="xml")
        sel.remove_namespaces()
        entries = sel.xpath("//item | //entry")
        if not entries:
            self._record(src, response.url, "parse", "feed has no items or entries")
        for entry in entries:
            link = (
                entry.xpath("link[not(@rel) or @rel='alternate']/@href").get()
                or entry.xpath("link/text()").get()
                or entry.xpath("guid[not(@isPermaLink='false')]/text()").get()
            )
            if not link:
                continue
            req = self._article(response.urljoin(link.strip()), src)
            if req:
                yield req

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._source(response)
        try:
            sitemap = Sitemap(response.body)
        except Exception as e:  # lxml raises several kinds on broken XML
            self._record(src, response.url, "parse", f"bad sitemap: {e}")
            return
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                if src.allows(loc):
                    yield self._request(loc, src, self.parse_sitemap)
            else:
                req = self._article(loc, src, lastmod=entry.get("lastmod"))
                if req:
                    yield req

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._source(response)
        if not isinstance(response, TextResponse):
            self._record(src, response.url, "parse", "listing page is not text")
            return
        for href in response.css(f"{src.link_selector}::attr(href)").getall():
            req = self._article(response.urljoin(href.strip()), src)
            if req:
                yield req
        if src.next_selector:
            nxt = response.css(f"{src.next_selector}::attr(href)").get()
            if nxt:
                url = response.urljoin(nxt.strip())
                if src.allows(url) and url not in self.seen:
                    self.seen.add(url)
                    yield self._request(url, src, self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[Any]:
        src = self._source(response)
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            out = extract_any(response.body, response.url, content_type)
        except ExtractionError as e:
            self._record(src, response.url, "parse", str(e))
            return
        canonical = out.pop("canonical_url", None)
        if not canonical or not src.allows(canonical):
            canonical = response.url
        kind = out.pop("kind", None) or KIND_BY_TYPE.get(src.source_type, "news")
        self.items[src.id] += 1
        yield {
            "url": response.url,
            "canonical_url": canonical,
            "source_id": src.id,
            "fetched_at": utcnow(),
            "http_status": response.status,
            "content_type": content_type.split(";")[0].strip() or None,
            **out,
            "kind": kind,
            "source_type": src.source_type,
            "source_country": src.country,
            "content_sha1": text_sha1(out["text"]),
            "warc_file": None,
            "warc_record_id": None,
        }
        if src.documents and isinstance(response, TextResponse) and kind != "document":
            for href in response.css("a[href]::attr(href)").getall():
                url = response.urljoin(href.strip())
                if url.lower().split("?")[0].endswith(".pdf"):
                    req = self._article(url, src)
                    if req:
                        yield req

    # -- errors and report -------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        src = self.sources[request.meta["source_id"]]
        if request.meta.get("entry"):
            self.entry_failures[src.id] += 1
        self._record(src, request.url, error_kind(failure), str(failure.value)[:500])

    def _record(self, src: Source, url: str, kind: str, detail: str) -> None:
        self.errors[src.id].append({"url": url, "kind": kind, "detail": detail, "at": utcnow()})

    def closed(self, reason: str) -> None:
        if not self.report_path:
            return
        report = {"reason": reason, "finished_at": utcnow(), "sources": {}}
        for sid, src in self.sources.items():
            entries = len(src.feeds) + len(src.sitemaps) + len(src.start_urls)
            failed = self.entry_failures[sid] >= entries
            errors = self.errors[sid]
            report["sources"][sid] = {
                "pages": self.pages[sid],
                "items": self.items[sid],
                "skipped_known": self.skipped_known[sid],
                "errors": errors,
                "status": "failed" if failed else ("partial" if errors else "ok"),
            }
        Path(self.report_path).write_text(json.dumps(report, indent=1), encoding="utf-8")
