"""Pages per second through the whole pipeline against extraction alone, on a loopback site.

    uv run python bench/throughput.py [--pages 2000] [--rerun] [--max-chars N] [--json]

Builds a temporary site of `--pages` varied copies of the real pages in
../shared/data/extraction-benchmark (bench/_site.py), served on 127.0.0.1 by its own process
and published through a sitemap index and a one-source registry, then measures, in one run:

(a) `extract_pages_per_s`: crawlers.extract.extract_any over the same page files, one process;
(b) `e2e_pages_per_s`: the `newsdesk run` flow (flows.pipeline.pipeline: crawl child process,
    load into SQLite, label with the committed model, finish) on a fresh database, timed from
    the flow call to its return. The Prefect server it reports to is started before the clock
    (`newsdesk schedule` keeps one running; a one-off `newsdesk run` starts a temporary one,
    `prefect_server_start_s`).

`ratio` = (b) / (a); DESIGN §6 asks for ≥ 0.8 on 2 cores. `peak_rss_mb` is the peak of the
summed RSS of this process and its descendants during (b) (psutil sampling; the site's server
is left out). `--rerun` runs the flow a second time over the unchanged site and database and
reports its time, the ratio to the first and how many page bodies it downloaded (DESIGN §6:
≤ 10% of the time, ≥ 90% of bodies not downloaded again). The last line printed is JSON.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = tempfile.TemporaryDirectory(prefix="newsdesk-bench-")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import _site  # noqa: E402

_site.prefect_env(Path(_TMP.name))


def _extract_all(files: list[tuple[str, str]], out: Any) -> None:
    """Child process: extract every page once, in order; send back pages/s."""
    from crawlers.extract import ExtractionError, extract_any

    started = time.perf_counter()
    cpu = time.process_time()
    ok = 0
    for url, path in files:
        try:
            extract_any(Path(path).read_bytes(), url, "text/html")
            ok += 1
        except ExtractionError:
            pass
    elapsed = time.perf_counter() - started
    out.send({"seconds": elapsed, "cpu_s": time.process_time() - cpu, "extracted": ok})


def extraction_alone(site: _site.Site) -> dict[str, Any]:
    """Time one process extracting every page of the site (a fresh process: no warm caches)."""
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe()
    files = [(f"{site.base}/{rel}", str(path)) for rel, path in site.pages]
    proc = ctx.Process(target=_extract_all, args=(files, theirs))
    proc.start()
    result = mine.recv()
    proc.join()
    return {**result, "pages_per_s": len(files) / result["seconds"]}


def latest_transfer(db: Path) -> dict[str, Any]:
    """Bodies, 304s and skipped known URLs of the source's latest crawl run."""
    from db.connect import open_db

    conn = open_db(db, readonly=True)
    try:
        row = conn.execute(
            "SELECT bodies, not_modified, skipped_known, pages, items FROM crawl_runs "
            "ORDER BY id DESC LIMIT 1").fetchone()
        labelled = conn.execute(
            "SELECT count(*) FROM articles WHERE model_version IS NOT NULL").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()
    keys = ("bodies", "not_modified", "skipped_known", "pages", "items")
    return {**dict(zip(keys, row, strict=True)), "articles": articles, "labelled": labelled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--max-chars", type=int, default=None,
                        help="build only from real pages up to this size (3,000 at least)")
    parser.add_argument("--rerun", action="store_true", help="run the flow twice")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()

    def say(msg: str) -> None:
        if not args.json:
            print(msg, file=sys.stderr, flush=True)

    tmp = Path(_TMP.name)
    pages = _site.real_pages(max_chars=args.max_chars)
    site = _site.build_site(tmp / "site", args.pages, pages)
    result: dict[str, Any] = {"pages": args.pages, "machine_before": _site.machine()}
    with _site.serving(site):
        say(f"site of {args.pages} pages at {site.base}; extraction alone…")
        alone = extraction_alone(site)
        result["extract_pages_per_s"] = round(alone["pages_per_s"], 1)
        result["extract_s"] = round(alone["seconds"], 2)
        result["extract_cpu_ms_per_page"] = round(1000 * alone["cpu_s"] / args.pages, 1)
        say(f"extraction alone: {alone['pages_per_s']:.1f} pages/s; starting Prefect…")
        with _site.prefect_server() as server_s:
            result["prefect_server_start_s"] = round(server_s, 1)
            db = tmp / "bench.db"
            with _site.TreeMemory(exclude=(site.server_pid,)) as memory:
                seconds, report = _site.run_flow(site, db, tmp / "data")
            first = latest_transfer(db)
            result.update({
                "e2e_s": round(seconds, 2),
                "e2e_pages_per_s": round(args.pages / seconds, 1),
                "ratio": round(args.pages / seconds / alone["pages_per_s"], 3),
                "new": report["new"], "errors": report["errors"],
                "labelled": report["labelled"], "first_run": first,
                **memory.report(),
            })
            # CPU per page is what the machine's load cannot change: with both cores kept
            # busy, an idle 2-core machine would reach about 2 * extract / e2e of this ratio
            result["e2e_cpu_ms_per_page"] = round(1000 * result["cpu_s"] / args.pages, 1)
            say(f"e2e: {result['e2e_pages_per_s']} pages/s, ratio {result['ratio']}")
            if args.rerun:
                seconds2, report2 = _site.run_flow(site, db, tmp / "data")
                second = latest_transfer(db)
                result.update({
                    "rerun_s": round(seconds2, 2),
                    "rerun_ratio": round(seconds2 / seconds, 3),
                    "rerun_bodies": second["bodies"],
                    "rerun_not_downloaded_share": round(
                        1 - second["bodies"] / max(1, first["bodies"]), 4),
                    "rerun_new": report2["new"], "second_run": second,
                })
    result["machine_after"] = _site.machine()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
