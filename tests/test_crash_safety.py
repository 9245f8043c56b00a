"""A crash at any point (kill -9) loses nothing committed (DESIGN §7).

Each test runs the writer in a child process, kills its whole process group with SIGKILL at
a known point, checks the file as the crash left it, runs the stage again and checks that
every item is stored exactly once, the file and its full-text index are sound, and curator
labels are untouched and still win.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawlers.registry import Source
from db import store
from db.connect import open_db
from tests.conftest import make_item
from tests.fault_site import NewsSite, news_text, token

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "src-a"


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, what: str,
             timeout: float = 60) -> None:
    """Poll until condition() holds; fail if the child ends first or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"child ended ({proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def spawn(*args: str) -> subprocess.Popen:
    """`python -c <this module's _child(args)>` in its own process group."""
    code = "import sys; from tests.test_crash_safety import _child; _child(sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the child and everything it started (the crawl's Scrapy process)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is gone already (a failed wait_for says why)
        pass
    proc.wait(timeout=30)


def run_to_end(*args: str) -> None:
    """Run a child to its end; it must succeed."""
    proc = spawn(*args)
    try:
        assert proc.wait(timeout=180) == 0
    finally:
        if proc.poll() is None:
            kill(proc)


def _child(argv: list[str]) -> None:
    """Entry point of the child processes: `pipeline ...` or `load ...`."""
    if argv[0] == "pipeline":
        _pipeline(Path(argv[1]), Path(argv[2]), Path(argv[3]), classify="classify" in argv,
                  shard_each="shard-each" in argv)
    else:
        _load(Path(argv[1]), Path(argv[2]), batch=argv[3], stop_at=int(argv[4]),
              marker=Path(argv[5]))


def _pipeline(sources: Path, db_path: Path, feeds: Path, *, classify: bool,
              shard_each: bool) -> None:
    """The flow's stages on one machine, without Prefect (flows/pipeline.py): crawl each shard
    (one per source, or one for all) while loading and labelling what it has written so far,
    load the rest, then label what still needs it."""
    from crawlers.registry import load_registry
    from flows import steps
    from flows.crawl import new_batch

    with steps.run_lock(db_path):
        db = open_db(db_path)
        batch = new_batch()
        registry = load_registry(sources)
        for n, shard in enumerate([[s] for s in registry] if shard_each else [registry]):
            workdir = feeds / batch / f"shard-{n:03d}"
            output = steps.crawl_shard(sources, [s.id for s in shard], db_path, workdir,
                                       steps.crawl_settings(True, {}), 120, load_batch=batch,
                                       label_chunk=200 if classify else 0)
            steps.load_shard(db, shard, output, batch, None)
            steps.discard_feed(workdir)
        if classify:
            steps.label_pending(db, 200)
        steps.finish(db)
        db.close()


def _load(workdir: Path, db_path: Path, *, batch: str, stop_at: int, marker: Path) -> None:
    """load_crawl of a crawl's output; with stop_at > 0, freeze at the INSERT of item stop_at,
    inside its batch's write transaction (after writing `marker`), until killed."""
    from flows.crawl import CrawlOutput, load_crawl

    db = open_db(db_path)
    url = "'" + make_item(stop_at)["url"] + "'"

    def trace(sql: str) -> None:  # sees the statement with its values (triggers repeat it)
        if sql.startswith("INSERT INTO articles (") and url in sql:
            marker.write_text(url, encoding="utf-8")
            time.sleep(120)

    if stop_at:
        db.conn.set_trace_callback(trace)
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    load_crawl(db, [_source()], CrawlOutput(workdir, 0, "2026-01-01T00:00:00+00:00", report),
               batch)
    db.close()


def _source() -> Source:
    return Source(id=SOURCE, name="Source A", source_type="press",
                  allowed_domains=["127.0.0.1"], feeds=["http://127.0.0.1/feed.xml"])


# -- checks ------------------------------------------------------------------------------------


def assert_sound(db: Database) -> None:
    """integrity_check ok, foreign keys hold, and the FTS index matches the articles table."""
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # external-content FTS5: with rank 1 the index is checked against the articles rows
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
    assert db.execute("SELECT id FROM articles_fts_docsize ORDER BY id").fetchall() == (
        db.execute("SELECT rowid FROM articles ORDER BY rowid").fetchall())


