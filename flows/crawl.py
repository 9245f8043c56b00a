"""Crawl stage: run the spider in a child process, then load its output into the database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawlers import dedup
from crawlers.registry import Source, load_registry
from db import queries, store
from db.ids import article_id

WARC_FOLDER = "warc"  # under the archive root; items name files relative to that root
LOAD_BATCH = 500  # feed items per write transaction: memory stays flat whatever the crawl size

# Loopback sites answer at once: no politeness delays (used by the demo and the tests).
LOOPBACK_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "30",  # loopback answers at once; a busy CI machine may not
    # extraction processes start by crawl size (NEWSDESK_EXTRACT_POOL_MIN): the demo's few
    # dozen pages stay in the crawler, a big loopback crawl uses every core
}


def new_batch() -> str:
    """A batch id for one crawl: its UTC start time."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


@dataclass
class CrawlOutput:
    """Where a child crawl left its output and how it ended."""

    workdir: Path
    returncode: int
    started_at: str
    report: dict[str, Any] | None
    served_as: tuple[str, str] | None = None
    progress: FeedProgress | None = None  # what was loaded while the crawl ran
    labelled: int = 0  # articles labelled while the crawl ran


@dataclass
class FeedProgress:
    """How far a feed has been loaded: its byte offset and what loading it has counted."""

    offset: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    items: Counter[str] = field(default_factory=Counter)  # per source
    new_by_source: Counter[str] = field(default_factory=Counter)


