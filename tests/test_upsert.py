import json

from sqlite_utils import Database

from db import store
from db.ids import article_id
from tests.conftest import add_source, make_item


def snapshot(db: Database) -> list:
    return [list(db.query(f"SELECT * FROM {t} ORDER BY 1"))
            for t in ("articles", "labels", "crawl_runs", "crawl_errors")]


def test_loading_the_same_items_twice_changes_nothing(db: Database) -> None:
    add_source(db)
    items = [make_item(n) for n in range(5)]
    first = store.upsert_articles(db, items)
    before = snapshot(db)
    second = store.upsert_articles(db, items)
    assert (first.new, second.new, second.changed, second.unchanged) == (5, 0, 0, 5)
    assert snapshot(db) == before


def test_article_id_is_the_hash_of_the_canonical_url(db: Database) -> None:
    add_source(db)
    item = make_item(1, url="http://127.0.0.1/a/1.html?utm_source=x")
    store.upsert_articles(db, [item])
    row = db["articles"].get(article_id(item["canonical_url"]))
    assert row["url"].endswith("utm_source=x")


def test_changed_text_updates_the_row_and_keeps_first_seen(db: Database) -> None:
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    counts = store.upsert_articles(
        db, [make_item(1, text="New text", fetched_at="2026-02-01T00:00:00+00:00")]
    )
    row = db["articles"].get(article_id(make_item(1)["canonical_url"]))
    assert counts.changed == 1
    assert row["text"] == "New text"
    assert row["first_seen_at"] == "2026-01-01T00:00:00+00:00"
    assert row["fetched_at"] == "2026-02-01T00:00:00+00:00"


def test_identical_text_at_another_url_is_marked_duplicate(db: Database) -> None:
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    store.upsert_articles(db, [make_item(2, text=make_item(1)["text"])])
    first = article_id(make_item(1)["canonical_url"])
    second = db["articles"].get(article_id(make_item(2)["canonical_url"]))
    assert second["duplicate_of"] == first


def model_result(aid: str, relevant: bool = True, themes: list | None = None) -> dict:
    return {"article_id": aid, "content_sha1": "x", "relevant": relevant,
            "relevance_score": 0.9 if relevant else 0.1, "themes": themes or ["space"],
            "theme_scores": {"space": 0.8}, "primary_country": "KEN", "countries": ["KEN"],
            "scope": "national"}


def test_model_labels_are_written_once_per_value(db: Database) -> None:
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    aid = article_id(make_item(1)["canonical_url"])
    assert store.write_model_labels(db, [model_result(aid)], "m1") == 5
    assert store.write_model_labels(db, [model_result(aid)], "m1") == 0
    row = db["articles"].get(aid)
    assert (row["relevant"], json.loads(row["themes"]), row["labelled_by"]) == (
        1, ["space"], "model")


def test_upsert_and_model_run_keep_curator_label(db: Database) -> None:
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    aid = article_id(make_item(1)["canonical_url"])
    store.write_model_labels(db, [model_result(aid)], "m1")
    store.record_review(db, aid, "ana", {"relevant": True, "themes": ["financing", "stuff"]},
                        note="price cap on masks")
    store.write_model_labels(db, [model_result(aid, themes=["plan"])], "m2")
    store.upsert_articles(db, [make_item(1, text="edited")])
    row = db["articles"].get(aid)
    assert json.loads(row["themes"]) == ["financing", "stuff"]
    assert row["labelled_by"] == "curator"
    review = next(db.query("SELECT * FROM reviews"))
    assert json.loads(review["before"])["themes"] == ["space"]
    assert json.loads(review["after"])["themes"] == ["financing", "stuff"]


def test_not_relevant_item_has_no_effective_theme(db: Database) -> None:
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    aid = article_id(make_item(1)["canonical_url"])
    store.write_model_labels(db, [model_result(aid)], "m1")
    store.record_review(db, aid, "ana", {"relevant": False})
    assert json.loads(db["articles"].get(aid)["themes"]) == []


def test_loading_a_run_twice_records_it_once(db: Database) -> None:
    add_source(db)
    for _ in range(2):
        run = store.start_run(db, "b1", "src-a")
        store.record_errors(db, run, [{"url": "http://x/1", "kind": "http-503"}])
        store.finish_run(db, run, status="partial", pages=3, items=2, new_items=0, errors=1)
    assert db["crawl_runs"].count == 1
    assert db["crawl_errors"].count == 1
