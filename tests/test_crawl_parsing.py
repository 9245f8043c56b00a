"""Feeds, sitemaps and listings, parsed from saved bodies; spider callbacks on saved responses."""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from crawlers.parsing import EntryPageError, feed_entries, listing_links, sitemap_entries
from crawlers.spiders.registry import RegistrySpider

REGISTRY = """sources:
  - id: s
    name: S
    source_type: press
    feeds: [https://ex.org/feed.xml]
    sitemaps: [https://ex.org/sitemap.xml]
    start_urls: [https://ex.org/news]
    link_selector: "h2 a"
    next_selector: "a.next"
    allowed_domains: [ex.org]
"""


def test_rss_and_atom_entries() -> None:
    rss = b"""<rss version="2.0"><channel>
      <item><link>https://ex.org/a?utm_source=rss</link>
        <pubDate>Tue, 14 Apr 2020 10:00:00 +0200</pubDate></item>
      <item><guid isPermaLink="true">/b</guid></item>
      <item><title>no link</title></item></channel></rss>"""
    entries = feed_entries(rss, "https://ex.org/feed.xml")
    assert [e.link for e in entries] == ["https://ex.org/a?utm_source=rss", "https://ex.org/b",
                                         None]
    assert entries[0].published == datetime(2020, 4, 14, 8, 0, tzinfo=UTC)
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="enclosure" href="https://ex.org/x.mp3"/><link href="https://ex.org/c"/>
      <published>2021-02-03T04:05:06Z</published></entry></feed>"""
    (entry,) = feed_entries(atom, "https://ex.org/atom.xml")
    assert entry.link == "https://ex.org/c" and entry.published.day == 3


def test_broken_feed_and_html_instead_of_a_feed() -> None:
    entries = feed_entries(b"<rss><channel><item><link>https://ex.org/a</link></item>"
                           b"<item><link>https://ex.org/b", "https://ex.org/f")
    assert [e.link for e in entries][:1] == ["https://ex.org/a"]  # recovered what it could
    with pytest.raises(EntryPageError):
        feed_entries(b"<html><body>Service unavailable</body></html>", "https://ex.org/f")


def test_sitemaps_plain_gzipped_and_index() -> None:
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>
      <loc>https://ex.org/a</loc><lastmod>2021-07-22</lastmod>
      <news:news><news:publication_date>2021-07-20T09:00:00Z</news:publication_date></news:news>
      </url></urlset>"""
    for body in (urlset, gzip.compress(urlset)):
        kind, (entry,) = sitemap_entries(body)
        assert kind == "urlset" and entry.loc == "https://ex.org/a"
        assert entry.lastmod == datetime(2021, 7, 22, tzinfo=UTC)
        assert entry.published == datetime(2021, 7, 20, 9, tzinfo=UTC)
    kind, entries = sitemap_entries(b"<sitemapindex><sitemap><loc>https://ex.org/s1.xml</loc>"
                                    b"</sitemap></sitemapindex>")
    assert kind == "sitemapindex" and entries[0].loc == "https://ex.org/s1.xml"
    with pytest.raises(EntryPageError):
        sitemap_entries(b"<html>not found</html>")


def test_listing_links_and_next_page() -> None:
    html = ('<h2><a href="/n/1">One</a></h2><h2><a href="n/2">Two</a></h2>'
            '<a class="next" href="?p=2">')
    assert listing_links(html, "https://ex.org/news/", "h2 a", "a.next") == (
        ["https://ex.org/n/1", "https://ex.org/news/n/2"], "https://ex.org/news/?p=2")
    with pytest.raises(EntryPageError):
        listing_links(html, "https://ex.org/", "h2 >>> a", None)


def _spider(tmp_path: Path, state: dict) -> RegistrySpider:
    registry = tmp_path / "r.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    return RegistrySpider(sources=str(registry), state=str(path))


def _response(cls, url: str, body: bytes, role: str, status: int = 200):
    request = Request(url, meta={"source_id": "s", "role": role})
    return cls(url=url, body=body, request=request, status=status)


