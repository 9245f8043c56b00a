"""`newsdesk sources check`: can each source's entry pages be fetched, crawled and parsed?

One polite GET per feed, sitemap and listing page (plus each host's robots.txt), in a few
threads; each entry page gets a verdict: `ok`, `warn` (reachable but nothing to crawl from it,
or its links leave allowed_domains) or `fail` (unreachable, refused, disallowed, unreadable).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from crawlers.extract import charset_of, decode_html
from crawlers.parsing import EntryPageError, feed_entries, listing_links, sitemap_entries
from crawlers.registry import Source
from crawlers.settings import USER_AGENT

MAX_BYTES = 20 * 1024 * 1024
Fetcher = Callable[[str], tuple[int, dict[str, str], bytes]]


@dataclass
class EntryCheck:
    """The verdict on one entry page of a source."""

    source_id: str
    kind: str  # feed, sitemap, listing
    url: str
    verdict: str  # ok, warn, fail
    status: int | None
    found: int  # feed entries, sitemap URLs or child sitemaps, listing links
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """The check as a plain dict (for --json)."""
        return asdict(self)


def http_fetch(timeout: float = 15.0) -> Fetcher:
    """A fetcher over urllib: (status, headers, body); HTTP errors are statuses, not raises."""
    def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                       "Accept-Encoding": "identity"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read(MAX_BYTES)
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers or {}), b""
    return fetch


def _network_error(e: BaseException) -> str:
    reason = getattr(e, "reason", e)
    if isinstance(reason, socket.gaierror):
        return f"dns: {reason}"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout"
    return f"{type(reason).__name__}: {reason}"


class _Robots:
    """robots.txt per host, fetched once."""

    def __init__(self, fetch: Fetcher) -> None:
        self.fetch = fetch
        self.parsers: dict[str, RobotFileParser | None] = {}

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self.parsers:
            parser: RobotFileParser | None = RobotFileParser()
            try:
                status, _, body = self.fetch(host + "/robots.txt")
            except Exception:  # an unreachable robots.txt shows up as the page's own failure
                status, body = 0, b""
            if status == 200:
                parser.parse(body.decode("utf-8", "replace").splitlines())  # type: ignore[union-attr]
            else:
                parser = None  # no robots.txt (or an error page): everything allowed
            self.parsers[host] = parser
        parser = self.parsers[host]
        return parser is None or parser.can_fetch(USER_AGENT, url)


def check_entry(src: Source, kind: str, url: str, fetch: Fetcher, robots: _Robots) -> EntryCheck:
    """Fetch and parse one entry page of a source."""
    def result(verdict: str, status: int | None, found: int, detail: str) -> EntryCheck:
        return EntryCheck(src.id, kind, url, verdict, status, found, detail)

    try:
        if not robots.allows(url):
            return result("fail", None, 0, "robots.txt disallows it for newsdesk")
        status, headers, body = fetch(url)
    except Exception as e:
        return result("fail", None, 0, _network_error(e))
    if status != 200:
        return result("fail", status, 0, f"HTTP {status}")
    try:
        if kind == "feed":
            entries = feed_entries(body, url)
            links = [e.link for e in entries if e.link]
            inside = [u for u in links if src.allows(u)]
            found, detail = len(inside), f"{len(entries)} entries, {len(inside)} in domains"
        elif kind == "sitemap":
            sort, entries = sitemap_entries(body)
            inside = [e for e in entries if src.allows(e.loc)]
            noun = "child sitemaps" if sort == "sitemapindex" else "URLs"
            found, detail = len(inside), f"{len(entries)} {noun}, {len(inside)} in domains"
        else:
            ctype = {k.lower(): v for k, v in headers.items()}.get("content-type")
            text = decode_html(body, charset_of(ctype)).text
            assert src.link_selector is not None
            links, nxt = listing_links(text, url, src.link_selector, src.next_selector)
            inside = [u for u in links if src.allows(u)]
            found = len(inside)
            detail = f"{len(links)} links, {len(inside)} in domains"
            if src.next_selector:
                detail += ", next page found" if nxt else ", no next page"
    except EntryPageError as e:
        return result("fail", status, 0, str(e))
    return result("ok" if found else "warn", status, found,
                  detail if found else f"nothing to crawl: {detail}")


def check_sources(sources: list[Source], fetch: Fetcher | None = None, *,
                  workers: int = 8) -> list[EntryCheck]:
    """Check every entry page of the sources (a few threads; robots.txt once per host)."""
    fetch = fetch or http_fetch()
    robots = _Robots(fetch)
    jobs = [(src, kind, url) for src in sources
            for kind, urls in (("feed", src.feeds), ("sitemap", src.sitemaps),
                               ("listing", src.start_urls))
            for url in urls]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: check_entry(*job, fetch, robots), jobs))
