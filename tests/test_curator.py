"""Curator accounts (issue 8): hashing, `newsdesk curator add/remove`, the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from db import queries, store
from db.connect import open_db
from flows.cli import app
from publish.auth import AccountError, check_name, hash_password, verify_password

PASSWORD = "correct horse battery"


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$32768$8$1$") and first != second  # per-user salt
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + " ")
    for junk in (None, "", "plain-text", "scrypt$x$y$z$a$b", "md5$1$1$1$AA==$AA=="):
        assert not verify_password(junk, PASSWORD)


@pytest.mark.parametrize("name", ["", "a b", "-x", "x" * 65, "ana;drop", "ana\n"])
def test_bad_curator_names_are_refused(name: str) -> None:
    with pytest.raises(AccountError):
        check_name(name)


def test_curator_add_reads_the_password_from_stdin_and_stores_a_hash(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    code, out = run("curator", "add", "ana", "--db", str(path), input=PASSWORD + "\n")
    assert code == 0 and "curator ana created" in out
    db = open_db(path)
    stored = queries.curator_password_hash(db, "ana")
    assert verify_password(stored, PASSWORD)
    db.close()
    for file in tmp_path.iterdir():  # no plain text anywhere: database, WAL, shared memory
        assert PASSWORD.encode() not in file.read_bytes(), file


def test_curator_add_again_replaces_the_password(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    run("curator", "add", "ana", "--db", str(path), input=PASSWORD + "\n")
    code, out = run("curator", "add", "ana", "--db", str(path), input="another secret\r\n")
    assert code == 0 and "curator ana updated" in out
    db = open_db(path)
    stored = queries.curator_password_hash(db, "ana")
    assert verify_password(stored, "another secret") and not verify_password(stored, PASSWORD)
    assert queries.curator_names(db) == ["ana"]


@pytest.mark.parametrize("name,password,message", [
    ("ana", "", "at least 8 characters"),
    ("ana", "short", "at least 8 characters"),
    ("a b", PASSWORD, "invalid curator name"),
])
def test_curator_add_errors_are_one_line(tmp_path: Path, name: str, password: str,
                                         message: str) -> None:
    code, out = run("curator", "add", name, "--db", str(tmp_path / "c.db"),
                    input=password + "\n")
    assert code == 2
    assert message in out and len(out.strip().splitlines()) == 1
    if password:
        assert password not in out


def test_curator_remove_keeps_their_reviews(tmp_path: Path) -> None:
    from tests.conftest import add_source, make_item

    path = tmp_path / "c.db"
    run("curator", "add", "ana", "--db", str(path), input=PASSWORD + "\n")
    db = open_db(path)
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    aid = db.execute("SELECT id FROM articles").fetchone()[0]
    store.record_review(db, aid, "ana", {"relevant": True})
    db.close()
    code, out = run("curator", "remove", "ana", "--db", str(path))
    assert code == 0 and "curator ana removed" in out
    db = open_db(path)
    assert not queries.curator_exists(db, "ana")
    assert db.execute("SELECT count(*) FROM reviews WHERE curator = 'ana'").fetchone()[0] == 1


def test_curator_remove_unknown_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    open_db(path).close()
    code, out = run("curator", "remove", "zed", "--db", str(path))
    assert code == 2 and "no curator named 'zed'" in out
    assert len(out.strip().splitlines()) == 1
    code, out = run("curator", "remove", "zed", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no such database" in out


def test_store_refuses_a_password_that_is_not_hashed(db: Database) -> None:
    with pytest.raises(ValueError):
        store.set_curator(db, "ana", PASSWORD)
    assert store.set_curator(db, "ana", hash_password(PASSWORD)) is True
    assert store.set_curator(db, "ana", hash_password(PASSWORD)) is False
    assert store.remove_curator(db, "ana") and not store.remove_curator(db, "ana")


def test_curators_migration_upgrades_an_existing_database(tmp_path: Path) -> None:
    from db.schema import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m030_curators")  # a database from before issue 8
    assert "curators" not in old.table_names()
    old.close()
    db = open_db(path)
    assert "curators" in db.table_names()
    assert "m030_curators" in {m.name for m in migrations.applied(db)}
