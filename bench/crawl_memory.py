"""Peak memory of a big crawl through the whole pipeline (DESIGN §6: ≤ 1 GiB at 100,000 pages).

    uv run python bench/crawl_memory.py [--pages 100000] [--max-chars 30000] [--json]

Builds a loopback site of `--pages` varied copies of the smaller real pages of
../shared/data/extraction-benchmark (bench/_site.py; `--max-chars` bounds their size so a
100,000-page run takes tens of minutes, not hours), runs the `newsdesk run` flow over it once
(crawl child process with its extraction workers, load, label, finish) and samples the RSS of
every process every 0.25 s. It prints the peak RSS of the crawl child's process tree (the
Scrapy process and its extraction workers, summed), of the loader/classifier process (this
one, which runs the flow) and the larger of the two, plus the peak of everything summed
(which also counts the Prefect server the run reports to). The last line printed is JSON.
Run it with `--pages 5000` first: memory that grows with the crawl shows up there already.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = tempfile.TemporaryDirectory(prefix="newsdesk-bench-")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import _site  # noqa: E402

_site.prefect_env(Path(_TMP.name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--max-chars", type=int, default=30_000)
    parser.add_argument("--pss", action="store_true",
                        help="sum children's PSS instead of RSS (shared pages counted once)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()

    def say(msg: str) -> None:
        if not args.json:
            print(msg, file=sys.stderr, flush=True)

    tmp = Path(_TMP.name)
    started = time.perf_counter()
    site = _site.build_site(tmp / "site", args.pages, _site.real_pages(max_chars=args.max_chars))
    result: dict[str, Any] = {"pages": args.pages, "max_chars": args.max_chars,
                              "children": "pss" if args.pss else "rss",
                              "build_s": round(time.perf_counter() - started, 1),
                              "machine_before": _site.machine()}
    with _site.serving(site), _site.prefect_server():
        say(f"site of {args.pages} pages at {site.base}; running the flow…")
        with _site.TreeMemory(interval=0.25, exclude=(site.server_pid,), pss=args.pss) as memory:
            seconds, report = _site.run_flow(site, tmp / "bench.db", tmp / "data")
    mem = memory.report()
    result.update({
        "run_s": round(seconds, 1), "pages_per_s": round(args.pages / seconds, 1),
        "new": report["new"], "errors": report["errors"], "labelled": report["labelled"],
        "peak_rss_crawl_mb": mem["peak_rss_crawl_mb"],
        "peak_rss_parent_mb": mem["peak_rss_parent_mb"],
        "peak_rss_max_mb": max(mem["peak_rss_crawl_mb"], mem["peak_rss_parent_mb"]),
        "peak_rss_all_mb": mem["peak_rss_mb"],
        "maxrss_self_mb": mem["maxrss_self_mb"],
        "maxrss_largest_child_mb": mem["maxrss_largest_child_mb"],
        "machine_after": _site.machine(),
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
