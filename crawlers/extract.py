"""Text and metadata extraction from HTML pages and PDF documents.

The spider and `newsdesk extract` call the same functions. Dates: a JSON-LD `datePublished`
(extruct) wins over heuristics (trafilatura's metadata, which runs htmldate); the result says
where the date came from in `published_from`.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any
from urllib.parse import urljoin

import extruct
import py3langid
import trafilatura
from lxml import html as lxml_html
from pypdf import PdfReader
from pypdf.errors import PdfReadError

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


class ExtractionError(ValueError):
    """The input could not be parsed into text."""


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid), None for too little text."""
    sample = " ".join(text.split())[:5000]
    if len(sample) < 20:
        return None
    lang, _ = py3langid.classify(sample)
    return lang


def _iso_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = _ISO_DATE.search(value)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def _jsonld_date(html: str, url: str | None) -> str | None:
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)
    except Exception:  # malformed JSON-LD is common and never fatal
        return None
    stack: list[Any] = list(data.get("json-ld", []))
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            found = _iso_date(node.get("datePublished"))
            if found:
                return found
            stack.extend(v for k, v in node.items() if k == "@graph")
    return None


def _canonical(html: str, url: str | None) -> str | None:
    try:
        tree = lxml_html.fromstring(html, base_url=url)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        if href.strip():
            return urljoin(url or "", href.strip())
    return None


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    return trafilatura.utils.decode_file(body)


def extract_html(body: bytes | str, url: str | None = None) -> dict[str, Any]:
    """Main text and metadata of an HTML page: title, text, published, authors, language."""
    html = _decode(body)
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        favor_precision=True,
    )
    if doc is None:
        raise ExtractionError("no main text found")
    meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (meta.get("text") or "").strip()
    if not text:
        raise ExtractionError("no main text found")
    published = _jsonld_date(html, url)
    published_from = "json-ld" if published else None
    if not published:
        published = _iso_date(meta.get("date"))
        published_from = "htmldate" if published else None
    authors = [a.strip() for a in re.split(r";|\band\b", meta.get("author") or "") if a.strip()]
    return {
        "title": (meta.get("title") or "").strip() or None,
        "text": text,
        "published": published,
        "published_from": published_from,
        "authors": authors,
        "language": detect_language(text) or meta.get("language"),
        "canonical_url": _canonical(html, url),
    }


def extract_pdf(body: bytes, url: str | None = None) -> dict[str, Any]:
    """Text and metadata of a PDF document (pypdf)."""
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise ExtractionError(f"unreadable PDF: {e}") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise ExtractionError("PDF has no text layer")
    title = str(info.get("/Title") or "").strip() or text.splitlines()[0][:200]
    m = _PDF_DATE.match(str(info.get("/CreationDate") or ""))
    published = None
    if m:
        published = _iso_date(f"{m[1]}-{m[2]}-{m[3]}")
    author = str(info.get("/Author") or "").strip()
    return {
        "title": title,
        "text": text,
        "published": published,
        "published_from": "pdf" if published else None,
        "authors": [author] if author else [],
        "language": detect_language(text),
        "canonical_url": None,
    }


def is_pdf(body: bytes, content_type: str | None = None, url: str | None = None) -> bool:
    """True for a PDF by content type, magic number or file name."""
    if content_type and "pdf" in content_type.lower():
        return True
    if body[:5] == b"%PDF-":
        return True
    return bool(url and url.lower().split("?")[0].endswith(".pdf"))


def extract_any(body: bytes, url: str | None = None, content_type: str | None = None
                ) -> dict[str, Any]:
    """Extract a PDF or an HTML page, whichever the bytes are."""
    if is_pdf(body, content_type, url):
        out = extract_pdf(body, url)
        out["kind"] = "document"
        return out
    return extract_html(body, url)
