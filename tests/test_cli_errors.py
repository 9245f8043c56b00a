"""Bad input: one clear line on stderr, a non-zero exit, nothing stored lost."""

import subprocess
import sys
from pathlib import Path

import pytest

from db.connect import open_db
from tests.conftest import add_source, make_item

ROOT = Path(__file__).resolve().parent.parent


def newsdesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    for needle in needles:
        assert needle in lines[0]


def test_crawl_with_missing_registry_file(tmp_path: Path) -> None:
    proc = newsdesk("crawl", "--sources", str(tmp_path / "nope.yaml"),
                    "--db", str(tmp_path / "d.db"))
    assert_one_line_error(proc, "nope.yaml", "no such file")
    assert not (tmp_path / "d.db").exists()


def test_crawl_with_unknown_source_id(tmp_path: Path) -> None:
    proc = newsdesk("crawl", "--sources", str(ROOT / "crawlers" / "sources.yaml"),
                    "--source", "no-such-source", "--db", str(tmp_path / "d.db"))
    assert_one_line_error(proc, "unknown source id", "no-such-source")


@pytest.mark.parametrize(("body", "needles"), [
    ("sources: [\n  {id: a\n", ("invalid YAML",)),
    ("sources:\n  - id: ok\n    name: A\n    source_type: press\n    feeds: [http://a.org/f]\n"
     "    allowed_domains: [a.org]\n  - id: b\n    name: B\n    source_type: press\n"
     "    feeds: [http://b.org/f]\n    allowed_domains: [b.org]\n    colour: red\n",
     (":7:", "'b'", "colour", "unknown key")),
    ("sources:\n  - id: a\n    name: A\n    country: XYZ\n    source_type: press\n"
     "    feeds: [http://a.org/f]\n    allowed_domains: [a.org]\n",
     (":2:", "country", "XYZ")),
    ("sources:\n  - id: a\n    name: A\n    source_type: press\n"
     "    feeds: [http://elsewhere.org/f]\n    allowed_domains: [a.org]\n",
     ("outside allowed_domains",)),
    ("items: []\n", ("'sources' list",)),
])
def test_crawl_with_malformed_registry(tmp_path: Path, body: str, needles: tuple) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    proc = newsdesk("crawl", "--sources", str(path), "--db", str(tmp_path / "d.db"))
    assert_one_line_error(proc, "bad.yaml", *needles)


def test_bad_registry_loses_nothing_already_stored(tmp_path: Path) -> None:
    db = open_db(tmp_path / "d.db")
    add_source(db)
    from db import store
    store.upsert_articles(db, [make_item(1)])
    db.close()
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: 3\n", encoding="utf-8")
    proc = newsdesk("crawl", "--sources", str(bad), "--db", str(tmp_path / "d.db"))
    assert proc.returncode != 0
    assert open_db(tmp_path / "d.db")["articles"].count == 1


def test_tag_with_missing_file(tmp_path: Path) -> None:
    proc = newsdesk("tag", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    assert_one_line_error(proc, "in.jsonl", "no such file")


def test_tag_with_a_line_that_is_not_json(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{not json\n', encoding="utf-8")
    proc = newsdesk("tag", str(src), "--out", str(tmp_path / "o.jsonl"))
    assert_one_line_error(proc, "in.jsonl:2", "not JSON")


def test_extract_with_missing_file(tmp_path: Path) -> None:
    proc = newsdesk("extract", str(tmp_path / "p.html"), "--out", str(tmp_path / "o.jsonl"))
    assert_one_line_error(proc, "no such file", "p.html")


def test_status_without_a_database(tmp_path: Path) -> None:
    proc = newsdesk("status", "--db", str(tmp_path / "none.db"))
    assert_one_line_error(proc, "none.db", "no such database")


def test_evaluate_with_missing_file(tmp_path: Path) -> None:
    proc = newsdesk("evaluate", str(tmp_path / "gold.jsonl"))
    assert_one_line_error(proc, "gold.jsonl", "no such file")


def test_evaluate_with_an_unlabelled_line(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "Private clinics to report cases."}\n', encoding="utf-8")
    proc = newsdesk("evaluate", str(gold))
    assert_one_line_error(proc, "gold.jsonl:1", "no label")


def test_train_without_the_shared_data(tmp_path: Path) -> None:
    proc = newsdesk("train", "--data", str(tmp_path), "--db", str(tmp_path / "d.db"))
    assert_one_line_error(proc, "policy-texts")


def test_every_command_has_help() -> None:
    for command in ["demo", "run", "crawl", "classify", "train", "evaluate", "serve",
                    "schedule", "status", "extract", "tag", "curator", "sources"]:
        proc = newsdesk(command, "--help")
        assert proc.returncode == 0, command
        assert "Usage" in proc.stdout