def test_feed_callback_skips_known_articles_and_tracking_duplicates(tmp_path: Path) -> None:
    spider = _spider(tmp_path, {"known": ["https://ex.org/old"]})
    body = b"""<rss><channel><item><link>https://ex.org/old?utm_medium=rss</link></item>
      <item><link>https://ex.org/new?utm_medium=rss</link></item>
      <item><link>https://ex.org/new#comments</link></item>
      <item><link>https://elsewhere.org/x</link></item></channel></rss>"""
    requests = list(spider.parse_feed(_response(XmlResponse, "https://ex.org/feed.xml", body,
                                                "feed")))
    assert [r.url for r in requests] == ["https://ex.org/new"]
    assert spider.counts["s"]["skipped_known"] == 1


def test_sitemap_lastmod_revalidates_known_pages_changed_since_the_last_crawl(
    tmp_path: Path,
) -> None:
    spider = _spider(tmp_path, {
        "known": ["https://ex.org/a", "https://ex.org/b"],
        "validators": {"https://ex.org/a": {"etag": '"v1"', "last_modified": None}},
        "last_success": {"s": "2021-07-01T00:00:00+00:00"},
    })
    body = b"""<urlset><url><loc>https://ex.org/a</loc><lastmod>2021-07-22</lastmod></url>
      <url><loc>https://ex.org/b</loc><lastmod>2021-06-01</lastmod></url>
      <url><loc>https://ex.org/c</loc></url></urlset>"""
    requests = list(spider.parse_sitemap(_response(XmlResponse, "https://ex.org/sitemap.xml",
                                                   body, "sitemap")))
    assert [r.url for r in requests] == ["https://ex.org/a", "https://ex.org/c"]
    assert requests[0].headers.get("If-None-Match") == b'"v1"'
    assert spider.counts["s"]["revalidated"] == 1 and spider.counts["s"]["skipped_known"] == 1


def test_listing_walk_back_stops_at_a_page_with_nothing_new(tmp_path: Path) -> None:
    page = b'<h2><a href="/n/1">1</a></h2><a class="next" href="/news?p=2">next</a>'
    first_crawl = _spider(tmp_path, {"known": ["https://ex.org/n/1"]})
    assert [r.url for r in first_crawl.parse_listing(
        _response(HtmlResponse, "https://ex.org/news", page, "listing"))] == [
        "https://ex.org/news?p=2"]  # no good crawl yet: keep walking back
    later = _spider(tmp_path, {"known": ["https://ex.org/n/1"],
                               "last_success": {"s": "2021-07-01T00:00:00+00:00"}})
    assert list(later.parse_listing(
        _response(HtmlResponse, "https://ex.org/news", page, "listing"))) == []


def test_not_modified_entry_pages_yield_nothing(tmp_path: Path) -> None:
    spider = _spider(tmp_path, {})
    response = _response(XmlResponse, "https://ex.org/feed.xml", b"", "feed", status=304)
    assert list(spider.parse_feed(response)) == []
    assert spider.counts["s"]["not_modified"] == 1 and spider.counts["s"]["bodies"] == 0


def test_validators_are_sent_only_for_stored_articles(tmp_path: Path) -> None:
    validators = {u: {"etag": '"v1"', "last_modified": None}
                  for u in ("https://ex.org/stored", "https://ex.org/lost")}
    spider = _spider(tmp_path, {"known": ["https://ex.org/stored"],
                                "revalidate": ["https://ex.org/stored"],
                                "validators": validators})
    body = (b"<rss><channel><item><link>https://ex.org/stored</link></item>"
            b"<item><link>https://ex.org/lost</link></item></channel></rss>")
    stored, lost = spider.parse_feed(_response(XmlResponse, "https://ex.org/feed.xml", body,
                                               "feed"))
    assert stored.headers.get("If-None-Match") == b'"v1"'
    assert lost.headers.get("If-None-Match") is None  # fetched by a killed crawl, never stored
