"""A curator in headless Chromium: logs in, accepts one item, corrects another (issue 8).

Runs where Debian's `chromium` and Playwright for Python are installed (Playwright drives the
system binary: no browser download); elsewhere it skips and says which is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from db.connect import open_db
from tests.conftest import serve_in_subprocess
from tests.test_review import PASSWORD, build

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

try:  # Playwright is optional: only the browser tests use it
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.is_file(),
                       reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="Playwright for Python is not installed"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    path = tmp_path / "browser.db"
    db = open_db(path)
    ids = build(db)
    db.close()
    with serve_in_subprocess(path) as base:
        yield base, ids, path


def article(path: Path, aid: str) -> dict[str, Any]:
    db = Database(path)
    try:
        return next(db.query("SELECT * FROM articles WHERE id = ?", [aid]))
    finally:
        db.close()


def test_curator_logs_in_accepts_one_item_and_corrects_another(server: Any) -> None:
    base, ids, path = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        page.goto(base + "/review")  # not logged in: the login form, which comes back here
        page.wait_for_url("**/-/login?next=*")
        page.fill("#nd-username", "ana")
        page.fill("#nd-password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(base + "/review")
        assert "Logged in as ana" in page.content()

        page.keyboard.press("Enter")  # start with the most uncertain item: D
        page.wait_for_url(f"**/review/{ids['D']}")
        page.keyboard.press("a")  # accept all
        page.wait_for_url(f"**/review/{ids['B']}")
        assert "Accepted" in page.content()

        # B: the item is about Uganda, and also about financing; keys and the form
        page.keyboard.press("6")  # toggle the sixth theme, financing
        page.select_option("#nd-primary", "UGA")
        page.fill("#nd-note", "Uganda's ministry")
        page.keyboard.press("Escape")
        page.keyboard.press("s")
        page.wait_for_url(f"**/review/{ids['C']}")
        # the script in an item's text shows as text and never runs
        page.goto(base + f"/review/{ids['A']}")
        assert '<script>alert("x")</script>' in page.inner_text("#nd-text")
        assert page.locator("#nd-text mark.nd-ev-country").count() >= 2
        browser.close()

    accepted, corrected = article(path, ids["D"]), article(path, ids["B"])
    assert accepted["labelled_by"] == "curator" and json.loads(accepted["themes"]) == ["stuff"]
    assert corrected["labelled_by"] == "curator" and corrected["primary_country"] == "UGA"
    assert json.loads(corrected["themes"]) == ["financing", "stuff"]
    assert json.loads(corrected["countries"]) == ["UGA", "KEN"]
    assert dialogs == []
