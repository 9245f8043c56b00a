"""Relevance/theme model throughput on one core (the country tagger is separate); prints JSON.

    uv run python bench/classify_throughput.py [--texts 20000] [--batch 1024] [--repeat 3]
        [--model PATH] [--data DIR]

Texts are real CoronaNet policy descriptions (../shared/data/policy-texts, all splits, mean
about 370 characters) and, as a second workload, longer news-like texts made by joining five
of them (about 1,850 characters). The process is pinned to one CPU and BLAS to one thread; the
figure is texts per second for `Model.predict` on batches, best of `--repeat` passes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def _texts(data: Path, n: int, seed: int = 13) -> list[str]:
    with gzip.open(
        data / "policy-texts" / "coronanet_policies.jsonl.gz", "rt", encoding="utf-8"
    ) as fh:
        texts = [json.loads(line)["text"] for line in fh]
    rng = random.Random(seed)
    return [texts[rng.randrange(len(texts))] for _ in range(n)]


def _rate(model, texts: list[str], batch: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.predict(texts[i : i + batch])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from classify.model import DEFAULT_MODEL, load_model

    path = args.model or DEFAULT_MODEL
    start = time.perf_counter()
    model = load_model(path)
    load_seconds = time.perf_counter() - start
    short = _texts(args.data, args.texts)
    long = [" ".join(short[i : i + 5]) for i in range(0, len(short), 5)]
    model.predict(short[:256])  # warm-up

    out = {
        "model_version": model.version,
        "model_bytes": path.stat().st_size,
        "load_seconds": round(load_seconds, 3),
        "cpu": platform.processor() or platform.machine(),
        "cores_used": 1,
        "batch": args.batch,
        "policy_texts": {
            "texts": len(short),
            "mean_chars": round(sum(map(len, short)) / len(short)),
            "texts_per_second": round(_rate(model, short, args.batch, args.repeat)),
        },
        "long_texts": {
            "texts": len(long),
            "mean_chars": round(sum(map(len, long)) / len(long)),
            "texts_per_second": round(_rate(model, long, args.batch, args.repeat)),
        },
        "target_texts_per_second": 2000,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
