import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.extract import (
    ExtractionError,
    charset_of,
    decode_html,
    extract_any,
    extract_html,
    extract_pdf,
)

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


# -- decoding -------------------------------------------------------------------------------

FRENCH = "<p>Le ministère de la Santé a signé des conventions avec les cliniques privées.</p>"


@pytest.mark.parametrize("declared,encoding", [
    ("iso-8859-1", "utf-8"),     # a UTF-8 page served as latin-1
    ("utf-8", "cp1252"),         # a windows-1252 page served as UTF-8
    (None, "cp1252"),            # nothing declared
    ("windows-1252", "cp1252"),  # declared right
])
def test_decoding_trusts_the_bytes_over_a_wrong_declared_charset(declared, encoding) -> None:
    body = f"<html><head><meta charset='{declared or ''}'></head><body>{FRENCH}</body></html>"
    out = decode_html(body.encode(encoding), declared)
    assert "ministère de la Santé" in out.text and out.replaced == 0


def test_a_bom_decides_the_encoding() -> None:
    body = "\ufeff<p>Santé</p>".encode("utf-16-le")
    assert "Santé" in decode_html(body, "iso-8859-1").text


def test_undecodable_bytes_are_a_bad_encoding_error() -> None:
    noise = bytes((i * 7919 + 13) % 256 for i in range(6000))
    with pytest.raises(ExtractionError) as e:
        extract_html(noise)
    assert e.value.kind == "bad-encoding"


def test_charset_of_a_content_type() -> None:
    assert charset_of('text/html; charset="ISO-8859-1"') == "ISO-8859-1"
    assert charset_of("text/html") is None


# -- dates, titles, page kinds ----------------------------------------------------------------

PAGE = """<html><head><title>{title} | Site</title>
<meta property="article:published_time" content="2020-06-01T08:00:00Z">{jsonld}</head>
<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"""
BODY = "".join(f"<p>Paragraph {i}: the ministry and private clinics agreed on a fee for "
               f"COVID-19 tests in region {i}, with {i + 3} laboratories taking part.</p>"
               for i in range(8))


def page_html(jsonld: str = "") -> bytes:
    return PAGE.format(title="Private labs join testing", jsonld=jsonld, body=BODY).encode()


def test_json_ld_date_beats_feed_date_and_htmldate() -> None:
    ld = ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage", '
          '"datePublished": "2019-01-01"}, {"@type": "NewsArticle", '
          '"datePublished": "2020-05-03T10:00:00+02:00"}]}</script>')
    out = extract_html(page_html(ld), "https://example.org/a", feed_date="2020-05-04")
    assert (out["published"], out["published_from"]) == ("2020-05-03", "json-ld")


def test_feed_date_then_htmldate_without_json_ld() -> None:
    out = extract_html(page_html(), "https://example.org/a", feed_date="2020-05-04")
    assert (out["published"], out["published_from"]) == ("2020-05-04", "feed")
    out = extract_html(page_html(), "https://example.org/a")
    assert (out["published"], out["published_from"]) == ("2020-06-01", "htmldate")


def test_malformed_json_ld_is_ignored() -> None:
    out = extract_html(page_html('<script type="application/ld+json">{"@type": </script>'))
    assert out["published_from"] == "htmldate"


def test_title_is_not_repeated_at_the_start_of_the_text() -> None:
    out = extract_html(page_html(), "https://example.org/a")
    assert out["title"] == "Private labs join testing"
    assert out["text"].startswith("Paragraph 0")


def test_listing_page_keeps_its_items_not_only_a_fragment() -> None:
    items = "".join(f"<li><h3><a href='/p/{i}'>Private hospital number {i} joins the "
                    f"vaccination campaign in district {i}</a></h3><p>Opening hours and "
                    f"contact details of site {i} for residents.</p></li>" for i in range(12))
    html = (f"<html><body><header><a href='/'>Logo</a></header><nav><ul><li><a href='/a'>A</a>"
            f"</li><li><a href='/b'>B</a></li></ul></nav><main><h1>Vaccination sites</h1>"
            f"<ul>{items}</ul></main><footer>Contact us</footer></body></html>").encode()
    text = extract_html(html)["text"]
    assert all(f"district {i}" in text for i in range(12))
    assert "Contact us" not in text and "Logo" not in text


def test_unsupported_content_is_its_own_error_kind() -> None:
    with pytest.raises(ExtractionError) as e:
        extract_any(b"\x89PNG\r\n\x1a\n\0\0\0", "https://example.org/x.png", "image/png")
    assert e.value.kind == "unsupported-type"


def test_a_menu_alone_is_no_article() -> None:
    with pytest.raises(ExtractionError, match="no main text"):
        extract_html(b"<html><body><nav>Menu</nav><p>Home</p></body></html>")
