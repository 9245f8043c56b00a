"""Whole crawls of the bundled demo site on a loopback port, in a child Scrapy process."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from crawlers.registry import load_registry
from crawlers.warc import read_record
from db.connect import open_db
from flows.crawl import LOOPBACK_SETTINGS, crawl_sources, load_crawl, new_batch

ROOT = Path(__file__).resolve().parent.parent
LABELS = [json.loads(line) for line in (ROOT / "demo" / "labels.jsonl").open(encoding="utf-8")]


def crawl(db: Database, site: object, workdir: Path, ids: list[str] | None = None,
          **settings: str):
    sources = [s for s in load_registry(site.sources) if not ids or s.id in ids]
    output = crawl_sources(site.sources, [s.id for s in sources], db, workdir,
                           settings={**LOOPBACK_SETTINGS, **settings}, timeout=300,
                           served_as=site.served_as)
    return output, load_crawl(db, sources, output, new_batch())


@dataclass
class Crawled:
    db: Database
    first: Any
    second: Any
    second_output: Any


@pytest.fixture(scope="module")
def crawled(demo_site: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The demo site crawled twice into one database (the tests below only read it)."""
    tmp = tmp_path_factory.mktemp("crawl")
    db = open_db(tmp / "demo.db")
    _, first = crawl(db, demo_site, tmp / "one")
    output, second = crawl(db, demo_site, tmp / "two")
    yield Crawled(db, first, second, output)
    db.close()


def test_crawl_stores_every_source(crawled: Crawled) -> None:
    db = crawled.db
    per_source = dict(db.execute(
        "SELECT source_id, count(*) FROM articles GROUP BY 1").fetchall())
    assert len(per_source) == 5 and all(n >= 5 for n in per_source.values())
    assert crawled.first.new == db["articles"].count == len(LABELS)
    assert db.execute("SELECT count(*) FROM articles WHERE kind = 'document'").fetchone()[0] >= 2
    langs = {r[0] for r in db.execute("SELECT DISTINCT language FROM articles")}
    assert {"en", "fr", "es", "pt"} <= langs
    assert db.execute("SELECT count(*) FROM articles WHERE title IS NULL OR text IS NULL"
                      " OR published IS NULL").fetchone()[0] == 0
    # robots.txt disallows /private/: never fetched, never stored
    assert db.execute("SELECT count(*) FROM articles WHERE url LIKE '%/private/%'"
                      ).fetchone()[0] == 0
    assert {r[0] for r in db.execute("SELECT status FROM crawl_runs")} == {"ok"}


def test_rerun_downloads_almost_nothing_and_adds_no_rows(crawled: Crawled) -> None:
    db = crawled.db
    assert crawled.second.new == 0 and crawled.second.changed == 0
    assert db["articles"].count == len(LABELS) and db["crawl_runs"].count == 10
    first, second = (list(db.query("SELECT * FROM crawl_runs WHERE batch = ?", [b]))
                     for b in sorted({r[0] for r in db.execute("SELECT batch FROM crawl_runs")}))
    first_bodies = sum(r["bodies"] for r in first)
    assert first_bodies >= len(LABELS)
    # feeds, sitemaps and listings answer 304 Not Modified; known articles are not asked for
    assert sum(r["bodies"] for r in second) <= 0.1 * first_bodies
    assert sum(r["not_modified"] for r in second) >= 5
    assert {r["status"] for r in second} == {"ok"}


def test_dates_titles_and_languages_match_the_answer_key(crawled: Crawled) -> None:
    key = {x["url"]: x for x in LABELS}
    rows = list(crawled.db.query("SELECT url, title, published, published_from, language "
                                 "FROM articles"))
    assert {r["url"] for r in rows} == set(key)  # stored under the built base (served_as)
    for r in rows:
        k = key[r["url"]]
        assert (r["title"], r["published"], r["language"]) == (
            k["title"], k["published"], k["language"]), r["url"]
    assert {"json-ld", "feed", "pdf"} <= {r["published_from"] for r in rows}


def test_syndicated_copies_are_clustered_with_their_originals(crawled: Crawled) -> None:
    db = crawled.db
    ids = dict(db.execute("SELECT url, id FROM articles").fetchall())
    expected = {(ids[x["url"]], ids[x["near_duplicate_of"]])
                for x in LABELS if x.get("near_duplicate_of")}
    found = set(db.execute("SELECT id, cluster_id FROM articles WHERE id != cluster_id"
                           ).fetchall())
    assert found == expected and len(found) == 2
    copies = list(db.query("SELECT * FROM article_copies"))
    assert {(c["id"], c["cluster_id"]) for c in copies} == expected
    assert all(0.4 <= c["similarity"] < 1 and c["kind"] == "near" for c in copies)
    # every other article is its own cluster
    assert db.execute("SELECT count(*) FROM articles WHERE cluster_id = id").fetchone()[0] == (
        len(LABELS) - 2)


def test_every_item_points_at_its_archived_response(crawled: Crawled, demo_site: object) -> None:
    db = crawled.db
    rows = list(db.query("SELECT url, warc_file, warc_record_id, kind FROM articles"))
    assert all(r["warc_file"] and r["warc_record_id"] for r in rows)
    root = Path(db.execute("PRAGMA database_list").fetchone()[2]).parent
    for r in rows[:5] + [r for r in rows if r["kind"] == "document"][:1]:
        assert r["warc_file"].startswith("warc/")
        record = read_record(root / r["warc_file"], r["warc_record_id"])
        assert record is not None and record["status"] == 200
        path = r["url"].split("/", 3)[3]
        assert record["body"] == (ROOT / "demo" / "site" / path).read_bytes().replace(
            b"http://127.0.0.1:8765", demo_site.base.encode())


def test_crawl_of_one_source_stays_on_it(db: Database, demo_site: object,
                                         tmp_path: Path) -> None:
    _, result = crawl(db, demo_site, tmp_path, ["demo-el-diario"],
                      NEWSDESK_EXTRACT_WORKERS="2",  # extraction in worker processes
                      NEWSDESK_EXTRACT_POOL_MIN="0")  # even for a crawl this small
    sources = {r[0] for r in db.execute("SELECT DISTINCT source_id FROM articles")}
    assert sources == {"demo-el-diario"}
    # the paginated listing was followed to its last page: every story the site has
    expected = sum(x["site"] == "el-diario" for x in LABELS)
    assert result.per_source["demo-el-diario"]["new"] == expected
