"""The registry-driven spider: feeds (RSS/Atom), sitemaps (and indexes), listing pages.

Incremental by design (docs/crawling.md): entry pages are fetched with conditional requests,
known articles are skipped unless their sitemap `lastmod` is newer than the source's last
successful crawl or they are recent enough to change, and the URLs that failed for a
transient reason last time are retried first. Every response is logged in `fetches.jsonl`
(validators for the next run) and every body archived by crawlers.warc.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawlers.extract import ExtractionError, extract_any
from crawlers.parsing import (
    EntryPageError,
    feed_entries,
    listing_links,
    parse_when,
    sitemap_entries,
)
from crawlers.registry import Source, load_registry, select
from crawlers.urls import canonicalize, choose_canonical, strip_tracking
from db.ids import text_sha1

KIND_BY_TYPE = {"press": "news", "government": "press-release", "multilateral": "blog"}


def utcnow() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def error_kind(failure: Failure) -> str:
    """The crawl_errors kind of a failed request (DESIGN §4.2)."""
    value = failure.value
    if failure.check(HttpError):
        return f"http-{value.response.status}"
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "dns"
    if failure.check(DownloadTimeoutError, TxTimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(ResponseDataLossError):
        return "truncated"
    if failure.check(DownloadCancelledError):  # nothing but DOWNLOAD_MAXSIZE cancels ours
        return "too-large"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection-refused"
    if failure.check(DownloadFailedError):
        return "connection-lost"
    if failure.check(IgnoreRequest):
        message = str(value).lower()
        if "robots" in message:
            return "robots"
        if "redirect" in message:
            return "redirect-loop"
        if "max size" in message:
            return "too-large"
        if "offsite" in message:
            return "offsite"
        return "ignored"
    return type(value).__name__.lower()


def document_links(response: TextResponse) -> list[str]:
    """Absolute URLs of the PDF documents a page links to."""
    links = []
    for link in response.css("a[href]"):
        url = response.urljoin((link.attrib.get("href") or "").strip())
        typ = (link.attrib.get("type") or "").lower()
        if url.lower().split("?")[0].endswith(".pdf") or "pdf" in typ:
            links.append(url)
    return links


def _extract_job(body: bytes, url: str, content_type: str, feed_date: str | None,
                 links: bool = False) -> tuple[str, Any, list[str]]:
    """Run in a worker process: extraction result (or the error's kind and message), and,
    when `links`, the page's PDF links (parsing the page again is CPU work as well)."""
    found: list[str] = []
    try:
        out = extract_any(body, url, content_type, feed_date=feed_date)
    except ExtractionError as e:
        return e.kind, str(e), found
    except Exception as e:  # a crash on one page is an error for that page only
        return "parse", f"extraction crashed: {type(e).__name__}: {e}"[:500], found
    if links and out.get("kind") != "document":
        headers = Headers({"Content-Type": content_type} if content_type else {})
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        if issubclass(cls, TextResponse):
            found = document_links(cls(url=url, body=body, headers=headers))
    return "ok", out, found


class RegistrySpider(scrapy.Spider):
    """Crawls the sources of a registry file and yields Article items (DESIGN §4.1)."""

    name = "registry"

    def __init__(self, sources: str, source: str = "", state: str = "", report: str = "",
                 fetch_log: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ids = [s for s in source.split(",") if s]
        self.sources: dict[str, Source] = {
            s.id: s for s in select(load_registry(sources), ids)
        }
        self.allowed_domains = sorted({d for s in self.sources.values() for d in s.allowed_domains})
        st = json.loads(Path(state).read_text(encoding="utf-8")) if state else {}
        self.known: set[str] = set(st.get("known", []))
        self.validators: dict[str, dict[str, str]] = st.get("validators", {})
        self.revalidate: set[str] = set(st.get("revalidate", []))
        self.retry: dict[str, list[dict[str, str]]] = st.get("retry", {})
        self.last_success: dict[str, datetime | None] = {
            sid: parse_when(v) for sid, v in st.get("last_success", {}).items()
        }
        self.report_path = report
        self.fetch_log = open(fetch_log, "a", encoding="utf-8") if fetch_log else None  # noqa: SIM115
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.entry_failures: Counter[str] = Counter()
        self.errors: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.seen: set[str] = set()
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0  # extraction processes to start once the crawl is big enough
        self._pool_min = 0
        self._queued = 0  # article requests made

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> RegistrySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        workers = crawler.settings.getint("NEWSDESK_EXTRACT_WORKERS", 0)
        spider._workers = (os.cpu_count() or 1) if workers < 0 else workers
        spider._pool_min = crawler.settings.getint("NEWSDESK_EXTRACT_POOL_MIN", 0)
        spider._maybe_start_pool()
        return spider

    def _maybe_start_pool(self) -> None:
        """Start the extraction processes once the crawl has queued enough article pages."""
        if self._pool is not None or self._workers <= 0 or self._queued < self._pool_min:
            return
        # forkserver: workers fork from a clean process that has imported the extractors
        # once, not from this one (its reactor threads make a plain fork unsafe)
        context = get_context("forkserver")
        context.set_forkserver_preload(["crawlers.spiders.registry"])
        self._pool = ProcessPoolExecutor(self._workers, mp_context=context)

    # -- requests --------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for src in self.sources.values():
            for failed in self.retry.get(src.id, []):
                url, role = failed["url"], failed.get("role", "article")
                if role == "sitemap":
                    req = self._request(url, src, self.parse_sitemap, role, conditional=False)
                elif role == "listing":
                    self.seen.add("listing:" + canonicalize(url))
                    req = self._request(url, src, self.parse_listing, role, conditional=False)
                else:
                    req = self._article(url, src, retry=True)
                if req:
                    self.counts[src.id]["retried"] += 1
                    yield req
            for url in src.feeds:
                yield self._request(url, src, self.parse_feed, "feed", entry=True)
            for url in src.sitemaps:
                yield self._request(url, src, self.parse_sitemap, "sitemap", entry=True)
            for url in src.start_urls:
                yield self._request(url, src, self.parse_listing, "listing", entry=True)

    def _request(self, url: str, src: Source, callback: Any, role: str, *,
                 entry: bool = False, conditional: bool = True, **meta: Any) -> scrapy.Request:
        headers = {}
        known = self.validators.get(url) if conditional else None
        if known and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, headers=headers,
            meta={"source_id": src.id, "role": role, "entry": entry,
                  "handle_httpstatus_list": [304], **meta},
            dont_filter=True,  # we deduplicate ourselves; redirect loops must reach the limit
        )

    def _article(self, url: str, src: Source, *, feed_date: str | None = None,
                 lastmod: datetime | None = None, retry: bool = False) -> scrapy.Request | None:
        url = strip_tracking(url)
        if not url.startswith(("http://", "https://")) or not src.allows(url):
            return None
        key = canonicalize(url)
        if key in self.seen:
            return None
        self.seen.add(key)
        known = url in self.known or key in self.known
        if known and not retry:
            last = self.last_success.get(src.id)
            changed = lastmod is not None and last is not None and lastmod > last
            if not changed and key not in self.revalidate and url not in self.revalidate:
                self.counts[src.id]["skipped_known"] += 1
                return None
            self.counts[src.id]["revalidated"] += 1
        self._queued += 1
        self._maybe_start_pool()
        # validators only for stored articles: a page fetched but never stored (a killed
        # crawl) must come back with its body, not a 304
        return self._request(url, src, self.parse_article, "article", conditional=known,
                             feed_date=feed_date)

    def _response(self, response: Response) -> Source:
        """Count and log a response; return its source."""
        src = self.sources[response.meta["source_id"]]
        c = self.counts[src.id]
        c["pages"] += 1
        if response.status == 304:
            c["not_modified"] += 1
        else:
            c["bodies"] += 1
            c["bytes"] += len(response.body)
        if self.fetch_log is not None:
            headers = response.headers
            self.fetch_log.write(json.dumps({
                "url": response.url, "requested_url": response.request.url,
                "source_id": src.id, "role": response.meta.get("role"),
                "status": response.status, "fetched_at": utcnow(),
                "etag": (headers.get("ETag") or b"").decode("latin-1") or None,
                "last_modified": (headers.get("Last-Modified") or b"").decode("latin-1") or None,
                "bytes": len(response.body),
            }) + "\n")
        return src

    # -- callbacks -------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._response(response)
        if response.status == 304:
            return
        try:
            entries = feed_entries(response.body, response.url)
        except EntryPageError as e:
            self._record(src, response.url, "parse", str(e), "feed")
            return
        for n, entry in enumerate(entries, 1):
            if entry.link is None:
                self._record(src, f"{response.url}#entry-{n}", "parse",
                             f"feed entry {n} has no usable link", "feed")
                continue
            published = entry.published.date().isoformat() if entry.published else None
            req = self._article(entry.link, src, feed_date=published)
            if req:
                yield req

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._response(response)
        if response.status == 304:
            return
        try:
            kind, entries = sitemap_entries(response.body)
        except EntryPageError as e:
            self._record(src, response.url, "parse", str(e), "sitemap")
            return
        last = self.last_success.get(src.id)
        for entry in entries:
            if kind == "sitemapindex":
                if not src.allows(entry.loc):
                    continue
                # a child sitemap unchanged since the last good crawl holds nothing new
                if last and entry.lastmod and entry.lastmod < last and (
                        entry.loc in self.validators):
                    self.counts[src.id]["skipped_sitemaps"] += 1
                    continue
                yield self._request(entry.loc, src, self.parse_sitemap, "sitemap")
            else:
                published = entry.published.date().isoformat() if entry.published else None
                req = self._article(entry.loc, src, lastmod=entry.lastmod, feed_date=published)
                if req:
                    yield req

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        src = self._response(response)
        if response.status == 304:
            return
        if not isinstance(response, TextResponse):
            self._record(src, response.url, "parse", "listing page is not text", "listing")
            return
        assert src.link_selector is not None  # the registry requires it with start_urls
        try:
            links, nxt = listing_links(response.text, response.url, src.link_selector,
                                       src.next_selector)
        except EntryPageError as e:
            self._record(src, response.url, "parse", str(e), "listing")
            return
        new = 0
        for link in links:
            req = self._article(link, src)
            if req:
                new += 1
                yield req
        # after a first complete crawl, a listing page with nothing new ends the walk back
        if nxt is None or (new == 0 and self.last_success.get(src.id)):
            return
        key = "listing:" + canonicalize(nxt)
        if src.allows(nxt) and key not in self.seen:
            self.seen.add(key)
            yield self._request(nxt, src, self.parse_listing, "listing")

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        src = self._response(response)
        if response.status == 304:
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        job = (response.body, response.url, content_type, response.meta.get("feed_date"),
               src.documents and isinstance(response, TextResponse))
        if self._pool is not None:
            loop = asyncio.get_running_loop()
            status, out, links = await loop.run_in_executor(self._pool, _extract_job, *job)
        else:
            status, out, links = _extract_job(*job)
        if status != "ok":
            self._record(src, response.url, status, out)
            return
        out.pop("encoding", None)
        canonical = choose_canonical(response.url, out.pop("canonical_url", None),
                                     src.allowed_domains)
        kind = out.pop("kind", None) or KIND_BY_TYPE.get(src.source_type, "news")
        self.counts[src.id]["items"] += 1
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
            "warc_file": response.meta.get("warc_file"),
            "warc_record_id": response.meta.get("warc_record_id"),
        }
        if kind != "document":
            for url in links:
                req = self._article(url, src)
                if req:
                    yield req

    # -- errors and report -------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        src = self.sources[request.meta["source_id"]]
        if request.meta.get("entry"):
            self.entry_failures[src.id] += 1
        kind = error_kind(failure)
        detail = str(failure.value) or {
            "too-large": "body larger than DOWNLOAD_MAXSIZE",
            "truncated": "connection closed before the announced Content-Length",
        }.get(kind, type(failure.value).__name__)
        self._record(src, request.url, kind, detail[:500], request.meta.get("role", "article"))

    def _record(self, src: Source, url: str, kind: str, detail: str,
                role: str = "article") -> None:
        self.errors[src.id].append(
            {"url": url, "kind": kind, "detail": detail, "role": role, "at": utcnow()}
        )

    def closed(self, reason: str) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self.fetch_log is not None:
            self.fetch_log.close()
        if not self.report_path:
            return
        report: dict[str, Any] = {"reason": reason, "finished_at": utcnow(), "sources": {}}
        for sid, src in self.sources.items():
            entries = len(src.feeds) + len(src.sitemaps) + len(src.start_urls)
            failed = self.entry_failures[sid] >= entries
            errors = self.errors[sid]
            c = self.counts[sid]
            report["sources"][sid] = {
                **{k: c[k] for k in ("pages", "bodies", "not_modified", "bytes", "items",
                                     "skipped_known", "revalidated", "retried",
                                     "skipped_sitemaps")},
                "errors": errors,
                "status": "failed" if failed else ("partial" if errors else "ok"),
            }
        Path(self.report_path).write_text(json.dumps(report, indent=1), encoding="utf-8")
