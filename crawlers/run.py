"""Run one crawl in this process: `python -m crawlers.run` (the parent runs it as a child).

Scrapy's reactor cannot restart inside one process, so every crawl gets its own process
(DESIGN §9). Writes into the output folder: `items.jsonl` (Article items), `fetches.jsonl`
(one line per response: status and validators) and `report.json` (per-source counts and
errors). `--state` is the JSON the parent exported from the database (known URLs,
validators, URLs to retry, last successful crawl per source); `--warc-dir` enables the archive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.registry import RegistryError, load_registry, select
from crawlers.spiders.registry import RegistrySpider


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the spider, return an exit code."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.run")
    parser.add_argument("--sources", required=True)
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--out", required=True)
    parser.add_argument("--state", default="", help="crawl state JSON exported by the parent")
    parser.add_argument("--warc-dir", default="", help="archive responses into this folder")
    parser.add_argument("--warc-name", default="", help="folder name recorded in items")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        select(load_registry(args.sources), args.source)
    except RegistryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    if args.warc_dir:
        settings.set("NEWSDESK_WARC_DIR", args.warc_dir, priority="cmdline")
        settings.set("NEWSDESK_WARC_NAME", args.warc_name, priority="cmdline")
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    settings.set(
        "FEEDS", {str(out / "items.jsonl"): {"format": "jsonlines", "overwrite": True}},
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    process.crawl(
        RegistrySpider, sources=args.sources, source=",".join(args.source), state=args.state,
        report=str(out / "report.json"), fetch_log=str(out / "fetches.jsonl"),
    )
    process.start()
    return 0 if (out / "report.json").is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
