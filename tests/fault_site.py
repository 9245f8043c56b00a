"""Web sites on 127.0.0.1 for crawl tests: every fault of DESIGN §7, and a big well-behaved one.

`FaultSite` serves an RSS feed linking good articles and one URL per fault; `healed = True`
makes the transient faults (503, slow) answer normally, as a site does by the next run.
`OfflineResolver` (Scrapy DNS_RESOLVER) fails `.invalid` host names without asking any DNS
server, so the `dns` fault never leaves the machine. `NewsSite` serves many distinct good
articles per source and can hold article requests at a gate, so a test can kill a crawl at a
known point.
"""

from __future__ import annotations

import hashlib
import random
import socket
import threading
import time
import zlib
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

LAST_MODIFIED = formatdate(1600000000, usegmt=True)
MAX_SIZE = 64 * 1024  # the DOWNLOAD_MAXSIZE the tests set
TIMEOUT = 3  # the DOWNLOAD_TIMEOUT the tests set

ARTICLE = """<!doctype html><html lang="{lang}"><head><meta charset="{meta}">
<title>{title}</title><link rel="canonical" href="{canonical}">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "{title}", "datePublished": "2020-0{month}-1{day}T10:00:00Z"}}</script></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav><article><h1>{title}</h1>
{paragraphs}</article><footer>Fault site for tests.</footer></body></html>"""

EN = ("The ministry of health signed agreements with private hospitals to add intensive care "
      "beds for patients with COVID-19, paid at a regulated daily rate. ")
FR = ("Le ministère de la Santé a signé des conventions avec les cliniques privées pour "
      "réserver des lits de réanimation aux malades de la COVID-19, à un tarif réglementé. ")


def article(n: int, *, lang: str = "en", meta: str = "utf-8", canonical: str = "") -> str:
    """HTML of a good article; its text differs from every other article's."""
    base = EN if lang == "en" else FR
    paragraphs = "\n".join(
        f"<p>{base} Paragraph {i} of report {n}: region {n * 7 + i} added {n + i * 3} beds, "
        f"{i + n} clinics and {n * i + 11} nurses during week {i + 2}.</p>" for i in range(6)
    )
    title = (f"Report {n}: private hospitals and intensive care" if lang == "en"
             else f"Rapport {n} : cliniques privées et réanimation à Thiès")
    return ARTICLE.format(lang=lang, meta=meta, title=title, canonical=canonical,
                          paragraphs=paragraphs, month=1 + n % 9, day=n % 10)


