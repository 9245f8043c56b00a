"""The Prefect pipeline: its plain steps directly, then a few flow runs on one test harness."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlite_utils import Database
from typer.testing import CliRunner

from crawlers.registry import Source
from flows import steps
from flows.config import load_config
from flows.crawl import LOOPBACK_SETTINGS, CrawlOutput
from flows.scaling import plan_shards
from tests.conftest import make_item


def source(sid: str, domain: str = "127.0.0.1") -> Source:
    return Source(id=sid, name=sid, source_type="press", allowed_domains=[domain],
                  feeds=[f"http://{domain}/{sid}.xml"])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def registry(site: Any, folder: Path, ids: list[str], dead: list[str] = ()) -> Path:
    """A registry of some demo sources plus sources whose loopback port refuses connections."""
    data = yaml.safe_load(site.sources.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] in ids]
    for sid in dead:
        data["sources"].append({
            "id": sid, "name": sid, "country": None, "source_type": "press", "language": "en",
            "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"],
            "allowed_domains": ["127.0.0.1"],
        })
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# -- plain functions -------------------------------------------------------------------------


def test_shards_keep_loopback_sources_apart_and_respect_the_size() -> None:
    sources = [source("a", "a.org"), source("b"), source("c", "c.org"), source("d", "d.org")]
    shards = plan_shards(sources, 2)
    assert [(s.source_ids, s.loopback) for s in shards] == [
        (("a", "c"), False), (("d",), False), (("b",), True)]
    assert [s.index for s in shards] == [0, 1, 2]


def test_loopback_shards_crawl_without_politeness_delays_unless_overridden() -> None:
    assert steps.crawl_settings(True, {}) == LOOPBACK_SETTINGS
    assert steps.crawl_settings(False, {"DOWNLOAD_DELAY": "2"}) == {"DOWNLOAD_DELAY": "2"}
    assert steps.crawl_settings(True, {"DOWNLOAD_DELAY": "2"})["DOWNLOAD_DELAY"] == "2"


def test_run_lock_refuses_a_second_run_on_the_same_database(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with steps.run_lock(db):
        with pytest.raises(steps.RunInProgress, match="another run is in progress"):
            with steps.run_lock(db):
                pass
        with steps.run_lock(tmp_path / "other.db"):  # another database: no conflict
            pass
    with steps.run_lock(db):  # released
        pass


def test_a_crawl_child_that_dies_without_report_raises_crawl_crashed(db: Database,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [source("x").model_dump()]}), encoding="utf-8")
    db_path = tmp_path / "test.db"
    with pytest.raises(steps.CrawlCrashed, match="crawl of x ended with code"):
        steps.crawl_shard(path, ["x"], db_path, tmp_path / "w",
                          {"SPIDER_LOADER_CLASS": "no.such.Loader"}, timeout=120)


def test_summary_markdown_lists_sources_errors_and_labels() -> None:
    report = steps.RunReport("20260101T000000Z", "run-1", new=3, errors=2, labelled=3,
                             crashed=["crawl of b ended with code 1: boom"], failing=["b"])
    report.per_source = {
        "a": {"status": "ok", "pages": 4, "items": 3, "new": 3, "errors": 0},
        "b": {"status": "failed", "pages": 0, "items": 0, "new": 0, "errors": 2},
    }
    md = steps.summary_markdown(report)
    assert "| a | ok | 4 | 3 | 3 | 0 |" in md and "| b | failed | 0 | 0 | 0 | 2 |" in md
    assert "**3 new**" in md and "3 articles labelled" in md
    assert "boom" in md and "- b" in md


# -- flow runs (one Prefect test harness for the session) ------------------------------------


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.settings import (
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tempfile.mkdtemp(prefix="newsdesk-prefect-home-")
    saved = {k: os.environ.get(k) for k in ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED")}
    os.environ.update(PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    try:
        with temporary_settings(updates={PREFECT_HOME: home,
                                         PREFECT_SERVER_ANALYTICS_ENABLED: False}):
            with prefect_test_harness(server_startup_timeout=120):
                yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """NEWSDESK_* for a test: its own data folder, no config file, no retry waits."""
    for name in list(os.environ):
        if name.startswith("NEWSDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSDESK_CRAWL_RETRY_DELAY", "0")
    return tmp_path


def test_run_command_stores_and_labels_a_loopback_source_with_the_flow_run_id(
    prefect_harness: None, settings_env: Path, demo_site: Any,
) -> None:
    from prefect.artifacts import Artifact

    from flows.cli import app
    from flows.pipeline import ARTIFACT_KEY

    sources = registry(demo_site, settings_env, ["demo-sante-sn"], dead=["dead-local"])
    db_path = settings_env / "news.db"
    result = CliRunner().invoke(app, ["run", "--sources", str(sources), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = Database(db_path)
    stored = db.execute("SELECT count(*), count(model_version) FROM articles "
                        "WHERE source_id = 'demo-sante-sn'").fetchone()
    assert stored[0] >= 10 and stored[1] == stored[0]  # every item stored is labelled
    runs = {r["source_id"]: r for r in db.query("SELECT * FROM crawl_runs")}
    assert runs["demo-sante-sn"]["status"] == "ok"
    assert runs["dead-local"]["status"] == "failed" and runs["dead-local"]["errors"] >= 1
    flow_run_ids = {r["flow_run_id"] for r in runs.values()}
    assert len(flow_run_ids) == 1 and None not in flow_run_ids
    artifact = Artifact.get(ARTIFACT_KEY)
    assert str(artifact.flow_run_id) in flow_run_ids
    assert "| demo-sante-sn | ok |" in artifact.data and "| dead-local | failed |" in artifact.data
    assert not list((settings_env / "data" / "crawls").rglob("items.jsonl"))  # feeds cleaned


def test_a_crashing_shard_is_retried_then_recorded_and_the_others_still_load(
    prefect_harness: None, settings_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.pipeline import run_pipeline

    attempts: dict[str, int] = {}
    lock = threading.Lock()

    def fake_crawl(sources_path: Path, ids: list[str], db: Any, workdir: Path,
                   **kw: Any) -> CrawlOutput:
        (sid,) = ids
        with lock:
            attempts[sid] = attempts.get(sid, 0) + 1
        workdir.mkdir(parents=True, exist_ok=True)
        if sid == "crashy":
            (workdir / "crawl.log").write_text("Traceback ...\nMemoryError\n")
            return CrawlOutput(workdir, 1, "2026-01-01T00:00:00+00:00", None)
        items = [make_item(n, source_id=sid) for n in range(3)]
        (workdir / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
        report = {"finished_at": "2026-01-01T00:01:00+00:00", "sources": {sid: {
            "status": "ok", "pages": 3, "items": 3, "errors": []}}}
        return CrawlOutput(workdir, 0, "2026-01-01T00:00:00+00:00", report)

    monkeypatch.setattr(steps, "crawl_sources", fake_crawl)
    path = settings_env / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [
        source("crashy", "crashy.example").model_dump(),
        source("fine", "fine.example").model_dump()]}), encoding="utf-8")
    cfg = load_config(sources=path, db=settings_env / "n.db", crawl_batch_size=1,
                      crawl_retries=1)
    report = run_pipeline(cfg)
    assert attempts == {"crashy": 2, "fine": 1}
    assert report["per_source"]["fine"]["new"] == 3 and report["labelled"] == 3
    assert len(report["crashed"]) == 1 and "MemoryError" in report["crashed"][0]
    db = Database(settings_env / "n.db")
    (run,) = db.query("SELECT * FROM crawl_runs WHERE source_id = 'crashy'")
    assert run["status"] == "failed" and run["flow_run_id"] == report["flow_run_id"]
    assert [e["kind"] for e in db.query("SELECT kind FROM crawl_errors")] == ["crash"]


def test_dask_task_runner_spreads_crawl_shards_and_tagging_over_workers(
    prefect_harness: None, settings_env: Path, demo_site: Any,
) -> None:
    from flows.pipeline import run_pipeline

    sources = registry(demo_site, settings_env, ["demo-sante-sn"], dead=["dead-local"])
    cfg = load_config(sources=sources, db=settings_env / "n.db", task_runner="dask",
                      dask_workers=2, crawl_batch_size=1, classify_chunk=4)
    report = run_pipeline(cfg)
    db = Database(settings_env / "n.db")
    assert {r["source_id"]: r["status"] for r in db.query("SELECT * FROM crawl_runs")} == {
        "demo-sante-sn": "ok", "dead-local": "failed"}
    total = db["articles"].count
    assert total >= 10 and report["new"] == total and report["labelled"] == total
    assert db.execute("SELECT count(*) FROM articles WHERE model_version IS NULL"
                      ).fetchone()[0] == 0