@dataclass
class LoadResult:
    """What loading a crawl changed in the database."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)


def crawl_sources(
    sources_path: Path, source_ids: list[str], db: Database, workdir: Path, *,
    settings: dict[str, str] | None = None, timeout: float = 3600,
    served_as: tuple[str, str] | None = None, archive_dir: Path | None = None,
    revalidate_days: int = 7,
    while_running: Callable[[CrawlOutput], object] | None = None, poll_seconds: float = 2.0,
) -> CrawlOutput:
    """Crawl in a child process (`python -m crawlers.run`), incrementally.

    The child gets the crawl state of these sources from the database (known URLs,
    validators, URLs to retry) and archives responses under archive_dir/warc (default: the
    database's folder, where Datasette looks for them).

    `served_as=(identity_base, served_base)`: the sites are reached at another address than
    the one their URLs are stored under (the demo site on a free port); stored URLs are
    translated both ways so ids stay stable.

    `while_running(output)` is called every `poll_seconds` while the child runs (the flow
    loads and labels the items written so far, see FeedLoader).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    ids = source_ids or [s.id for s in load_registry(sources_path)]
    state = workdir / "state.json"
    crawl_state = queries.crawl_state(db, ids, revalidate_days=revalidate_days)
    if served_as:
        crawl_state = _translate_state(crawl_state, served_as)
    state.write_text(json.dumps(crawl_state), encoding="utf-8")
    root = archive_dir or Path(queries.database_folder(db) or workdir)
    cmd = [
        sys.executable, "-m", "crawlers.run", "--sources", str(sources_path),
        "--out", str(workdir), "--state", str(state),
        "--warc-dir", str(root / WARC_FOLDER), "--warc-name", WARC_FOLDER,
    ]
    for sid in source_ids:
        cmd += ["--source", sid]
    for name, value in (settings or {}).items():
        cmd += ["-s", f"{name}={value}"]
    started = store.now()
    output = CrawlOutput(workdir, -1, started, None, served_as)
    (workdir / "report.json").unlink(missing_ok=True)  # a retry must not read the last one
    deadline = time.monotonic() + timeout
    with open(workdir / "crawl.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    output.returncode = proc.wait(timeout=max(0.0, min(poll_seconds, left)))
                    break
                except subprocess.TimeoutExpired:
                    if left <= poll_seconds:
                        proc.kill()
                        proc.wait()
                        output.returncode = -1
                        break
                if while_running is not None:
                    while_running(output)
        finally:
            if proc.poll() is None:  # the callback raised: leave no crawl behind
                proc.kill()
                proc.wait()
    report_path = workdir / "report.json"
    if report_path.is_file():
        output.report = json.loads(report_path.read_text(encoding="utf-8"))
    return output


def iter_items(
    path: Path, served_as: tuple[str, str] | None = None, progress: FeedProgress | None = None,
    *, final: bool = True,
) -> Iterator[dict[str, Any]]:
    """Items of a JSON Lines feed, one at a time; a truncated last line (killed crawl) is skipped.

    With `progress`, reading starts at its offset and moves it past each line read; unless
    `final`, a last line without its newline is left for later (the crawl is still writing it).
    """
    if not path.is_file():
        return
    with open(path, "rb") as f:
        f.seek(progress.offset if progress else 0)
        for line in f:
            if not line.endswith(b"\n") and not final:
                return
            if progress is not None:
                progress.offset += len(line)
            try:
                item = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if served_as:
                for key in ("url", "canonical_url", "requested_url"):
                    if item.get(key):
                        item[key] = item[key].replace(served_as[1], served_as[0], 1)
            yield item


def read_items(path: Path, served_as: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Every item of a JSON Lines feed (small feeds; loading streams with iter_items)."""
    return list(iter_items(path, served_as))


class FeedLoader:
    """Stores a crawl's items.jsonl in batches of LOAD_BATCH, also while the crawl still runs.

    Each `load()` stores the complete lines the feed gained since the last one, so a crawl's
    articles reach the database (and the labeller) as it goes and at most one batch of them
    is in memory. Sources and crawl runs are created before the first article, as load_crawl
    always did; every write is an idempotent upsert, so a load repeated after a crash changes
    nothing it already stored.
    """

    def __init__(self, db: Database, sources: list[Source], output: CrawlOutput, batch: str,
                 flow_run_id: str | None = None) -> None:
        self.db = db
        self.sources = sources
        self.output = output
        self.batch = batch
        self.flow_run_id = flow_run_id
        if output.progress is None:
            output.progress = FeedProgress()
        self.progress = output.progress
        self.run_ids: dict[str, int] = {}

    def start(self) -> dict[str, int]:
        """Upsert the sources and open their crawl runs (once); return run ids by source."""
        if not self.run_ids:
            store.upsert_sources(
                self.db,
                ({"id": s.id, "name": s.name, "country": s.country,
                  "source_type": s.source_type, "language": s.language,
                  "config": s.model_dump()} for s in self.sources),
            )
            for src in self.sources:
                self.run_ids[src.id] = store.start_run(
                    self.db, self.batch, src.id, started_at=self.output.started_at,
                    flow_run_id=self.flow_run_id,
                )
        return self.run_ids

    def load(self, *, final: bool = False) -> int:
        """Store the items written since the last call; return how many."""
        run_ids = self.start()
        path = self.output.workdir / "items.jsonl"
        done = 0
        chunk: list[dict[str, Any]] = []
        for item in iter_items(path, self.output.served_as, self.progress, final=final):
            if item.get("source_id") not in run_ids:
                continue
            chunk.append(item)
            if len(chunk) >= LOAD_BATCH:
                done += self._store(chunk)
                chunk = []
        if chunk:
            done += self._store(chunk)
        return done

    def __call__(self, output: CrawlOutput) -> int:
        """crawl_sources' `while_running` hook."""
        return self.load()

    def _store(self, items: list[dict[str, Any]]) -> int:
        by_source: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_source.setdefault(item["source_id"], []).append(item)
        p = self.progress
        for sid, rows in by_source.items():
            counts = store.upsert_articles(self.db, rows, run_id=self.run_ids[sid])
            store.assign_clusters(self.db, _signatures(rows), dedup.NEAR_DUPLICATE)
            p.new += counts.new
            p.changed += counts.changed
            p.unchanged += counts.unchanged
            p.items[sid] += len(rows)
            p.new_by_source[sid] += counts.new
        return len(items)


def load_crawl(
    db: Database, sources: list[Source], output: CrawlOutput, batch: str,
    flow_run_id: str | None = None,
) -> LoadResult:
    """Store a crawl's sources, runs, articles and errors; loading it twice is a no-op.

    Articles stream from the feed in batches (FeedLoader), continuing from what was loaded
    while the crawl ran (`output.progress`).
    """
    loader = FeedLoader(db, sources, output, batch, flow_run_id)
    loader.load(final=True)
    progress = loader.progress
    report = (output.report or {}).get("sources", {})
    complete = {s.id for s in sources if s.id in report and report[s.id]["status"] != "failed"}
    # entry pages' validators only count when the source's crawl ran to its end:
    # a 304 next time must not hide articles that a killed crawl never reached
    store.record_fetches(db, (
        f for f in iter_items(output.workdir / "fetches.jsonl", output.served_as)
        if f.get("source_id") in loader.run_ids
        and (f["source_id"] in complete or f.get("role") == "article")
    ))
    result = LoadResult(new=progress.new, changed=progress.changed,
                        unchanged=progress.unchanged)
    for src in sources:
        run_id = loader.run_ids[src.id]
        rep = report.get(src.id)
        if rep is not None and output.served_as:
            identity, served = output.served_as
            rep = {**rep, "errors": [{**e, "url": e["url"].replace(served, identity, 1)}
                                     for e in rep["errors"]]}
        if rep is None:
            errors = [{"url": "", "kind": "crash", "role": "crawl",
                       "detail": f"crawl process ended with code {output.returncode}"}]
            rep = {"pages": 0, "items": progress.items[src.id], "status": "failed",
                   "errors": errors}
        store.record_errors(db, run_id, rep["errors"])
        store.set_error_roles(db, run_id, {(e["url"], e["kind"]): e.get("role") or "article"
                                           for e in rep["errors"]})
        store.finish_run(
            db, run_id, status=rep["status"], pages=rep["pages"], items=rep["items"],
            errors=len(rep["errors"]),
            finished_at=(output.report or {}).get("finished_at"),
        )
        store.record_run_transfer(
            db, run_id, bodies=rep.get("bodies", 0), not_modified=rep.get("not_modified", 0),
            skipped_known=rep.get("skipped_known", 0), bytes_=rep.get("bytes", 0),
        )
        result.errors += len(rep["errors"])
        result.per_source[src.id] = {
            "status": rep["status"], "pages": rep["pages"], "items": rep["items"],
            "new": progress.new_by_source[src.id], "errors": len(rep["errors"]),
            "bodies": rep.get("bodies", 0), "not_modified": rep.get("not_modified", 0),
            "skipped_known": rep.get("skipped_known", 0),
        }
    return result


def _translate_state(state: dict[str, Any], served_as: tuple[str, str]) -> dict[str, Any]:
    """The crawl state with stored (identity) URLs turned into the URLs the sites answer at."""
    identity, served = served_as

    def tr(url: str) -> str:
        return url.replace(identity, served, 1)

    return {
        **state,
        "known": [tr(u) for u in state["known"]],
        "validators": {tr(u): v for u, v in state["validators"].items()},
        "revalidate": [tr(u) for u in state["revalidate"]],
        "retry": {sid: [{**r, "url": tr(r["url"])} for r in rows]
                  for sid, rows in state["retry"].items()},
    }


def _signatures(items: list[dict[str, Any]]) -> dict[str, tuple[bytes, list[int]] | None]:
    """MinHash signature and band keys per article id (None for texts too short)."""
    out: dict[str, tuple[bytes, list[int]] | None] = {}
    for item in items:
        sig = dedup.signature(item.get("text") or "")
        aid = article_id(item.get("canonical_url") or item["url"])
        out[aid] = (sig, dedup.band_keys(sig)) if sig else None
    return out
