"""Datasette stays readable and curators can write while the pipeline writes (DESIGN §7).

Three processes write one database at once: a crawl loading its items, `newsdesk classify`
labelling, and this test recording curator decisions through db.store. A fourth, the
published Datasette, answers full-text searches from two reader threads all along.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from crawlers import dedup
from db import store
from db.connect import BUSY_TIMEOUT_MS, open_db
from tests.conftest import make_item, serve_in_subprocess
from tests.fault_site import NewsSite, news_text

ROOT = Path(__file__).resolve().parent.parent
STORED = 400  # articles waiting for classification when the writers start
CRAWLED = 100  # articles the crawl finds
SEARCHES = [
    "/newsdesk/articles.json?_search=hospital&_facet=source_id&_size=5",
    "/newsdesk/articles.json?_search=oxygen+nurses&_sort_desc=published&_size=10",
    "/newsdesk/articles?_search=private",
    "/newsdesk.json?" + urllib.parse.urlencode({
        "sql": "SELECT a.id, a.title FROM articles_fts f JOIN articles a ON a.rowid = f.rowid "
               "WHERE articles_fts MATCH :q ORDER BY rank LIMIT 20", "q": "vaccine"}),
    "/newsdesk.json?" + urllib.parse.urlencode({
        "sql": "SELECT (SELECT count(*) FROM articles) AS articles, "
               "(SELECT count(*) FROM labels) AS labels", "_shape": "array"}),
]


def _crawl(sources: str, db_path: str, workdir: str) -> None:
    """Child process: crawl the loopback site, loading items as they come (flows/steps.py)."""
    from crawlers.registry import load_registry
    from flows import steps
    from flows.crawl import new_batch

    batch, registry = new_batch(), load_registry(Path(sources))
    output = steps.crawl_shard(Path(sources), [s.id for s in registry], Path(db_path),
                               Path(workdir), steps.crawl_settings(True, {}), 120,
                               load_batch=batch)
    db = open_db(db_path)
    steps.load_shard(db, registry, output, batch, None)
    db.close()


def start(log: Path, *args: str) -> subprocess.Popen:
    """`python ARGS` in the project folder, its output into log."""
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)


@dataclass
class Readers:
    """Threads searching through Datasette until stopped; every failure is kept."""

    base: str
    done: int = 0
    errors: list[str] = field(default_factory=list)
    counts: set[tuple[int, int]] = field(default_factory=set)  # (articles, labels) seen
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, offset: int) -> None:
        n = offset
        while not self.stop.is_set():
            path = SEARCHES[n % len(SEARCHES)]
            n += 1
            try:
                with urllib.request.urlopen(self.base + path, timeout=30) as r:
                    body = r.read().decode("utf-8", errors="replace")
                    status = r.status
            except urllib.error.HTTPError as e:
                body, status = e.read().decode("utf-8", errors="replace"), e.code
            except OSError as e:
                body, status = repr(e), 0
            with self.lock:
                if status != 200 or "locked" in body.lower():
                    self.errors.append(f"{status} {path}: {body[:300]}")
                elif "count(*) FROM labels" in urllib.parse.unquote_plus(path):
                    row = json.loads(body)[0]
                    self.counts.add((row["articles"], row["labels"]))
                self.done += 1
            time.sleep(0.1)  # continuous, yet leaves the writers most of the two cores


def test_readers_and_curators_never_wait_on_the_pipeline_writers(tmp_path: Path) -> None:
    db_path = tmp_path / "newsdesk.db"
    db = open_db(db_path)
    store.upsert_sources(db, [{"id": "src-a", "name": "A", "country": "KEN",
                               "source_type": "press", "language": "en", "config": {}}])
    store.upsert_articles(db, [make_item(n, text=news_text("stored", n))
                               for n in range(1, STORED + 1)])
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
    db.close()

    with NewsSite({"press": CRAWLED}) as site, serve_in_subprocess(db_path) as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.registry(), encoding="utf-8")
        readers = Readers(base)
        threads = [threading.Thread(target=readers.run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        crawl = start(tmp_path / "crawl.log", "-c", "import sys; from tests.test_concurrency "
                      "import _crawl; _crawl(*sys.argv[1:])", str(sources), str(db_path),
                      str(tmp_path / "crawl"))
        classify = start(tmp_path / "classify.log", "-m", "flows.cli", "classify", "--db",
                         str(db_path))
        curator = open_db(db_path)
        waits: list[float] = []
        failures: list[str] = []
        decided: dict[str, dict] = {}
        deadline = time.monotonic() + 150
        while (crawl.poll() is None or classify.poll() is None) and time.monotonic() < deadline:
            aid = ids[len(waits) % len(ids)]
            decision = {"relevant": len(waits) % 2 == 0, "primary_country": "SEN"}
            started = time.monotonic()
            try:
                store.record_review(curator, aid, "ana", decision, note=f"#{len(waits)}")
                decided[aid] = decision
            except Exception as e:  # every failed curator write is a finding
                failures.append(f"{type(e).__name__}: {e} after {time.monotonic() - started:.3f}s")
            waits.append(time.monotonic() - started)
            time.sleep(0.1)
        readers.stop.set()
        for t in threads:
            t.join(timeout=60)
        for proc in (crawl, classify):
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    assert (crawl.returncode, classify.returncode) == (0, 0), [
        (tmp_path / f"{name}.log").read_text(errors="replace")[-2000:]
        for name in ("crawl", "classify")]
    print(f"{readers.done} searches, {len(readers.counts)} states seen; {len(waits)} curator "
          f"writes, longest {max(waits):.3f}s, {len(failures)} failed")
    assert failures == [], (len(waits), failures)
    assert len(waits) >= 20 and max(waits) < BUSY_TIMEOUT_MS / 1000, max(waits)
    assert readers.errors == []
    assert readers.done >= 30
    assert len(readers.counts) >= 3  # searches ran while articles and labels were written
    assert curator.execute("SELECT count(*) FROM articles").fetchone()[0] == STORED + CRAWLED
    assert curator.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for aid, decision in decided.items():  # the classification ran after many: curators win
        effective = store.effective_labels(curator, aid)
        assert {f: effective[f] for f in decision} == decision
    curator.close()


# -- one write racing another, step by step ------------------------------------------------------

WRITES: dict[str, Callable[[Database, str], Any]] = {
    "record_review": lambda db, aid: store.record_review(db, aid, "ana", {"relevant": False}),
    "upsert_articles": lambda db, aid: store.upsert_articles(db, [make_item(2)]),
    "write_model_labels": lambda db, aid: store.write_model_labels(db, [{
        "article_id": aid, "content_sha1": None, "relevant": True, "relevance_score": 0.9,
        "themes": ["financing"], "theme_scores": {"financing": 0.8},
        "primary_country": "KEN", "countries": ["KEN"], "scope": "national"}], "m1"),
    "assign_clusters": lambda db, aid: store.assign_clusters(
        db, {aid: (sig := dedup.signature(news_text("x", 1)), dedup.band_keys(sig))}, 0.8),
    "set_curator": lambda db, aid: store.set_curator(db, "ana", "scrypt$not-a-real-hash"),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_waits_for_another_writer_instead_of_failing(
    db: Database, tmp_path: Path, write: str
) -> None:
    """A write that starts while another connection's transaction is open waits for it.

    A deferred transaction that reads before it writes fails at once with "database is
    locked" when another writer commits in between (SQLITE_BUSY_SNAPSHOT: the busy timeout
    does not apply), so every db.store write must take the write lock before it reads.
    """
    store.upsert_sources(db, [{"id": "src-a", "name": "A", "country": "KEN",
                               "source_type": "press", "language": "en", "config": {}}])
    store.upsert_articles(db, [make_item(1)])
    aid = db.execute("SELECT id FROM articles").fetchone()[0]
    holding, finished = threading.Event(), threading.Event()

    def writer() -> None:  # the pipeline: one batch in a write transaction, then commit
        other = open_db(tmp_path / "test.db")
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE sources SET name = 'A2'")
        holding.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()
        finished.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    try:
        WRITES[write](db, aid)
    finally:
        thread.join()
    assert finished.is_set()
    assert 0.2 < time.monotonic() - started < BUSY_TIMEOUT_MS / 1000  # it waited, then wrote
