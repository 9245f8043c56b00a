"""Whole crawls of the bundled demo site on a loopback port, in a child Scrapy process."""

import json
from pathlib import Path

from sqlite_utils import Database

from crawlers.registry import load_registry
from flows.crawl import LOOPBACK_SETTINGS, crawl_sources, load_crawl, new_batch


def crawl(db: Database, site: object, workdir: Path, ids: list[str] | None = None):
    sources = [s for s in load_registry(site.sources) if not ids or s.id in ids]
    output = crawl_sources(site.sources, [s.id for s in sources], db, workdir,
                           settings=LOOPBACK_SETTINGS, timeout=300)
    return output, load_crawl(db, sources, output, new_batch())


def test_crawl_stores_every_source_and_rerun_adds_nothing(db: Database, demo_site: object,
                                                          tmp_path: Path) -> None:
    output, first = crawl(db, demo_site, tmp_path / "one")
    assert output.returncode == 0
    per_source = dict(db.execute(
        "SELECT source_id, count(*) FROM articles GROUP BY 1").fetchall())
    assert len(per_source) == 5 and all(n >= 5 for n in per_source.values())
    assert first.new == db["articles"].count >= 60
    assert db.execute("SELECT count(*) FROM articles WHERE kind = 'document'").fetchone()[0] >= 2
    langs = {r[0] for r in db.execute("SELECT DISTINCT language FROM articles")}
    assert {"en", "fr", "es", "pt"} <= langs
    assert db.execute("SELECT count(*) FROM articles WHERE title IS NULL OR text IS NULL"
                      " OR published IS NULL").fetchone()[0] == 0
    # robots.txt disallows /private/: never fetched, never stored
    assert db.execute("SELECT count(*) FROM articles WHERE url LIKE '%/private/%'"
                      ).fetchone()[0] == 0
    runs = list(db.query("SELECT * FROM crawl_runs"))
    assert len(runs) == 5 and {r["status"] for r in runs} == {"ok"}

    output, second = crawl(db, demo_site, tmp_path / "two")
    assert second.new == 0 and second.changed == 0
    skipped = sum(s["skipped_known"] for s in output.report["sources"].values())
    assert skipped >= first.new - 3  # article pages already stored are not fetched again
    assert db["crawl_runs"].count == 10


def test_crawl_of_one_source_stays_on_it(db: Database, demo_site: object,
                                         tmp_path: Path) -> None:
    _, result = crawl(db, demo_site, tmp_path, ["demo-el-diario"])
    sources = {r[0] for r in db.execute("SELECT DISTINCT source_id FROM articles")}
    assert sources == {"demo-el-diario"}
    # the paginated listing was followed to its last page: every story the site has
    labels = Path(__file__).resolve().parent.parent / "demo" / "labels.jsonl"
    expected = sum(json.loads(line)["site"] == "el-diario" for line in labels.open())
    assert result.per_source["demo-el-diario"]["new"] == expected
