"""Extraction quality on the two public benchmarks, each with its own metric; prints JSON.

    uv run python bench/extraction_f1.py [--bench scrapinghub|wcxb-test|all]
        [--extractor newsdesk|trafilatura] [--jobs 2] [--data DIR]

`newsdesk` runs crawlers.extract.extract_html on the page bytes (decoding included), exactly
as the spider does; `trafilatura` is the baseline `trafilatura.extract(html,
include_comments=False)` the benchmarks publish. Data: ../shared/data/extraction-benchmark
(its README documents both metrics, re-implemented here).

- scrapinghub: 4-token shingles (case kept), per-page TP/FP/FN; precision and recall are
  means over pages (empty predictions left out of precision); F1 from those two means.
- wcxb-test: bags of lowercased words; per-page P, R, F1; corpus figures are plain means.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "extraction-benchmark"
TOKEN = re.compile(r"\w+")
BENCHES = ("scrapinghub", "wcxb-test")


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def shingle_counts(truth: str, pred: str) -> tuple[int, int, int]:
    """(TP, FP, FN) of the scrapinghub metric for one page."""
    t, p = _shingles(truth), _shingles(pred)
    return sum((t & p).values()), sum((p - t).values()), sum((t - p).values())


def shingle_scores(counts: list[tuple[int, int, int]]) -> dict[str, float]:
    """Corpus precision, recall, F1 of the scrapinghub metric."""
    def precision(tp: int, fp: int, fn: int) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: int, fp: int, fn: int) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    ps = [precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [recall(*c) for c in counts if c[0] + c[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def word_scores(pred: str, ref: str) -> tuple[float, float, float]:
    """Per-page (P, R, F1) of the WCXB metric."""
    pt, rt = TOKEN.findall((pred or "").lower()), TOKEN.findall((ref or "").lower())
    if not rt:
        return (1.0, 1.0, 1.0) if not pt else (0.0, 0.0, 0.0)
    if not pt:
        return (0.0, 0.0, 0.0)
    overlap = sum((Counter(pt) & Counter(rt)).values())
    p, r = overlap / len(pt), overlap / len(rt)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def load(data: Path, bench: str) -> list[dict[str, Any]]:
    """Pages of a benchmark: id, url, html bytes, reference text, page type."""
    folder = data / bench
    truth = json.loads(gzip.open(folder / "ground-truth.json.gz").read())
    meta_file = folder / "metadata-test.json.gz"
    types = json.loads(gzip.open(meta_file).read())["files"] if meta_file.is_file() else {}
    pages = []
    for key, value in sorted(truth.items()):
        ref = value.get("articleBody")
        if ref is None:
            ref = value["ground_truth"].get("main_content") or ""
        pages.append({"id": key, "url": value.get("url"), "ref": ref,
                      "type": types.get(key, {}).get("page_type"),
                      "html": gzip.open(folder / "html" / f"{key}.html.gz").read()})
    return pages


def _extract(job: tuple[str, str, str | None, bytes]) -> tuple[str, str, float, str | None]:
    extractor, key, url, html = job
    started = time.perf_counter()
    error = None
    try:
        if extractor == "trafilatura":
            import trafilatura

            text = trafilatura.extract(html.decode("utf-8"), include_comments=False) or ""
        else:
            from crawlers.extract import ExtractionError, extract_html

            try:
                text = extract_html(html, url)["text"]
            except ExtractionError as e:
                text, error = "", e.kind
    except Exception as e:  # a crash on one page is a zero for that page, not for the run
        text, error = "", f"crash: {type(e).__name__}"
    return key, text, time.perf_counter() - started, error


def _bootstrap(values: list[Any], score: Any, rounds: int = 1000) -> float:
    rng = random.Random(42)
    samples = [score([rng.choice(values) for _ in values]) for _ in range(rounds)]
    mean = sum(samples) / len(samples)
    return (sum((s - mean) ** 2 for s in samples) / len(samples)) ** 0.5


def evaluate(data: Path, bench: str, extractor: str, jobs: int) -> dict[str, Any]:
    """Run the extractor over one benchmark and score it with that benchmark's metric."""
    pages = load(data, bench)
    work = [(extractor, p["id"], p["url"], p["html"]) for p in pages]
    started = time.perf_counter()
    with Pool(jobs) as pool:
        results = {k: (t, s, e) for k, t, s, e in pool.imap_unordered(_extract, work, 4)}
    wall = time.perf_counter() - started
    out: dict[str, Any] = {"pages": len(pages)}
    if bench == "scrapinghub":
        counts = [shingle_counts(p["ref"], results[p["id"]][0]) for p in pages]
        out.update({k: round(v, 4) for k, v in shingle_scores(counts).items()})
        out["f1_std"] = round(_bootstrap(counts, lambda c: shingle_scores(c)["f1"]), 4)
        out["accuracy"] = round(sum(
            TOKEN.findall(p["ref"]) == TOKEN.findall(results[p["id"]][0]) for p in pages
        ) / len(pages), 4)
    else:
        scores = [word_scores(results[p["id"]][0], p["ref"]) for p in pages]
        n = len(scores)
        for i, name in enumerate(("precision", "recall", "f1")):
            out[name] = round(sum(s[i] for s in scores) / n, 4)
        out["f1_std"] = round(_bootstrap([s[2] for s in scores], lambda v: sum(v) / len(v)), 4)
        by_type: dict[str, list[float]] = defaultdict(list)
        for p, s in zip(pages, scores, strict=True):
            by_type[p["type"] or "?"].append(s[2])
        out["f1_by_type"] = {t: {"pages": len(v), "f1": round(sum(v) / len(v), 4)}
                             for t, v in sorted(by_type.items())}
    out["errors"] = dict(Counter(e for _, _, e in results.values() if e))
    out["ms_per_page"] = round(1000 * sum(s for _, s, _ in results.values()) / len(pages), 1)
    out["wall_s"] = round(wall, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, evaluate, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", choices=[*BENCHES, "all"], default="all")
    parser.add_argument("--extractor", choices=["newsdesk", "trafilatura"], default="newsdesk")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: {args.data}: no benchmark data", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    benches = BENCHES if args.bench == "all" else (args.bench,)
    report = {"extractor": args.extractor,
              **{b: evaluate(args.data, b, args.extractor, args.jobs) for b in benches}}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