GOOD = [f"/ok/{n}.html" for n in range(1, 5)]
FAULTS = {
    "/fault/503.html": "http-503",
    "/fault/404.html": "http-404",
    "/fault/slow.html": "timeout",
    "/fault/huge.html": "too-large",
    "/fault/huge-chunked.html": "too-large",
    "/fault/truncated.html": "truncated",
    "/fault/reset.html": "connection-lost",
    "/fault/loop.html": "redirect-loop",
    "/fault/garbage.html": "bad-encoding",
    "/fault/corrupt.pdf": "parse",
    "/fault/empty.html": "parse",
    "/fault/image.png": "unsupported-type",
    "/private/secret.html": "robots",
    "http://nowhere.invalid/story.html": "dns",
}
# entry pages the registry lists that cannot be read: (kind, role) of their error
ENTRY_FAULTS = {
    "/feed-broken.xml": ("parse", "feed"),  # an HTML error page served as the feed
    "/sitemap-broken.xml.gz": ("parse", "sitemap"),  # a corrupt gzip
}
# the declared charset is wrong; the text must still come out right
CHARSET = {
    "/charset/utf8-declared-latin1.html": ("text/html; charset=iso-8859-1", "utf-8"),
    "/charset/cp1252-declared-utf8.html": ("text/html; charset=utf-8", "cp1252"),
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the crawler hangs up on purpose (too-large bodies): nothing to report


class _LoopbackSite:
    """A threaded HTTP server on a free loopback port whose GETs go to `self.handle`."""

    def _listen(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class FaultSite(_LoopbackSite):
    """The fault site on a free loopback port (a context manager)."""

    def __init__(self) -> None:
        self.healed = False
        self.requests: list[tuple[str, str]] = []  # (path, status) of every request
        self._listen()

    def registry(self) -> str:
        """A registry (DESIGN §4.3) with this site as one source."""
        return (
            "sources:\n  - id: faults\n    name: Fault site\n    country: SEN\n"
            "    source_type: government\n    language: fr\n"
            f"    feeds: [{self.base}/feed.xml, {self.base}/feed-broken.xml]\n"
            f"    sitemaps: [{self.base}/sitemap-broken.xml.gz]\n"
            "    allowed_domains: [127.0.0.1, nowhere.invalid]\n    documents: true\n"
        )

    def feed(self) -> str:
        links = [*GOOD, *CHARSET, *FAULTS]
        items = "".join(
            f"<item><title>{p}</title><link>{p if p.startswith('http') else self.base + p}"
            f"</link><pubDate>Tue, 14 Apr 2020 10:00:00 +0000</pubDate></item>"
            for p in links
        )
        # entries a feed should not have: no link at all, and a link that is not http(s)
        items += "<item><title>no link</title></item>"
        items += "<item><title>bad link</title><link>mailto:press@example.org</link></item>"
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Faults</title>{items}</channel></rss>")

    # -- responses ---------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        try:
            status = self._respond(h, path)
        except (BrokenPipeError, ConnectionResetError):
            status = "client closed"
        self.requests.append((path, str(status)))

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> int:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if status == 200 and h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return 304
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        if status == 200:
            h.send_header("ETag", etag)
            h.send_header("Last-Modified", LAST_MODIFIED)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
        return status

    def _respond(self, h: BaseHTTPRequestHandler, path: str) -> int | str:
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return self._send(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/feed.xml":
            return self._send(h, 200, self.feed().encode(), "application/rss+xml")
        if path == "/feed-broken.xml":
            page = b"<html><body><h1>Feed temporarily unavailable</h1></body></html>"
            return self._send(h, 200, page, "application/rss+xml")
        if path == "/sitemap-broken.xml.gz":
            return self._send(h, 200, b"\x1f\x8b\x08\x00" + b"\xff" * 64, "application/gzip")
        if path in GOOD:
            n = int(path.split("/")[-1].split(".")[0])
            # a tracking parameter and a fragment in rel=canonical must not make a new id
            canonical = f"{self.base}{path}?utm_source=feed#top"
            return self._send(h, 200, article(n, canonical=canonical).encode(), html)
        if path in CHARSET:
            ctype, real = CHARSET[path]
            n = 20 + list(CHARSET).index(path)
            meta = ctype.split("=")[1]
            return self._send(h, 200, article(n, lang="fr", meta=meta).encode(real), ctype)
        if path == "/fault/503.html":
            if self.healed:
                return self._send(h, 200, article(30).encode(), html)
            return self._send(h, 503, b"busy", "text/plain", {"Retry-After": "60"})
        if path == "/fault/404.html":
            return self._send(h, 404, b"not here", "text/plain")
        if path == "/fault/slow.html":
            if not self.healed:
                time.sleep(TIMEOUT + 2)
            return self._send(h, 200, article(31).encode(), html)
        if path == "/fault/huge.html":
            return self._send(h, 200, b"<p>" + b"x" * (MAX_SIZE * 2), html)
        if path == "/fault/huge-chunked.html":  # no Content-Length: caught while reading
            h.send_response(200)
            h.send_header("Content-Type", html)
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            chunk = b"<p>" + b"y" * 8189
            for _ in range(MAX_SIZE * 2 // len(chunk)):
                h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            h.wfile.write(b"0\r\n\r\n")
            return 200
        if path == "/fault/truncated.html":
            h.send_response(200)
            h.send_header("Content-Type", html)
            h.send_header("Content-Length", "50000")
            h.end_headers()
            h.wfile.write(article(32).encode()[:500])
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return "truncated"
        if path == "/fault/reset.html":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.close_connection = True
            h.connection.close()
            return "reset"
        if path in ("/fault/loop.html", "/fault/loop2.html"):
            target = "/fault/loop2.html" if path == "/fault/loop.html" else "/fault/loop.html"
            return self._send(h, 302, b"", "text/plain", {"Location": target})
        if path == "/fault/garbage.html":
            noise = bytes((i * 7919 + 13) % 256 for i in range(6000))
            return self._send(h, 200, noise, "text/html")
        if path == "/fault/corrupt.pdf":
            return self._send(h, 200, b"%PDF-1.4\n1 0 obj <</Type /Catalog", "application/pdf")
        if path == "/fault/empty.html":
            return self._send(h, 200, b"<html><body><nav>Menu</nav></body></html>", html)
        if path == "/fault/image.png":
            return self._send(h, 200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
        return self._send(h, 404, b"unknown", "text/plain")


class OfflineResolver(CachingThreadedResolver):
    """Fails `.invalid` names at once (RFC 2606 reserves them); resolves nothing else remotely."""

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred:  # noqa: N802
        if name.endswith(".invalid"):
            return defer.fail(DNSLookupError(name))
        return super().getHostByName(name, timeout)


# -- a big, well-behaved site ------------------------------------------------------------------

WORDS = (
    "ministry health private hospital clinic laboratory contract agreement beds intensive care "
    "oxygen ventilator testing vaccine procurement insurance payment tariff regulation nurses "
    "doctors district province capital region emergency response task force guidelines supply "
    "chain masks gloves reagents partnership network referral ambulance telemedicine pharmacy "
    "price ceiling subsidy reimbursement audit quality accreditation training volunteers "
    "isolation quarantine hotline surveillance data reporting dashboard capacity surge plan "
    "budget loan grant donor foundation association federation union employers workers "
    "schools markets transport borders airports ports factories farmers families elderly "
    "children women migrants communities mayors governors parliament court decree law order "
    "week month morning evening announced signed approved extended suspended reviewed"
).split()


def news_text(source: str, n: int) -> str:
    """Text of article n of a source: its own random words and one unique search token."""
    rng = random.Random(zlib.crc32(f"{source}/{n}".encode()))
    paragraphs = []
    for _ in range(4):
        sentences = [" ".join(rng.choices(WORDS, k=14)).capitalize() + "." for _ in range(4)]
        paragraphs.append(" ".join(sentences))
    paragraphs[1] += f" Reference {token(source, n)}."
    return "\n".join(paragraphs)


def token(source: str, n: int) -> str:
    """The word only article n of a source contains (one FTS token)."""
    return "".join(c for c in source if c.isalnum()) + f"ref{n:05d}"


class NewsSite(_LoopbackSite):
    """Per source id an RSS feed of `counts[id]` distinct articles at /<id>/<n>.html.

    Change `counts` to grow a source. `hold(id, after)` makes every request for an article
    of that source beyond the first `after` wait until `release()`; `served` counts article
    requests per source and `paths` lists every path asked for.
    """

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        self.served: Counter[str] = Counter()
        self.paths: list[str] = []
        self._held: dict[str, int] = {}
        self._gate = threading.Event()
        self._lock = threading.Lock()
        self._listen()

    def __exit__(self, *exc: object) -> None:
        self.release()
        super().__exit__(*exc)

    def hold(self, source: str, after: int) -> None:
        """Hold article requests of a source past the first `after` (from now on)."""
        with self._lock:
            self._gate.clear()
            self._held[source] = self.served[source] + after

    def release(self) -> None:
        """Let held requests through and hold no more."""
        with self._lock:
            self._held.clear()
        self._gate.set()

    def registry(self) -> str:
        """A registry (DESIGN §4.3) with one source per id."""
        return "sources:\n" + "".join(
            f"  - id: {sid}\n    name: Source {sid}\n    country: KEN\n"
            f"    source_type: government\n    language: en\n"
            f"    feeds: [{self.base}/{sid}/feed.xml]\n    allowed_domains: [127.0.0.1]\n"
            for sid in self.counts
        )

    def urls(self, source: str) -> list[str]:
        """URLs of the articles a source lists now."""
        return [f"{self.base}/{source}/{n}.html" for n in range(1, self.counts[source] + 1)]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        self.paths.append(path)
        parts = path.strip("/").split("/")
        try:
            if path == "/robots.txt":
                self._send(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif len(parts) == 2 and parts[0] in self.counts and parts[1] == "feed.xml":
                self._send(h, 200, self.feed(parts[0]).encode(), "application/rss+xml")
            elif (len(parts) == 2 and parts[0] in self.counts and parts[1].endswith(".html")
                  and parts[1][:-5].isdigit()):
                self._article(h, parts[0], int(parts[1][:-5]))
            else:
                self._send(h, 404, b"unknown", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # a killed crawler hangs up

    def feed(self, source: str) -> str:
        items = "".join(
            f"<item><title>{source} {n}</title><link>{url}</link>"
            f"<pubDate>Tue, 14 Apr 2020 10:00:00 +0000</pubDate></item>"
            for n, url in enumerate(self.urls(source), 1)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>{source}</title>{items}</channel></rss>")

    def _article(self, h: BaseHTTPRequestHandler, source: str, n: int) -> None:
        with self._lock:
            self.served[source] += 1
            held = source in self._held and self.served[source] > self._held[source]
        if held:
            self._gate.wait(60)
        title = f"{source} report {n}: private hospitals and the COVID-19 response"
        paragraphs = "".join(f"<p>{p}</p>\n" for p in news_text(source, n).split("\n"))
        body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}'
                f"</title></head><body><article><h1>{title}</h1>"
                f"<p>Published 2020-04-{1 + n % 28:02d}.</p>{paragraphs}</article></body></html>")
        self._send(h, 200, body.encode(), "text/html; charset=utf-8")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        if status == 200:
            h.send_header("ETag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
            h.send_header("Last-Modified", LAST_MODIFIED)
        h.end_headers()
        h.wfile.write(body)
