"""Primary-country accuracy of the country tagger on CoronaNet's human-labelled policy texts.

Prints JSON: accuracy on the split as written, accuracy after removing the labelled country's
own names (all its names, demonyms and capitals in the gazetteer, any case) from each text,
throughput, and the gazetteer load time. No source country and no URL are passed.

    uv run python bench/country_accuracy.py [--split dev] [--limit N] [--errors FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "policy-texts" / \
    "coronanet_policies.jsonl.gz"


def load(split: str, limit: int | None) -> list[dict]:
    """Records of one split with a single labelled country."""
    rows = []
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["split"] == split and len(r["country_iso3"]) == 3:
                rows.append(r)
    return rows[:limit] if limit else rows


def remover(own_names: dict[str, set[str]]):
    """A function deleting a country's own names from a text (whole words, any case)."""
    cache: dict[str, re.Pattern] = {}

    def remove(text: str, iso3: str) -> str:
        pat = cache.get(iso3)
        if pat is None:
            forms = sorted(own_names.get(iso3, ()), key=len, reverse=True)
            alt = "|".join(re.escape(f) for f in forms) or r"(?!x)x"
            pat = cache[iso3] = re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)
        return pat.sub("", text)

    return remove


def evaluate(tagger, rows: list[dict], texts: list[str]) -> tuple[float, list[dict], tuple]:
    """Accuracy, the errors, and texts per second (wall clock, and per CPU second of this
    process, which a busy machine disturbs less)."""
    t0, c0 = time.perf_counter(), time.process_time()
    results = tagger.tag_many({"text": t} for t in texts)
    rate = (len(texts) / (time.perf_counter() - t0), len(texts) / (time.process_time() - c0))
    errors = [{"id": r["id"], "gold": r["country_iso3"], "pred": res.primary_country,
               "scores": res.scores, "text": t[:400]}
              for r, t, res in zip(rows, texts, results, strict=True)
              if res.primary_country != r["country_iso3"]]
    return 1 - len(errors) / len(rows), errors, rate


def main() -> None:
    """Run the benchmark and print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--errors", help="write the errors of both conditions to this JSON file")
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    t0 = time.perf_counter()
    from classify.countries import get_tagger

    tagger = get_tagger()
    start = time.perf_counter() - t0
    rows = load(args.split, args.limit)
    acc, errors, rate = evaluate(tagger, rows, [r["text"] for r in rows])
    remove = remover(tagger.gaz.own_names)
    stripped = [remove(r["text"], r["country_iso3"]) for r in rows]
    acc_removed, errors_removed, _ = evaluate(tagger, rows, stripped)
    words = sum(len(r["text"].split()) for r in rows) / len(rows)
    report = {
        "split": args.split,
        "n": len(rows),
        "accuracy": round(acc, 4),
        "accuracy_own_names_removed": round(acc_removed, 4),
        "texts_per_second": round(rate[0]),
        "texts_per_cpu_second": round(rate[1]),
        "mean_words_per_text": round(words, 1),
        "startup_seconds": round(start, 2),
        "gazetteer_seconds": round(tagger.gaz.build_seconds, 2),
        "predicted_none": sum(e["pred"] is None for e in errors),
        "predicted_none_removed": sum(e["pred"] is None for e in errors_removed),
        "top_confusions": Counter(f"{e['gold']}->{e['pred']}" for e in errors)
        .most_common(10),
    }
    print(json.dumps(report, indent=2))
    if args.errors:
        Path(args.errors).write_text(json.dumps({"errors": errors, "errors_removed":
                                                 errors_removed}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
