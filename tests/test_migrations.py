from pathlib import Path

from sqlite_utils import Database

from db.connect import open_db
from db.schema import apply_migrations, migrations, schema_version

TABLES = {"sources", "crawl_runs", "crawl_errors", "articles", "labels", "reviews",
          "countries", "themes", "models", "articles_fts"}


def test_migrations_create_every_table_on_an_empty_database(tmp_path: Path) -> None:
    db = open_db(tmp_path / "new.db")
    assert TABLES <= set(db.table_names())
    assert schema_version(db) == migrations._migrations[-1].name
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db["themes"].count == 6
    assert db["countries"].count == 250
    mmr = db["countries"].get("MMR")
    assert mmr["who_region"] == "SEAR" and mmr["income_group"] == "lower-middle"


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    open_db(tmp_path / "x.db").close()
    db = open_db(tmp_path / "x.db")
    assert apply_migrations(db) == []
    assert db["_sqlite_migrations"].count == len(migrations._migrations)


def test_existing_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_articles_fts")  # a database from release 1
    old.execute("INSERT INTO sources VALUES ('s', 'S', NULL, 'press', 'en', '{}', 't', 't')")
    old.execute(
        "INSERT INTO articles (id, url, canonical_url, source_id, first_seen_at, fetched_at,"
        " title, text) VALUES ('a1', 'u', 'u', 's', 't', 't', 'Clinics', 'private clinics')"
    )
    old.conn.commit()
    old.close()
    db = open_db(path)
    assert schema_version(db) == migrations._migrations[-1].name
    assert db["articles"].count == 1
    # the FTS index added by the upgrade covers rows that existed before it
    hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'clinics'")
    assert len(hits.fetchall()) == 1


def test_fts_follows_inserts_updates_and_deletes(db: Database) -> None:
    db.execute("INSERT INTO sources VALUES ('s', 'S', NULL, 'press', 'en', '{}', 't', 't')")
    db.execute(
        "INSERT INTO articles (id, url, canonical_url, source_id, first_seen_at, fetched_at,"
        " title, text) VALUES ('a1', 'u', 'u', 's', 't', 't', 'Hôpitaux', 'lits réservés')"
    )
    def match(q: str) -> int:
        return db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                          [q]).fetchone()[0]
    assert match("hopitaux") == 1  # diacritics folded
    db.execute("UPDATE articles SET text = 'camas reservadas' WHERE id = 'a1'")
    assert match("lits") == 0 and match("camas") == 1
    db.execute("DELETE FROM articles WHERE id = 'a1'")
    assert match("camas") == 0


def test_theme_reference_table_follows_the_codebook(db: Database) -> None:
    from classify.codebook import THEMES

    ids = [r["id"] for r in db.query("SELECT id FROM themes ORDER BY position")]
    assert tuple(ids) == THEMES
