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

from crawlers import dedup
from crawlers.registry import Source, load_registry
from db import queries, store
from db.ids import article_id

WARC_FOLDER = "warc"  # under the archive root; items name files relative to that root

# Loopback sites answer at once: no politeness delays (used by the demo and the tests).
LOOPBACK_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "30",  # loopback answers at once; a busy CI machine may not
    # a few dozen pages: starting extraction processes would cost more than it saves
    "NEWSDESK_EXTRACT_WORKERS": "0",
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
    served_as: tuple[str, str] | None = None, archive_dir: Path | None = None,
    revalidate_days: int = 7,
) -> CrawlOutput:
    """Crawl in a child process (`python -m crawlers.run`), incrementally.

    The child gets the crawl state of these sources from the database (known URLs,
    validators, URLs to retry) and archives responses under archive_dir/warc (default: the
    database's folder, where Datasette looks for them).

    `served_as=(identity_base, served_base)`: the sites are reached at another address than
    the one their URLs are stored under (the demo site on a free port); stored URLs are
    translated both ways so ids stay stable.
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
                for key in ("url", "canonical_url", "requested_url"):
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
    fetches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fetch in read_items(output.workdir / "fetches.jsonl", output.served_as):
        fetches[fetch["source_id"]].append(fetch)
    result = LoadResult()
    for src in sources:
        run_id = store.start_run(
            db, batch, src.id, started_at=output.started_at, flow_run_id=flow_run_id
        )
        items = by_source.get(src.id, [])
        counts = store.upsert_articles(db, items)
        store.assign_clusters(db, _signatures(items), dedup.NEAR_DUPLICATE)
        rep = report.get(src.id)
        if rep is not None and output.served_as:
            identity, served = output.served_as
            rep = {**rep, "errors": [{**e, "url": e["url"].replace(served, identity, 1)}
                                     for e in rep["errors"]]}
        if rep is None:
            errors = [{"url": "", "kind": "crash", "role": "crawl",
                       "detail": f"crawl process ended with code {output.returncode}"}]
            rep = {"pages": 0, "items": len(items), "status": "failed", "errors": errors}
        # entry pages' validators only count when the source's crawl ran to its end:
        # a 304 next time must not hide articles that a killed crawl never reached
        complete = src.id in report and rep["status"] != "failed"
        store.record_fetches(db, (f for f in fetches.get(src.id, [])
                                  if complete or f.get("role") == "article"))
        store.record_errors(db, run_id, rep["errors"])
        store.set_error_roles(db, run_id, {(e["url"], e["kind"]): e.get("role") or "article"
                                           for e in rep["errors"]})
        store.finish_run(
            db, run_id, status=rep["status"], pages=rep["pages"], items=rep["items"],
            new_items=counts.new, errors=len(rep["errors"]),
            finished_at=(output.report or {}).get("finished_at"),
        )
        store.record_run_transfer(
            db, run_id, bodies=rep.get("bodies", 0), not_modified=rep.get("not_modified", 0),
            skipped_known=rep.get("skipped_known", 0), bytes_=rep.get("bytes", 0),
        )
        result.new += counts.new
        result.changed += counts.changed
        result.unchanged += counts.unchanged
        result.errors += len(rep["errors"])
        result.per_source[src.id] = {
            "status": rep["status"], "pages": rep["pages"], "items": rep["items"],
            "new": counts.new, "errors": len(rep["errors"]),
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
