"""Shared fixtures: a fresh database per test, the demo site on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlite_utils import Database

from db.connect import open_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "test.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_site() -> Iterator[object]:
    from flows.demo import DemoSite

    with DemoSite() as site:
        yield site


def make_item(n: int, source_id: str = "src-a", **over: object) -> dict:
    """An Article item (DESIGN §4.1) for tests."""
    item = {
        "url": f"http://127.0.0.1/a/{n}.html",
        "canonical_url": f"http://127.0.0.1/a/{n}.html",
        "source_id": source_id,
        "fetched_at": "2026-01-01T00:00:00+00:00",
        "http_status": 200,
        "content_type": "text/html",
        "title": f"Title {n}",
        "text": f"Body of article {n}. Private hospitals in Kenya signed agreements.",
        "published": "2020-05-01",
        "published_from": "json-ld",
        "authors": ["A. Writer"],
        "language": "en",
        "kind": "news",
        "source_type": "press",
        "source_country": "KEN",
    }
    item.update(over)
    return item


def add_source(db: Database, source_id: str = "src-a") -> None:
    from db import store

    store.upsert_sources(db, [{"id": source_id, "name": source_id.upper(), "country": "KEN",
                               "source_type": "press", "language": "en", "config": {}}])


@contextmanager
def serve_in_subprocess(db_path: Path) -> Iterator[str]:
    """`newsdesk serve` on a free loopback port in a child process; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--db", str(db_path),
                             "--port", str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
