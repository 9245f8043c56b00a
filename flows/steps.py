"""The pipeline's steps as plain functions; flows/pipeline.py wraps them as Prefect tasks."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawlers.registry import Source, load_registry, select
from db import queries, store
from db.connect import open_db
from flows.crawl import (
    LOOPBACK_SETTINGS,
    CrawlOutput,
    FeedLoader,
    LoadResult,
    crawl_sources,
    load_crawl,
)


class CrawlCrashed(Exception):
    """A crawl child process ended without its report (a retry may succeed)."""

    def __init__(self, message: str, returncode: int = 1) -> None:
        super().__init__(message, returncode)  # both in args: it pickles back from a worker
        self.returncode = returncode

    def __str__(self) -> str:
        return str(self.args[0])


class RunInProgress(Exception):
    """Another pipeline run holds the database's run lock."""


@contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Hold `<db>.run.lock` for a whole run so two runs on one database never overlap."""
    path = Path(f"{db_path}.run.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(f"another run is in progress on {db_path} ({path})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process dies


def crawl_settings(loopback: bool, overrides: dict[str, str]) -> dict[str, str]:
    """Scrapy overrides of one shard: no politeness delays on loopback, then the operator's."""
    return {**(LOOPBACK_SETTINGS if loopback else {}), **overrides}


def _last_line(workdir: Path) -> str:
    log = workdir / "crawl.log"
    if not log.is_file():
        return "no log"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "empty log")


class LoadWhileCrawling:
    """crawl_sources' `while_running` hook: store the items written so far, then label them.

    The crawl child extracts on every core while this process loads and labels behind it, so
    the stages overlap instead of running one after the other (docs/benchmarks.md).
    """

    def __init__(self, db: Database, sources: list[Source], batch: str,
                 flow_run_id: str | None, label_chunk: int = 0) -> None:
        self.db = db
        self.sources = sources
        self.batch = batch
        self.flow_run_id = flow_run_id
        self.label_chunk = label_chunk  # 0: load only
        self.loader: FeedLoader | None = None

    def __call__(self, output: CrawlOutput) -> None:
        if self.loader is None:
            self.loader = FeedLoader(self.db, self.sources, output, self.batch, self.flow_run_id)
        if self.loader.load() and self.label_chunk:
            output.labelled += label_pending(self.db, self.label_chunk)


def crawl_shard(
    sources_path: Path, source_ids: Sequence[str], db_path: Path, workdir: Path,
    settings: dict[str, str], timeout: float, contact: str | None = None, *,
    load_batch: str | None = None, flow_run_id: str | None = None, label_chunk: int = 0,
) -> CrawlOutput:
    """Crawl some sources in a child process; raise CrawlCrashed if it died without a report.

    A crawl stopped by its time limit is not an error here: what it fetched is loaded and its
    sources are recorded as failed. With `load_batch` (the run's batch id; only where this
    process may write the database), items are stored while the crawl runs, and labelled in
    chunks of `label_chunk` when it is not 0; load_shard then stores the rest.
    """
    if contact:
        os.environ["NEWSDESK_CONTACT"] = contact  # the crawl child builds its User-Agent from it
    db = open_db(db_path, migrate=False)
    try:
        hook = None
        if load_batch is not None:
            sources = select(load_registry(sources_path), list(source_ids))
            hook = LoadWhileCrawling(db, sources, load_batch, flow_run_id, label_chunk)
        started = time.monotonic()
        output = crawl_sources(sources_path, list(source_ids), db, workdir, settings=settings,
                               timeout=timeout, while_running=hook)
    finally:
        db.close()
    if output.report is None and time.monotonic() - started < timeout:
        raise CrawlCrashed(f"crawl of {', '.join(source_ids)} ended with code "
                           f"{output.returncode}: {_last_line(workdir)}", output.returncode)
    return output


def crashed_output(workdir: Path, started_at: str, error: BaseException | None) -> CrawlOutput:
    """What load_crawl needs to record a shard whose every attempt crashed."""
    code = error.returncode if isinstance(error, CrawlCrashed) else -1
    return CrawlOutput(workdir, code, started_at, None)


def load_shard(
    db: Database, sources: Sequence[Source], output: CrawlOutput, batch: str,
    flow_run_id: str | None,
) -> LoadResult:
    """Store one shard's crawl (single writer: runs in the flow's process)."""
    return load_crawl(db, list(sources), output, batch, flow_run_id=flow_run_id)


def pending_chunks(db_path: Path, model_version: str, size: int) -> Iterator[list[dict]]:
    """Articles to (re)label, in chunks, read from their own connection's snapshot."""
    reader = open_db(db_path, readonly=True)
    try:
        chunk: list[dict[str, Any]] = []
        for row in queries.articles_to_classify(reader, model_version):
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    finally:
        reader.close()


def write_labels(db: Database, results: list[dict[str, Any]], model_version: str) -> int:
    """Store model labels; return the number of articles labelled."""
    store.write_model_labels(db, results, model_version)
    return len(results)


def label_pending(db: Database, size: int) -> int:
    """Label every article waiting for the committed model, in chunks; return how many."""
    from flows.labelling import classify_articles

    return classify_articles(db, chunk=size)


TRANSIENT_FILES = ("items.jsonl", "fetches.jsonl", "state.json", "known-urls.txt")


def discard_feed(workdir: Path) -> None:
    """Remove a loaded shard's feed; its log and report stay for the operator."""
    for name in TRANSIENT_FILES:
        (workdir / name).unlink(missing_ok=True)


def finish(db: Database) -> None:
    """Keep the published file quick to query (derived counts are kept by triggers, m004)."""
    db.execute("PRAGMA optimize")
    db.execute("PRAGMA wal_checkpoint(PASSIVE)")


# -- the run's report ----------------------------------------------------------------------


@dataclass
class RunReport:
    """What one run did, for the CLI, the return value and the markdown artifact."""

    batch: str
    flow_run_id: str | None
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0
    labelled: int = 0
    crashed: list[str] = field(default_factory=list)  # messages of shards that never finished
    failing: list[str] = field(default_factory=list)  # sources failed several runs in a row

    def add(self, result: LoadResult) -> None:
        """Fold one shard's load into the totals."""
        self.new += result.new
        self.changed += result.changed
        self.unchanged += result.unchanged
        self.errors += result.errors
        self.per_source.update(result.per_source)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (the flow's return value)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def failing_sources(db: Database) -> list[str]:
    """Ids of sources flagged by the crawl health check."""
    return [row["source_id"] for row in queries.source_health(db) if row["failing"]]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def summary_markdown(report: RunReport) -> str:
    """The run's markdown artifact: items per source, new items, errors, labels."""
    lines = [
        f"# newsdesk run {report.batch}",
        "",
        f"**{report.new} new**, {report.changed} changed, {report.unchanged} unchanged; "
        f"{report.errors} crawl errors; {report.labelled} articles labelled.",
        "",
        "| source | status | pages | items | new | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for sid, r in sorted(report.per_source.items()):
        lines.append(
            f"| {_cell(sid)} | {_cell(r['status'])} | {r['pages']} | {r['items']} | {r['new']} "
            f"| {r['errors']} |"
        )
    if report.crashed:
        lines += ["", "## Crawl batches that crashed after every retry", ""]
        lines += [f"- {_cell(m)}" for m in report.crashed]
    if report.failing:
        lines += ["", "## Failing sources (failed several runs in a row)", ""]
        lines += [f"- {_cell(s)}" for s in report.failing]
    return "\n".join(lines) + "\n"
