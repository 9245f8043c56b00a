"""Incremental crawls: sitemap lastmod against the last good crawl, conditional requests."""

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from crawlers.registry import load_registry
from flows.crawl import LOOPBACK_SETTINGS, crawl_sources, load_crawl, new_batch
from flows.demo import BUILT_BASE, DemoSite

SOURCE = "demo-moh-ke"  # a sitemap index with one news sitemap


def crawl(db: Database, site: DemoSite, workdir: Path, source: str = SOURCE):
    sources = [s for s in load_registry(site.sources) if s.id == source]
    output = crawl_sources(site.sources, [source], db, workdir, settings=LOOPBACK_SETTINGS,
                           timeout=300, served_as=site.served_as)
    return output, load_crawl(db, sources, output, new_batch())


def touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    later = time.time() + 120  # Last-Modified has one-second resolution: be clearly newer
    os.utime(path, (later, later))


def test_sitemap_lastmod_newer_than_last_crawl_refetches_only_that_page(
    db: Database, tmp_path: Path
) -> None:
    with DemoSite() as site:
        _, first = crawl(db, site, tmp_path / "one")
        assert first.new == first.per_source[SOURCE]["items"] >= 10
        root = site.root / "moh-ke"
        sitemap = root / "sitemap-news.xml"
        locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.read_text(encoding="utf-8"))
        changed_url, untouched_url = locs[0], locs[1]
        page = root / "news" / changed_url.rsplit("/", 1)[1]
        untouched = root / "news" / untouched_url.rsplit("/", 1)[1]
        # an edit to a page: visible only to a crawler that trusts the sitemap's lastmod
        touch(page, page.read_text(encoding="utf-8").replace(
            "</p>", " A correction was added to this statement on the next day.</p>", 1))
        touch(untouched, untouched.read_text(encoding="utf-8").replace(
            "</p>", " Silent.</p>", 1))
        stamp = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = sitemap.read_text(encoding="utf-8")
        text = text.replace(f"<loc>{changed_url}</loc>\n    <lastmod>",
                            f"<loc>{changed_url}</loc>\n    <lastmod>{stamp}<!--", 1)
        touch(sitemap, re.sub(r"<!--[^<]*</lastmod>", "</lastmod>", text, count=1))
        index = root / "sitemap.xml"
        touch(index, re.sub(r"<lastmod>[^<]+</lastmod>", f"<lastmod>{stamp}</lastmod>",
                            index.read_text(encoding="utf-8")))

        output, second = crawl(db, site, tmp_path / "two")
    rep = output.report["sources"][SOURCE]
    assert (second.new, second.changed) == (0, 1)
    assert rep["revalidated"] == 1 and rep["bodies"] == 3  # index, news sitemap, the page
    def stored(url: str) -> str:  # articles are stored under the demo's built base
        return db.execute("SELECT text FROM articles WHERE url = ?",
                          [url.replace(site.base, BUILT_BASE)]).fetchone()[0]

    assert "A correction was added" in stored(changed_url)
    assert "Silent." not in stored(untouched_url)


def test_unchanged_sitemaps_answer_not_modified(db: Database, tmp_path: Path) -> None:
    with DemoSite() as site:
        crawl(db, site, tmp_path / "one")
        output, second = crawl(db, site, tmp_path / "two")
    rep = output.report["sources"][SOURCE]
    assert (rep["bodies"], rep["not_modified"], second.new, second.changed) == (0, 1, 0, 0)
    state = dict(db.execute("SELECT role, count(*) FROM fetch_state GROUP BY role").fetchall())
    assert state["sitemap"] == 2 and state["article"] >= 10


def test_a_killed_crawl_loses_nothing_the_next_run_needs(db: Database, tmp_path: Path) -> None:
    from flows.crawl import CrawlOutput

    source = "demo-noticias-br"
    with DemoSite() as site:
        sources = [s for s in load_registry(site.sources) if s.id == source]
        out = crawl_sources(site.sources, [source], db, tmp_path / "one",
                            settings=LOOPBACK_SETTINGS, timeout=300, served_as=site.served_as)
        # as if killed -9 mid-way: no report, three items written and a fourth cut short
        lines = (out.workdir / "items.jsonl").read_text(encoding="utf-8").splitlines()
        (out.workdir / "items.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:50],
                                                 encoding="utf-8")
        (out.workdir / "report.json").unlink()
        killed = CrawlOutput(out.workdir, -9, out.started_at, None, out.served_as)
        first = load_crawl(db, sources, killed, new_batch())
        assert first.new == 3 and first.per_source[source]["status"] == "failed"
        assert db.execute("SELECT count(*) FROM fetch_state WHERE role = 'feed'"
                          ).fetchone()[0] == 0  # so the feed is not answered with a 304

        _, second = crawl(db, site, tmp_path / "two", source)
    assert second.new == len(lines) - 3 and second.changed == 0
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(lines)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
