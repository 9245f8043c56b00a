"""Generate a synthetic newsdesk database of N articles (default 1,000,000) for the FTS benchmark.

    uv run python bench/fts_generate.py [--db /tmp/newsdesk-bench-1m.db] [--articles 1000000]

The schema is the real one (db.connect.open_db applies every migration). Texts are drawn from
a Zipf-distributed vocabulary with diacritics, median ~300 words, so FTS doclists and row sizes
look like real articles; a few planted words give known document frequencies per band
(BAND_TERMS). Rows are inserted with the FTS triggers dropped and the index rebuilt once at the
end, which is several times faster than row-by-row triggers. An existing file with the right
row count is reused as it is: newer migrations are not applied to it (one may rewrite every
row), so regenerate it after a schema change that matters for search. One core, low priority:
the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.connect import open_db  # noqa: E402

DEFAULT_DB = Path("/tmp/newsdesk-bench-1m.db")
SEED = 20200330
# word -> fraction of articles that contain it (planted once, in the text)
BAND_TERMS = {
    "hospital": 0.5,       # very common
    "oxygen": 0.1,         # common
    "ventilateurs": 0.01,  # medium
    "tocilizumab": 0.001,  # uncommon
    "ivermectina": 0.0001,  # rare
}
LANGUAGES = [("en", 0.5), ("fr", 0.2), ("es", 0.15), ("pt", 0.1), ("ar", 0.025), ("ru", 0.025)]
SOURCE_TYPES = [("government", 0.45), ("press", 0.3), ("multilateral", 0.1), ("ngo", 0.07),
                ("private", 0.05), ("academic", 0.03)]
KINDS = [("news", 0.45), ("press-release", 0.35), ("blog", 0.05), ("document", 0.15)]
THEMES = ["plan", "space", "staff", "stuff", "systems", "financing"]
SYLLABLES = ("ba be bi bo bu da de di do du fa fe fi ka ke ki ko ku la le li lo lu ma me mi mo "
             "mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu "
             "vé ção ña ão é è ê ü ô ï").split()
COMMON_WORDS = ("the of and to in a for private health sector covid ministry government la "
                "de el les des los du en que et para public services testing vaccine beds "
                "clinics laboratories santé salud saúde privé privado").split()


def _pick(pairs: list[tuple[str, float]], n: int, rng: np.random.Generator) -> np.ndarray:
    values, weights = zip(*pairs, strict=True)
    p = np.array(weights) / sum(weights)
    return rng.choice(np.array(values, dtype=object), size=n, p=p)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Common function words first, then made-up words of 2-4 syllables, all distinct."""
    words = list(dict.fromkeys(COMMON_WORDS))
    seen = set(words) | set(BAND_TERMS)
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def generate(path: Path, n: int, batch: int = 5000) -> dict[str, object]:
    """Write n synthetic articles into a fresh database at path; return what was made."""
    started = time.monotonic()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_db(path)
    db.execute("PRAGMA synchronous = OFF")
    rng = np.random.default_rng(SEED)
    prng = random.Random(SEED)
    countries = [r[0] for r in db.execute(
        "SELECT iso3 FROM countries WHERE who_region IS NOT NULL ORDER BY iso3")]
    # a few countries carry most items, as in real news
    cweights = 1 / np.arange(1, len(countries) + 1) ** 0.9
    cweights /= cweights.sum()
    prng.shuffle(countries)
    sources = []
    for i in range(300):
        c = countries[int(rng.choice(len(countries), p=cweights))]
        st = _pick(SOURCE_TYPES, 1, rng)[0]
        sources.append({"id": f"src-{i:03d}", "name": f"Source {i} ({c})", "country": c,
                        "source_type": st, "language": "en", "config": "{}",
                        "first_seen_at": "2020-01-01T00:00:00+00:00",
                        "updated_at": "2020-01-01T00:00:00+00:00"})
    db["sources"].insert_all(sources)

    # only the FTS triggers are dropped (the index is rebuilt in one go at the end); the
    # triggers of the derived tables (m004_publish) are cheap and fill them as rows arrive
    triggers = [r for r in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles' "
        "AND sql LIKE '%articles_fts%'")]
    for name, _ in triggers:
        db.execute(f'DROP TRIGGER "{name}"')

    vocab = np.array(vocabulary(30000, prng), dtype=object)
    zipf = 1 / np.arange(1, len(vocab) + 1) ** 1.07
    zipf /= zipf.sum()
    cols = ["id", "url", "canonical_url", "source_id", "first_seen_at", "fetched_at",
            "http_status", "content_type", "title", "text", "published", "published_from",
            "authors", "language", "kind", "source_type", "source_country", "content_sha1",
            "warc_file", "warc_record_id", "relevant", "relevance_score", "primary_country",
            "countries", "scope", "themes", "theme_scores", "labelled_by", "model_version",
            "classified_sha1"]
    insert = (f"INSERT INTO articles ({', '.join(cols)}) "
              f"VALUES ({', '.join('?' for _ in cols)})")
    start_day = np.datetime64("2020-01-01")
    made = 0
    while made < n:
        m = min(batch, n - made)
        lengths = np.clip(rng.lognormal(np.log(300), 0.6, m).astype(int), 40, 4000)
        tokens = rng.choice(len(vocab), size=int(lengths.sum()), p=zipf)
        words = vocab[tokens]
        title_tokens = vocab[rng.choice(len(vocab), size=m * 10, p=zipf)]
        src_idx = rng.integers(0, len(sources), m)
        langs = _pick(LANGUAGES, m, rng)
        kinds = _pick(KINDS, m, rng)
        days = rng.integers(0, 4 * 365, m)
        relevant = rng.random(m) < 0.6
        prim = rng.choice(len(countries), size=m, p=cweights)
        planted = {t: rng.random(m) < f for t, f in BAND_TERMS.items()}
        rows = []
        pos = 0
        for j in range(m):
            k = made + j
            body = words[pos:pos + lengths[j]].tolist()
            pos += lengths[j]
            for term, mask in planted.items():
                if mask[j]:
                    body.insert(prng.randrange(len(body)), term)
            text = " ".join(body)
            src = sources[src_idx[j]]
            url = f"https://{src['id']}.example.org/news/{k}"
            aid = hashlib.sha256(url.encode()).hexdigest()[:16]
            sha1 = hashlib.sha1(text.encode()).hexdigest()
            pc = countries[prim[j]]
            themes = (sorted(prng.sample(THEMES, prng.randint(1, 3)))
                      if relevant[j] else [])
            scores = {t: round(prng.random(), 3) for t in THEMES}
            rows.append([
                aid, url, url, src["id"], "2026-01-01T00:00:00+00:00",
                "2026-01-01T00:00:00+00:00", 200, "text/html",
                " ".join(title_tokens[j * 10:(j + 1) * 10 - prng.randint(0, 4)]).capitalize(),
                text, str(start_day + days[j]), "json-ld", "[]", langs[j], kinds[j],
                src["source_type"], src["country"], sha1, "bench.warc.gz",
                f"<urn:uuid:{k}>", int(relevant[j]), round(prng.random(), 4), pc,
                json.dumps([pc]), "national", json.dumps(themes), json.dumps(scores),
                "model", "bench", sha1,
            ])
        with db.atomic():
            db.conn.executemany(insert, rows)
        made += m
        if made % 100000 == 0 or made == n:
            print(f"{made} rows, {time.monotonic() - started:.0f} s", file=sys.stderr)

    print("rebuilding the FTS index", file=sys.stderr)
    with db.atomic():
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        for _, sql in triggers:
            db.execute(sql)
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()
    return {"db": str(path), "articles": n, "seconds": round(time.monotonic() - started, 1)}


def ensure(path: Path, n: int) -> dict[str, object]:
    """Reuse the database at path when it holds n articles, else generate it."""
    if path.is_file():
        db = open_db(path, migrate=False)  # a later migration may rewrite every row
        try:
            count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            db.close()
        if count == n:
            return {"db": str(path), "articles": n, "reused": True}
    return generate(path, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--articles", type=int, default=1_000_000)
    args = parser.parse_args()
    os.nice(10)
    print(json.dumps(ensure(args.db, args.articles)))


if __name__ == "__main__":
    main()