def assert_each_once(db: Database, expected: dict[str, str]) -> None:
    """Exactly the expected articles (canonical URL -> search token), each found once."""
    rows = db.execute("SELECT canonical_url FROM articles").fetchall()
    assert sorted(r[0] for r in rows) == sorted(expected)
    for url, word in expected.items():
        hits = db.execute(
            "SELECT a.canonical_url FROM articles_fts f JOIN articles a ON a.rowid = f.rowid "
            "WHERE articles_fts MATCH ?", [word]).fetchall()
        assert hits == [(url,)], (word, hits)


def curator_state(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every curator label and review row."""
    return (list(db.query("SELECT * FROM labels WHERE origin = 'curator' ORDER BY id")),
            list(db.query("SELECT * FROM reviews ORDER BY id")))


def store_earlier_run(db: Database, site: NewsSite) -> None:
    """What an earlier crawl of the site stored: its sources and every article it lists now."""
    store.upsert_sources(db, [{"id": sid, "name": f"Source {sid}", "country": "KEN",
                               "source_type": "government", "language": "en", "config": {}}
                              for sid in site.counts])
    store.upsert_articles(db, [
        make_item(0, sid, url=url, canonical_url=url, title=f"{sid} report {n}",
                  text=news_text(sid, n), source_type="government")
        for sid in site.counts for n, url in enumerate(site.urls(sid), 1)
    ])


# -- the tests ---------------------------------------------------------------------------------


def test_a_pipeline_killed_mid_crawl_resumes_with_every_item_once_and_labels_intact(
    tmp_path: Path,
) -> None:
    db_path, feeds, sources = tmp_path / "n.db", tmp_path / "feeds", tmp_path / "sources.yaml"
    with NewsSite({"alpha": 12, "beta": 10}) as site:
        sources.write_text(site.registry(), encoding="utf-8")
        db = open_db(db_path)
        store_earlier_run(db, site)
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY canonical_url")]
        assert len(ids) == 22
        decisions = {
            ids[0]: {"relevant": False},
            ids[5]: {"relevant": True, "themes": ["financing"], "primary_country": "SEN",
                     "countries": ["SEN"], "scope": "national"},
            ids[15]: {"relevant": True, "themes": ["space", "staff"]},
        }
        for aid, decision in decisions.items():
            store.record_review(db, aid, "ana", decision, note="checked")
        before = curator_state(db)
        db.close()

        # the sites grow; the run is killed while beta's new articles are being fetched,
        # after alpha's shard was crawled and loaded
        site.counts = {"alpha": 30, "beta": 40}
        held = site.served["beta"] + 8
        site.hold("beta", after=8)
        proc = spawn("pipeline", str(sources), str(db_path), str(feeds), "shard-each",
                     "classify")
        try:
            wait_for(lambda: site.served["beta"] > held, proc, "beta's crawl to reach the gate")
        finally:
            kill(proc)

        db = open_db(db_path)
        assert_sound(db)
        stored = {r[0].replace(site.base, "") for r in db.execute("SELECT url FROM articles")}
        db.close()
        assert {p for p in stored if p.startswith("/alpha/")} == {  # its load had committed
            f"/alpha/{n}.html" for n in range(1, 31)}
        # beta's old articles, and those loaded while its crawl ran (at most the 8 fetched)
        beta = {p for p in stored if p.startswith("/beta/")}
        assert {f"/beta/{n}.html" for n in range(1, 11)} <= beta
        assert len(beta) <= 18

        site.release()
        seen = len(site.paths)
        run_to_end("pipeline", str(sources), str(db_path), str(feeds), "classify")
        again = [p for p in site.paths[seen:] if p.endswith(".html")]
        expected = {u: token(s, n) for s in ("alpha", "beta")
                    for n, u in enumerate(site.urls(s), 1)}

    # the run resumed: stored articles were not fetched again, the missing ones were
    assert sorted(again) == sorted({f"/beta/{n}.html" for n in range(1, 41)} - beta)
    db = open_db(db_path)
    assert_sound(db)
    assert_each_once(db, expected)
    assert db.execute("SELECT count(*) FROM articles WHERE classified_sha1 IS NULL"
                      ).fetchone()[0] == 0
    assert curator_state(db) == before
    for aid, decision in decisions.items():
        effective = store.effective_labels(db, aid)
        assert {f: effective[f] for f in decision} == decision
        assert db.execute("SELECT labelled_by FROM articles WHERE id = ?", [aid]
                          ).fetchone()[0] == "curator"
        # the model did label it after the curator, and lost
        assert db.execute("SELECT count(*) FROM labels WHERE article_id = ? AND origin = 'model'",
                          [aid]).fetchone()[0] > 0
    db.close()


def write_crawl_output(workdir: Path, n: int) -> dict[str, str]:
    """A finished crawl's output folder with n articles; returns canonical URL -> token."""
    workdir.mkdir(parents=True)
    expected = {}
    with open(workdir / "items.jsonl", "w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            item = make_item(i, SOURCE, text=news_text(SOURCE, i))
            f.write(json.dumps(item) + "\n")
            expected[item["canonical_url"]] = token(SOURCE, i)
    errors = [{"url": "http://127.0.0.1/gone.html", "kind": "http-404", "detail": "gone",
               "role": "article", "at": "2026-01-01T00:00:05+00:00"}]
    report = {"finished_at": "2026-01-01T00:01:00+00:00", "sources": {SOURCE: {
        "pages": n + 2, "items": n, "bodies": n + 2, "status": "partial", "errors": errors}}}
    (workdir / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return expected


def test_a_loader_killed_mid_transaction_keeps_committed_batches_and_reloads_exactly(
    tmp_path: Path,
) -> None:
    db_path, workdir = tmp_path / "n.db", tmp_path / "shard-000"
    total = 2 * store.BATCH + 300
    stop_at = 2 * store.BATCH + 100  # inside the third batch's transaction
    expected = write_crawl_output(workdir, total)
    open_db(db_path).close()
    batch, marker = "20260101T000000.000000Z", tmp_path / "frozen"
    proc = spawn("load", str(workdir), str(db_path), batch, str(stop_at), str(marker))
    try:
        wait_for(marker.is_file, proc, "the loader to freeze mid-transaction")
        # the third batch's rows are written but not committed: a reader does not see them
        reader = open_db(db_path, readonly=True)
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 2 * store.BATCH
        reader.close()
        assert Path(f"{db_path}-wal").stat().st_size > 0
    finally:
        kill(proc)

    db = open_db(db_path)
    assert_sound(db)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2 * store.BATCH
    db.close()

    run_to_end("load", str(workdir), str(db_path), batch, "0", str(marker))  # the next try
    db = open_db(db_path)
    assert_sound(db)
    assert_each_once(db, expected)
    run = next(db.query("SELECT * FROM crawl_runs"))
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1
    assert (run["batch"], run["status"], run["items"], run["errors"]) == (
        batch, "partial", total, 1)
    assert run["new_items"] == total  # the batch brought every article, over two attempts
    assert db.execute("SELECT count(*) FROM crawl_errors").fetchone()[0] == 1
    db.close()

    _load(workdir, db_path, batch=batch, stop_at=0, marker=marker)  # once more: a no-op
    db = open_db(db_path)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == total
    assert next(db.query("SELECT new_items FROM crawl_runs"))["new_items"] == total
    db.close()


def _finished_then_killed_runs(db: Database) -> tuple[int, int]:
    """A run that finished with one URL to retry, then one whose load was killed at once."""
    store.upsert_sources(db, [{"id": SOURCE, "name": "A", "source_type": "press",
                               "config": {}}])
    first = store.start_run(db, "b1", SOURCE)
    store.record_errors(db, first, [{"url": "http://127.0.0.1/late.html", "kind": "timeout"}])
    store.finish_run(db, first, status="partial", pages=3, items=2, errors=1)
    return first, store.start_run(db, "b2", SOURCE)  # then kill -9: nothing else written


def test_a_load_killed_after_its_run_started_keeps_the_urls_to_retry(db: Database) -> None:
    """A killed load leaves its crawl_runs row 'running' with no errors recorded: the next
    crawl must still retry what the last finished run failed to fetch."""
    from db import queries

    _finished_then_killed_runs(db)

    retry = queries.crawl_state(db, [SOURCE])["retry"]
    assert retry == {SOURCE: [{"url": "http://127.0.0.1/late.html", "role": "article"}]}


def test_the_next_run_closes_interrupted_runs_and_still_retries(db: Database) -> None:
    """Under the run lock no run can be live: rows left 'running' become failed, interrupted;
    the URLs to retry still come from the last run that finished."""
    from db import queries

    first, killed = _finished_then_killed_runs(db)

    assert store.close_interrupted_runs(db) == 1
    row = next(db.query("SELECT status, detail FROM crawl_runs WHERE id = ?", [killed]))
    assert row == {"status": "failed", "detail": queries.INTERRUPTED}
    assert next(db.query("SELECT status FROM crawl_runs WHERE id = ?", [first]))["status"] \
        == "partial"
    retry = queries.crawl_state(db, [SOURCE])["retry"]
    assert retry == {SOURCE: [{"url": "http://127.0.0.1/late.html", "role": "article"}]}
    assert store.close_interrupted_runs(db) == 0
