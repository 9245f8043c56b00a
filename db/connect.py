"""The one way to open the newsdesk database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from db.schema import apply_migrations

DEFAULT_DB = Path("data/newsdesk.db")
BUSY_TIMEOUT_MS = 5000


class DatabaseError(Exception):
    """The database file cannot be opened or upgraded."""


def open_db(
    path: str | Path = DEFAULT_DB, *, migrate: bool = True, readonly: bool = False
) -> Database:
    """Open (creating if needed) the database in WAL mode with foreign keys and a busy timeout."""
    path = Path(path)
    if readonly:
        if not path.is_file():
            raise DatabaseError(f"{path}: no such database file")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        return Database(conn)
    if path.is_dir():
        raise DatabaseError(f"{path}: is a directory, not a database file")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        if migrate:
            apply_migrations(db)
    except sqlite3.DatabaseError as e:
        raise DatabaseError(f"{path}: {e}") from e
    return db
