"""Crawl stage: run the spider in a child process, then load its output into the database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawlers.registry import Source
from db import queries, store

# Loopback sites answer at once: no politeness delays (used by the demo and the tests).
LOOPBACK_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "10",
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
    served_as: tuple[str, str] | None = None,
) -> CrawlOutput:
    """Crawl in a child process (`python -m crawlers.run`), skipping URLs already stored.

    `served_as=(identity_base, served_base)`: the sites are reached at another address than
    the one their URLs are stored under (the demo site on a free port); stored URLs are
    translated both ways so ids stay stable.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    known = workdir / "known-urls.txt"
    urls = sorted(queries.known_urls(db))
    if served_as:
        urls = [u.replace(served_as[0], served_as[1], 1) for u in urls]
    known.write_text("\n".join(urls), encoding="utf-8")
    cmd = [
        sys.executable, "-m", "crawlers.run", "--sources", str(sources_path),
        "--out", str(workdir), "--known", str(known),
    ]
    for sid in source_ids:
        cmd += ["--source", sid]
    for name, value in (settings or {}).items():
        cmd += ["-s", f"{name}={value}"]
    started = store.now()
    with open(workdir / "crawl.log", "wb") as log:
        try:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = -1
    report_path = workdir / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    return CrawlOutput(workdir, code, started, report, served_as)


def read_items(path: Path, served_as: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Article items of a JSON Lines feed; a truncated last line (killed crawl) is skipped."""
    items = []
    if not path.is_file():
        return items
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if served_as:
                for key in ("url", "canonical_url"):
                    if item.get(key):
                        item[key] = item[key].replace(served_as[1], served_as[0], 1)
            items.append(item)
    return items


def load_crawl(
    db: Database, sources: list[Source], output: CrawlOutput, batch: str,
    flow_run_id: str | None = None,
) -> LoadResult:
    """Store a crawl's sources, runs, articles and errors; loading it twice is a no-op."""
    store.upsert_sources(
        db,
        ({"id": s.id, "name": s.name, "country": s.country, "source_type": s.source_type,
          "language": s.language, "config": s.model_dump()} for s in sources),
    )
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in read_items(output.workdir / "items.jsonl", output.served_as):
        by_source[item["source_id"]].append(item)
    report = (output.report or {}).get("sources", {})
    result = LoadResult()
    for src in sources:
        run_id = store.start_run(
            db, batch, src.id, started_at=output.started_at, flow_run_id=flow_run_id
        )
        counts = store.upsert_articles(db, by_source.get(src.id, []))
        rep = report.get(src.id)
        if rep is None:
            errors = [{"url": "", "kind": "crash",
                       "detail": f"crawl process ended with code {output.returncode}"}]
            rep = {"pages": 0, "items": len(by_source.get(src.id, [])), "status": "failed",
                   "errors": errors}
        store.record_errors(db, run_id, rep["errors"])
        store.finish_run(
            db, run_id, status=rep["status"], pages=rep["pages"], items=rep["items"],
            new_items=counts.new, errors=len(rep["errors"]),
            finished_at=(output.report or {}).get("finished_at"),
        )
        result.new += counts.new
        result.changed += counts.changed
        result.unchanged += counts.unchanged
        result.errors += len(rep["errors"])
        result.per_source[src.id] = {
            "status": rep["status"], "pages": rep["pages"], "items": rep["items"],
            "new": counts.new, "errors": len(rep["errors"]),
        }
    return result
