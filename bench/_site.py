"""Shared helpers of the crawl benchmarks: a loopback site of real pages, and a memory sampler.

The pages are the real ones of ../shared/data/extraction-benchmark/*/html, read at run time
and never copied into the repository. Copy `i` of a page gets its number in the title, the URL
and the first paragraph, and a share of its words swapped for other words of the same page
(seeded by `i`), so copies are neither exact nor near duplicates of each other (the loader
clusters near duplicates, and thousands of copies of one story are not a realistic crawl). A
sitemap index with child sitemaps and a registry YAML for one temporary source publish them;
a plain threaded HTTP server in its own process serves them with Last-Modified, so a second
crawl gets 304 answers for unchanged entry pages.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "extraction-benchmark"
SOURCE_ID = "bench-site"
PER_SITEMAP = 5000
STAMP = time.mktime((2024, 1, 15, 12, 0, 0, 0, 0, -1))  # Last-Modified of every file
SWAP_SHARE = 0.3  # words swapped per copy: 5-word shingles shared by two copies ≈ 0.7**5

_SPLIT = re.compile(r"(?is)(<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<[^>]+>)")
_WORD = re.compile(r"\w{3,}")
_TITLE = re.compile(r"(?i)(<title[^>]*>)")
_PARA = re.compile(r"(?i)(<p(?:\s[^>]*)?>)")


def real_pages(data: Path = DATA, max_chars: int | None = None,
               min_chars: int = 3000) -> list[str]:
    """The benchmark pages' HTML, sorted by file name; `max_chars`: only pages that small
    (and at least `min_chars`, so that they still have an article to extract)."""
    files = sorted(data.glob("*/html/*.html.gz"))
    pages = [gzip.decompress(f.read_bytes()).decode("utf-8") for f in files]
    if max_chars:
        pages = [p for p in pages if min_chars <= len(p) <= max_chars]
    return pages


def vary(page: str, i: int) -> str:
    """Copy number `i` of a page: numbered title and first paragraph, some words swapped."""
    rng = random.Random(i)
    parts = _SPLIT.split(page)
    vocab = [w for k, p in enumerate(parts) if k % 2 == 0 for w in _WORD.findall(p)] or ["x"]

    def swap(m: re.Match[str]) -> str:
        return rng.choice(vocab) if rng.random() < SWAP_SHARE else m.group(0)

    for k in range(0, len(parts), 2):  # text between tags only: scripts and JSON-LD stay valid
        parts[k] = _WORD.sub(swap, parts[k])
    out = "".join(parts)
    out = _TITLE.sub(lambda m: f"{m.group(1)}No. {i}: ", out, count=1)
    return _PARA.sub(lambda m: f"{m.group(1)}Bulletin number {i}. ", out, count=1)


@dataclass
class Site:
    """A generated site on disk: its folder, the served base URL, the registry file."""

    root: Path
    base: str = ""
    sources: Path = field(default_factory=Path)
    pages: list[tuple[str, Path]] = field(default_factory=list)  # (url path, file)


def build_site(root: Path, n: int, pages: list[str]) -> Site:
    """Write `n` varied pages, their sitemaps and robots.txt under `root` (not timed)."""
    site = Site(root)
    (root / "p").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rel = f"p/{i // 1000:03d}/{i:06d}.html"
        path = root / rel
        path.parent.mkdir(exist_ok=True)
        path.write_text(vary(pages[i % len(pages)], i), encoding="utf-8")
        site.pages.append((rel, path))
    maps = []
    for start in range(0, n, PER_SITEMAP):
        name = f"sitemap-{start // PER_SITEMAP:03d}.xml"
        urls = "".join(f"<url><loc>{{base}}/{rel}</loc><lastmod>2024-01-15</lastmod></url>\n"
                       for rel, _ in site.pages[start:start + PER_SITEMAP])
        (root / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
            encoding="utf-8")
        maps.append(name)
    entries = "".join(f"<sitemap><loc>{{base}}/{m}</loc><lastmod>2024-01-15</lastmod></sitemap>\n"
                      for m in maps)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}'
        '</sitemapindex>\n', encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return site


def _publish(site: Site, base: str) -> None:
    """Put the served base into the sitemaps and write the registry of the one source."""
    site.base = base
    for path in site.root.glob("sitemap*.xml"):
        path.write_text(path.read_text(encoding="utf-8").replace("{base}", base),
                        encoding="utf-8")
    for path in [*site.root.rglob("*.html"), *site.root.glob("*.xml"),
                 site.root / "robots.txt"]:
        os.utime(path, (STAMP, STAMP))
    site.sources = site.root.parent / "sources.yaml"
    site.sources.write_text(yaml.safe_dump({"sources": [{
        "id": SOURCE_ID, "name": "Benchmark site", "country": None, "source_type": "press",
        "language": "en", "feeds": [], "sitemaps": [f"{base}/sitemap.xml"], "start_urls": [],
        "allowed_domains": ["127.0.0.1"], "documents": True,
    }]}), encoding="utf-8")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve(root: str, ready: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=root))
    server.daemon_threads = True
    server.request_queue_size = 128
    ready.send(server.server_address[1])
    server.serve_forever()


@contextmanager
def serving(site: Site) -> Iterator[Site]:
    """Serve the site from its own process on 127.0.0.1 (a free port) while the block runs."""
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(str(site.root), theirs), daemon=True)
    proc.start()
    try:
        if not mine.poll(60):
            raise RuntimeError(f"the site's server did not start (exit code {proc.exitcode})")
        _publish(site, f"http://127.0.0.1:{mine.recv()}")
        site.server_pid = proc.pid  # type: ignore[attr-defined]
        yield site
    finally:
        proc.terminate()
        proc.join(5)


# -- the flow ---------------------------------------------------------------------------------


def prefect_env(tmp: Path) -> None:
    """Prefect settings for a benchmark: its own home, no analytics, quiet (before importing it)."""
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@contextmanager
def prefect_server() -> Iterator[float]:
    """A Prefect API server for the flow runs; yields the seconds it took to start."""
    from prefect.server.api.server import SubprocessASGIServer

    from flows.schedule import using_api

    started = time.perf_counter()
    server = SubprocessASGIServer()
    server.start(timeout=60)
    try:
        with using_api(server.api_url):
            yield time.perf_counter() - started
    finally:
        server.stop()


def run_flow(site: Site, db: Path, data_dir: Path) -> tuple[float, dict[str, Any]]:
    """Run the `newsdesk run` flow once; return its seconds and report."""
    from flows.pipeline import pipeline

    started = time.perf_counter()
    report = pipeline(sources=str(site.sources), db=str(db),
                      settings={"data_dir": str(data_dir)})
    return time.perf_counter() - started, report



# -- memory ---------------------------------------------------------------------------------


class TreeMemory:
    """Samples the RSS of this process and its descendants (psutil) in a background thread.

    Reports the peak of the whole tree (sum of the processes alive at one moment), of this
    process, and of each crawl child's tree (`python -m crawlers.run` and its extraction
    workers). Processes in `exclude` (the site's server) and their children are left out.
    With `pss`, children count their proportional set size instead of their RSS: extraction
    workers fork from one preloaded process and share most of their pages, which a sum of
    RSS counts once per worker.
    """

    def __init__(self, interval: float = 0.1, exclude: tuple[int, ...] = (),
                 pss: bool = False) -> None:
        import psutil

        self._psutil = psutil
        self.me = psutil.Process()
        self.interval = interval
        self.pss = pss  # children's proportional set size: shared pages counted once in a sum
        self.exclude = set(exclude)
        self.peak_tree = self.peak_self = self.peak_crawl = 0
        self.cpu: dict[int, float] = {}  # last CPU seconds seen per process of the tree
        self.role: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        ps = self._psutil
        own = self.me.memory_info().rss
        crawl = other = 0
        try:
            children = self.me.children()
        except ps.Error:
            children = []
        for child in children:
            if child.pid in self.exclude:
                continue
            try:
                tree = [child, *child.children(recursive=True)]
                is_crawl = "crawlers.run" in " ".join(child.cmdline())
                rss = 0
                for p in tree:
                    try:
                        rss += p.memory_full_info().pss if self.pss else p.memory_info().rss
                        t = p.cpu_times()
                        self.cpu[p.pid] = t.user + t.system
                        if is_crawl:  # a zombie has no command line: keep its first role
                            self.role[p.pid] = "crawler" if p is child else "extract_workers"
                        else:
                            self.role.setdefault(p.pid, "other")
                    except ps.Error:
                        pass
            except ps.Error:
                continue
            if is_crawl:
                crawl += rss
            else:
                other += rss
        t = self.me.cpu_times()
        self.cpu[self.me.pid] = t.user + t.system
        self.role[self.me.pid] = "parent"
        self.peak_self = max(self.peak_self, own)
        self.peak_crawl = max(self.peak_crawl, crawl)
        self.peak_tree = max(self.peak_tree, own + crawl + other)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeMemory:
        self._sample()
        self._cpu_before = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def report(self) -> dict[str, float]:
        """Peaks in MiB, plus the kernel's ru_maxrss of this process and of its largest child."""
        import resource

        mib = 1024 * 1024
        cpu = sum(self.cpu.values()) - sum(self._cpu_before.values())
        by_role: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            role = self.role.get(pid, "other")
            by_role[role] = by_role.get(role, 0.0) + seconds - self._cpu_before.get(pid, 0.0)
        return {
            "cpu_s": round(cpu, 1),  # CPU seconds of the tree (processes sampled at least once)
            # parent: loading and labelling (and Prefect's client); crawler: Scrapy, WARC,
            # feed; extract_workers: extraction (with the forkserver); other: Prefect server
            "cpu_s_by_role": {k: round(v, 1) for k, v in sorted(by_role.items())},
            "peak_rss_mb": round(self.peak_tree / mib, 1),
            "peak_rss_parent_mb": round(self.peak_self / mib, 1),
            "peak_rss_crawl_mb": round(self.peak_crawl / mib, 1),
            "maxrss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "maxrss_largest_child_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }


def machine() -> dict[str, Any]:
    """Cores, memory and load average, for the record."""
    import platform

    import psutil

    return {
        "cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
