"""Network faults end as recorded errors per URL; the crawl completes; the next run retries."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from crawlers.registry import load_registry
from db.connect import open_db
from flows.crawl import LOOPBACK_SETTINGS, crawl_sources, load_crawl, new_batch
from tests.fault_site import (
    CHARSET,
    ENTRY_FAULTS,
    FAULTS,
    GOOD,
    MAX_SIZE,
    TIMEOUT,
    FaultSite,
)

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    **LOOPBACK_SETTINGS,
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": str(TIMEOUT),
    "DOWNLOAD_MAXSIZE": str(MAX_SIZE),
    "DNS_RESOLVER": "tests.fault_site.OfflineResolver",  # `.invalid` fails without any DNS
}


@dataclass
class Runs:
    db: Database
    site: FaultSite
    outputs: list[Any]
    requests: list[list[tuple[str, str]]]  # what the site saw in each run
    stored: list[set[str]]  # URL paths of the articles stored after each run

    def error_rows(self, run: int) -> list[tuple[str, str, str]]:
        """(URL path, kind, role) of the errors of run 1 or 2."""
        rows = self.db.execute(
            "SELECT e.url, e.kind, e.role FROM crawl_errors e JOIN crawl_runs r ON r.id = e.run_id "
            "WHERE r.batch = ?", [self.batches[run - 1]]
        ).fetchall()
        return [(url.replace(self.site.base, ""), kind, role) for url, kind, role in rows]

    def errors(self, run: int) -> dict[str, set[str]]:
        """kind -> URL paths of the errors of run 1 or 2."""
        out: dict[str, set[str]] = {}
        for url, kind in self.db.execute(
            "SELECT e.url, e.kind FROM crawl_errors e JOIN crawl_runs r ON r.id = e.run_id "
            "WHERE r.batch = ?", [self.batches[run - 1]]
        ).fetchall():
            out.setdefault(kind, set()).add(url.replace(self.site.base, ""))
        return out

    @property
    def batches(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT batch FROM crawl_runs ORDER BY id")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Two crawls of the fault site: as broken as it gets, then with transient faults healed."""
    tmp = tmp_path_factory.mktemp("faults")
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(ROOT))  # the crawl child imports tests.fault_site's resolver
    db = open_db(tmp / "faults.db")
    with FaultSite() as site:
        registry = tmp / "sources.yaml"
        registry.write_text(site.registry(), encoding="utf-8")
        sources = load_registry(registry)
        outputs, seen, stored = [], [], []
        for n in (1, 2):
            before = len(site.requests)
            output = crawl_sources(registry, [], db, tmp / f"run{n}", settings=SETTINGS,
                                   timeout=120)
            load_crawl(db, sources, output, new_batch())
            stored.append({u.replace(site.base, "") for (u,) in db.execute(
                "SELECT url FROM articles").fetchall()})
            outputs.append(output)
            seen.append(site.requests[before:])
            site.healed = True
        yield Runs(db, site, outputs, seen, stored)
    mp.undo()
    db.close()


def test_the_crawl_completes_with_a_partial_status(runs: Runs) -> None:
    assert runs.outputs[0].returncode == 0 and runs.outputs[0].report is not None
    run = next(runs.db.query("SELECT * FROM crawl_runs ORDER BY id LIMIT 1"))
    assert run["status"] == "partial"
    assert run["errors"] == runs.db.execute(
        "SELECT count(*) FROM crawl_errors WHERE run_id = ?", [run["id"]]).fetchone()[0]


@pytest.mark.parametrize("path,kind", sorted(FAULTS.items()))
def test_each_fault_is_recorded_with_its_kind(runs: Runs, path: str, kind: str) -> None:
    errors = runs.errors(1)
    if path.endswith("loop.html"):  # the loop is reported where it gave up
        assert errors["redirect-loop"] & {path, path.replace("loop", "loop2")}
    else:
        assert path in errors.get(kind, set()), errors


@pytest.mark.parametrize("path", sorted(ENTRY_FAULTS))
def test_each_unreadable_entry_page_is_recorded_with_its_kind_and_role(
    runs: Runs, path: str
) -> None:
    assert [(k, r) for p, k, r in runs.error_rows(1) if p == path] == [ENTRY_FAULTS[path]]


def test_every_error_of_the_run_is_an_expected_fault(runs: Runs) -> None:
    expected = {*FAULTS, "/fault/loop2.html", *ENTRY_FAULTS}
    unexpected = [e for e in runs.error_rows(1)
                  if e[0] not in expected and "#entry-" not in e[0]]
    assert unexpected == []


def test_the_first_run_stores_every_good_page_and_nothing_else(runs: Runs) -> None:
    assert runs.stored[0] == {*GOOD, *CHARSET}
    assert runs.stored[1] == {*GOOD, *CHARSET, "/fault/503.html", "/fault/slow.html"}


def test_feed_entries_without_a_usable_link_are_parse_errors(runs: Runs) -> None:
    entries = {u for u in runs.errors(1)["parse"] if "#entry-" in u}
    assert len(entries) == 2


def test_good_pages_and_wrong_charset_pages_are_stored_right(runs: Runs) -> None:
    base = runs.site.base
    stored = dict(runs.db.execute("SELECT url, canonical_url FROM articles").fetchall())
    for path in GOOD:
        # rel=canonical carries ?utm_source=feed#top: dropped from the canonical URL
        assert stored[base + path] == base + path
    for path in CHARSET:
        title, text = runs.db.execute(
            "SELECT title, text FROM articles WHERE url = ?", [base + path]).fetchone()
        assert "Thiès" in title and "cliniques privées" in title
        assert "Le ministère de la Santé a signé des conventions" in text
        assert "Ã" not in text and "\ufffd" not in text


def test_next_run_retries_transient_faults_only(runs: Runs) -> None:
    second = {p for p, _ in runs.requests[1]}
    # healed since: stored now, no error
    stored = {u.replace(runs.site.base, "") for (u,) in runs.db.execute(
        "SELECT url FROM articles").fetchall()}
    assert {"/fault/503.html", "/fault/slow.html"} <= stored
    assert not ({"/fault/503.html", "/fault/slow.html"} & set().union(*runs.errors(2).values()))
    # still broken and transient: tried again and recorded again
    assert {"/fault/truncated.html", "/fault/reset.html"} <= second
    assert "/fault/truncated.html" in runs.errors(2)["truncated"]
    # permanent faults are not asked for again
    assert not second & {"/fault/404.html", "/fault/corrupt.pdf", "/fault/garbage.html",
                         "/fault/image.png", "/fault/empty.html", "/private/secret.html"}
    # the unchanged feed answered 304 to its ETag
    assert ("/feed.xml", "304") in runs.requests[1]


def test_errors_record_what_was_being_fetched(runs: Runs) -> None:
    roles = dict(runs.db.execute(
        "SELECT url, role FROM crawl_errors WHERE url LIKE '%#entry-%' OR url LIKE '%503%'"
    ).fetchall())
    assert {roles[u] for u in roles if "#entry-" in u} == {"feed"}
    assert {roles[u] for u in roles if "503" in u} == {"article"}
