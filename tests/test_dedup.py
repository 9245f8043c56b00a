"""Exact and near-duplicate detection: copies join their original's cluster."""

import random

from sqlite_utils import Database

from crawlers import dedup
from db import store
from db.ids import article_id
from tests.conftest import add_source, make_item

WORDS = ("ministry private hospitals clinics beds oxygen vaccine tariff laboratory testing "
         "county district nurses agreement contract insurance payment regulation supply "
         "pharmacy masks ventilators platform dialogue partnership emergency response").split()


def story(seed: int, n: int = 220) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(n)) + "."


def adapted(text: str, seed: int) -> str:
    """A syndicated copy: a new first paragraph, a few words changed here and there."""
    words = text.split()
    rng = random.Random(seed)
    for i in rng.sample(range(len(words)), len(words) // 40):
        words[i] = "edited"
    return "This post is adapted from a ministry press release. " + " ".join(words)


def load(db: Database, items: list[dict]) -> None:
    store.upsert_articles(db, items)
    sigs = {}
    for item in items:
        sig = dedup.signature(item["text"])
        sigs[article_id(item["canonical_url"])] = (sig, dedup.band_keys(sig)) if sig else None
    store.assign_clusters(db, sigs, dedup.NEAR_DUPLICATE)


def clusters(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT id, cluster_id FROM articles").fetchall())


def test_signatures_estimate_similarity() -> None:
    a = story(1)
    assert dedup.similarity(dedup.signature(a), dedup.signature(a)) == 1.0
    assert dedup.similarity(dedup.signature(a), dedup.signature(adapted(a, 2))) >= 0.45
    assert dedup.similarity(dedup.signature(a), dedup.signature(story(3))) < 0.1
    assert dedup.signature("too short to compare") is None


def test_adapted_copy_joins_the_earlier_published_original(db: Database) -> None:
    add_source(db)
    original = make_item(1, text=story(1), published="2020-04-14")
    copy = make_item(2, text=adapted(story(1), 5), published="2020-04-16")
    other = make_item(3, text=story(9), published="2020-04-15")
    load(db, [copy, other, original])  # crawl order does not decide who is the original
    ids = {n: article_id(f"http://127.0.0.1/a/{n}.html") for n in (1, 2, 3)}
    assert clusters(db) == {ids[1]: ids[1], ids[2]: ids[1], ids[3]: ids[3]}
    row = next(db.query("SELECT near_duplicate_of, similarity FROM articles WHERE id = ?",
                        [ids[2]]))
    assert row["near_duplicate_of"] == ids[1] and 0.4 <= row["similarity"] < 1


def test_an_older_original_found_later_takes_over_the_cluster(db: Database) -> None:
    add_source(db)
    text = story(4)
    load(db, [make_item(2, text=adapted(text, 1), published="2020-05-02"),
              make_item(3, text=adapted(text, 2), published="2020-05-03")])
    first = clusters(db)
    assert len(set(first.values())) == 1  # the two copies found each other
    load(db, [make_item(1, text=text, published="2020-05-01")])
    root = article_id("http://127.0.0.1/a/1.html")
    assert set(clusters(db).values()) == {root}


def test_exact_copies_and_reloads(db: Database) -> None:
    add_source(db)
    text = story(7)
    items = [make_item(1, text=text), make_item(2, text=text)]
    load(db, items)
    a, b = (article_id(f"http://127.0.0.1/a/{n}.html") for n in (1, 2))
    assert clusters(db) == {a: a, b: a}
    assert next(db.query("SELECT kind FROM article_copies"))["kind"] == "exact"
    before = list(db.query("SELECT * FROM articles ORDER BY id"))
    load(db, items)  # idempotent
    assert list(db.query("SELECT * FROM articles ORDER BY id")) == before


def test_short_texts_are_their_own_cluster(db: Database) -> None:
    add_source(db)
    load(db, [make_item(1, text="Short notice."), make_item(2, text="Another short notice.")])
    assert all(k == v for k, v in clusters(db).items())
