import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.extract import ExtractionError, extract_any, extract_html, extract_pdf

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "demo" / "site"
BASE = "http://127.0.0.1:8765/"
LABELS = [json.loads(line) for line in (ROOT / "demo" / "labels.jsonl").open(encoding="utf-8")]


def page(site: str, kind: str | None = None) -> tuple[Path, dict]:
    label = next(x for x in LABELS if x["site"] == site and x["kind"] != "document")
    return SITE / label["url"].removeprefix(BASE), label


def test_html_article_text_title_date_and_language() -> None:
    path, label = page("el-diario")
    out = extract_html(path.read_bytes(), label["url"])
    assert out["title"] == label["title"]
    assert len(out["text"]) > 800
    assert out["language"] == "es"
    assert (out["published"], out["published_from"]) == (label["published"], "json-ld")
    assert "cookies" not in out["text"].lower()  # boilerplate left out


def test_pdf_text_and_metadata() -> None:
    pdf = next(SITE.rglob("*.pdf"))
    out = extract_any(pdf.read_bytes(), "http://127.0.0.1:8765/x.pdf")
    assert out["kind"] == "document"
    assert len(out["text"]) > 300 and out["title"]
    assert out["published_from"] == "pdf"


def test_broken_pdf_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        extract_pdf(b"%PDF-1.4 truncated")


def test_extract_command_writes_one_object_per_file(tmp_path: Path) -> None:
    files = [next((SITE / "moh-ke").rglob("*.pdf")), page("moh-ke")[0]]
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "extract", *map(str, files),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["path"] for r in rows] == [str(f) for f in files]
    assert all(r["text"] and r["language"] == "en" for r in rows)
    assert set(rows[0]) >= {"path", "url", "title", "text", "published", "language", "authors"}
