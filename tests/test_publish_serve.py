"""`newsdesk serve` starts the published Datasette with our plugins, without installing any."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from db.connect import open_db
from tests.conftest import add_source, make_item

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_publishes_database_as_newsdesk(tmp_path: Path) -> None:
    from db import store

    path = tmp_path / "anything.db"
    db = open_db(path)
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    db.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--db", str(path), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/newsdesk/articles.json?_shape=array", timeout=2
                ) as r:
                    body = r.read().decode()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert body is not None, proc.stdout.read().decode() if proc.poll() is not None else ""
        assert "Title 1" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert "nd-map" in r.read().decode()  # our home page, so the plugin is loaded
    finally:
        proc.terminate()
        proc.wait(timeout=10)
