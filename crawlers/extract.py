"""Text and metadata extraction from HTML pages and PDF documents.

The spider and `newsdesk extract` call the same functions. Decoding trusts the bytes over the
declared charset (`decode_html`). Main text: trafilatura, steered by what the page says it is
(`main_text`). Dates: a JSON-LD `datePublished` (extruct) wins, then a date the feed or sitemap
gave, then htmldate's heuristics; `published_from` says which (json-ld, feed, htmldate, pdf).
bench/extraction_f1.py measures the text on two public benchmarks (docs/crawling.md).
"""

from __future__ import annotations

import codecs
import copy
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin

import charset_normalizer
import html_text
import htmldate
import py3langid
import trafilatura
from extruct.jsonld import JsonLdExtractor
from lxml.html import HtmlElement
from pypdf import PdfReader
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title
from trafilatura.utils import load_html

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WORDS = re.compile(r"\w+")
MAX_PDF_PAGES = 300
MIN_WORDS = 15  # less main text than this is a menu, an error page or an empty shell
# More replacement characters than this share of the text means the bytes are not text.
MAX_REPLACED_SHARE = 0.01

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "TechArticle", "ScholarlyArticle", "Report",
    "LiveBlogPosting", "PressRelease", "GovernmentPublication",
})
DISCUSSION_TYPES = frozenset({"DiscussionForumPosting", "QAPage", "Question"})
# Elements that are never main content on a non-article page (see _region_text).
_REGION_DROP = (
    "script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "aside",
    "button", "select", "input", "textarea", "label", "dialog", "object", "embed", "canvas",
    "video", "audio", "picture", "figure",
)
_REGION_DROP_ROLES = frozenset(
    "navigation banner contentinfo complementary dialog alertdialog search menu menubar".split()
)


class ExtractionError(ValueError):
    """The input could not be parsed into text; `kind` is its crawl_errors kind."""

    def __init__(self, message: str, kind: str = "parse") -> None:
        super().__init__(message)
        self.kind = kind


# -- decoding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    """Text of a body and how it was decoded."""

    text: str
    encoding: str
    declared: str | None
    replaced: int  # U+FFFD characters that decoding had to insert


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    # what browsers do (WHATWG Encoding): latin-1 and ascii labels mean windows-1252
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.I)
    return m[1] if m else None


def decode_html(body: bytes, declared: str | None = None) -> Decoded:
    """Decode an HTML body, trusting the bytes over a wrong declared charset.

    A BOM decides; else valid UTF-8 is UTF-8 (other encodings almost never produce it);
    else the declared (HTTP, then meta) charset if the bytes fit it; else detection.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            text = body.decode(enc, errors="replace")
            return Decoded(text, enc.removesuffix("-sig"), declared, text.count("\ufffd"))
    meta = _META_CHARSET.search(body[:4096])
    label = declared or (meta[1].decode("ascii", "replace") if meta else None)
    try:
        return Decoded(body.decode("utf-8"), "utf-8", label, 0)
    except UnicodeDecodeError:
        pass
    candidates = [_codec(declared), _codec(meta[1].decode("ascii", "replace") if meta else None)]
    for enc in candidates:
        if enc and enc != "utf-8":
            try:
                return Decoded(body.decode(enc), enc, label, 0)
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(body[:500_000]).best()
    enc = _codec(best.encoding) if best is not None else None
    text = body.decode(enc or "cp1252", errors="replace")
    return Decoded(text, enc or "cp1252", label, text.count("\ufffd"))


# -- page signals ---------------------------------------------------------------------------


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


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


@dataclass
class PageSignals:
    """What a page's structured data says about it."""

    types: set[str]
    json_ld_date: str | None
    is_article: bool
    is_discussion: bool


def page_signals(tree: HtmlElement) -> PageSignals:
    """Schema.org types (JSON-LD and microdata), the JSON-LD datePublished, og:type."""
    try:
        items = JsonLdExtractor().extract_items(tree)
    except Exception:  # malformed JSON-LD is common and never fatal
        items = []
    types: set[str] = set()
    dates: list[tuple[int, str]] = []
    stack: list[Any] = list(items)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            node_types = _types(node)
            types |= node_types
            found = _iso_date(node.get("datePublished"))
            if found:  # an Article's own date beats a WebPage's or an ImageObject's
                dates.append((0 if node_types & ARTICLE_TYPES else 1, found))
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
    types |= {t.rsplit("/", 1)[-1] for t in tree.xpath("//@itemtype")}
    og_type = [t.strip().lower() for t in tree.xpath("//meta[@property='og:type']/@content")]
    published_meta = bool(tree.xpath("//meta[@property='article:published_time']"))
    return PageSignals(
        types=types,
        json_ld_date=min(dates)[1] if dates else None,
        is_article=bool(types & ARTICLE_TYPES) or "article" in og_type or published_meta,
        is_discussion=bool(types & DISCUSSION_TYPES),
    )


def _canonical(tree: HtmlElement, url: str | None) -> str | None:
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        if href.strip():
            return urljoin(url or "", href.strip())
    return None


# -- main text ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def _strip_title(text: str, titles: list[str]) -> str:
    """Drop leading lines that repeat the title: the title is a field of its own."""
    wanted = [n for n in (_norm(t) for t in titles if t) if n]
    lines = text.split("\n")
    while lines:
        first = _norm(lines[0])
        if not first or not any(first == t or (len(first) > 15 and first in t) for t in wanted):
            break
        lines.pop(0)
    return "\n".join(lines).strip()


def _region_text(tree: HtmlElement) -> str:
    """Visible text of the page's main region, without navigation, banners and link menus."""
    root = copy.deepcopy(tree)
    for el in root.xpath("//" + " | //".join(_REGION_DROP)):
        if el.getparent() is not None:
            el.drop_tree()
    hidden = ("//*[@hidden or @aria-hidden='true' or "
              "contains(translate(@style, ' ', ''), 'display:none')]")
    for el in root.xpath(hidden):
        if el.getparent() is not None:
            el.drop_tree()
    for el in root.xpath("//*[@role]"):
        if el.get("role") in _REGION_DROP_ROLES and el.getparent() is not None:
            el.drop_tree()
    for el in root.xpath("//header[not(ancestor::article or ancestor::main)]"):
        if el.getparent() is not None:
            el.drop_tree()
    mains = root.xpath("//main") or root.xpath("//*[@role='main']")
    region = mains[0] if len(mains) == 1 else root
    for ul in region.xpath(".//ul | .//ol"):  # menus: lists whose items are short links
        items = ul.xpath("./li")
        if len(items) < 2 or ul.getparent() is None:
            continue
        words = 0
        for li in items:
            text = " ".join(li.text_content().split())
            linked = " ".join(" ".join(a.text_content() for a in li.xpath(".//a")).split())
            if len(linked) < 0.9 * len(text):
                break
            words += len(text.split())
        else:
            if words / len(items) <= 6:
                ul.drop_tree()
    return html_text.extract_text(region, guess_layout=True)


def main_text(tree: HtmlElement, url: str | None, signals: PageSignals,
              titles: list[str]) -> str:
    """The page's main text.

    Articles: trafilatura's balanced result, or its precision result when that keeps at least
    80% of it (precision drops teasers and widgets but sometimes most of the story). Other
    pages (listings, products, forums): trafilatura is built for articles and can keep a
    fragment; when it keeps under half of the main region's visible text, that text is used.
    """
    options = {"url": url, "include_comments": signals.is_discussion, "include_tables": True}
    text = trafilatura.extract(tree, **options) or ""
    if signals.is_article:
        precise = trafilatura.extract(tree, favor_precision=True, **options) or ""
        if len(precise) >= 0.8 * len(text):
            text = precise
    else:
        region = _region_text(tree)
        if len(text) < 0.5 * len(region):
            text = region
    return _strip_title(text, titles)


# -- pages and documents -------------------------------------------------------------------


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid), None for too little text."""
    sample = " ".join(text.split())[:5000]
    if len(sample) < 20:
        return None
    lang, _ = py3langid.classify(sample)
    return lang


def _authors(value: str | None) -> list[str]:
    return [a.strip() for a in re.split(r";|\band\b|,\s(?=\S+\s\S+)", value or "") if a.strip()]


def extract_html(body: bytes | str, url: str | None = None, *, charset: str | None = None,
                 feed_date: str | None = None) -> dict[str, Any]:
    """Main text and metadata of an HTML page: title, text, published, authors, language.

    charset is the one the server declared; feed_date a publication date the feed or sitemap
    gave for this URL.
    """
    if isinstance(body, str):
        decoded = Decoded(body, "utf-8", charset, 0)
    else:
        decoded = decode_html(body, charset)
    if decoded.replaced > max(10, MAX_REPLACED_SHARE * len(decoded.text)):
        raise ExtractionError(
            f"undecodable bytes: {decoded.replaced} replacement characters as "
            f"{decoded.encoding} (declared {decoded.declared or 'nothing'})", "bad-encoding")
    tree = load_html(decoded.text)
    if tree is None:
        raise ExtractionError("not an HTML document")
    signals = page_signals(tree)
    meta = extract_meta_json(tree, examine_meta(tree))
    title = (meta.title or extract_title(tree) or "").strip() or None
    titles = [t for t in (title, *tree.xpath("//h1//text()"), *tree.xpath("//title/text()"))
              if t and t.strip()]
    text = main_text(tree, url, signals, titles)
    if len(_WORDS.findall(text)) < MIN_WORDS:
        raise ExtractionError(f"no main text found ({len(_WORDS.findall(text))} words)")
    published, published_from = signals.json_ld_date, "json-ld"
    if not published and feed_date:
        published, published_from = _iso_date(feed_date), "feed"
    if not published:
        found = htmldate.find_date(tree, url=url, original_date=True, extensive_search=True)
        published, published_from = _iso_date(found), "htmldate"
    author = meta.author if meta.author and " " in meta.author else extract_author(tree)
    return {
        "title": title,
        "text": text,
        "published": published,
        "published_from": published_from if published else None,
        "authors": _authors(author),
        "language": detect_language(text) or (meta.language or None),
        "canonical_url": _canonical(tree, url),
        "encoding": decoded.encoding,
    }


def extract_pdf(body: bytes, url: str | None = None) -> dict[str, Any]:
    """Text and metadata of a PDF document (pypdf)."""
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
        info = reader.metadata or {}
    except Exception as e:  # pypdf raises many kinds on corrupt files; all mean "unreadable"
        raise ExtractionError(f"unreadable PDF: {type(e).__name__}: {e}"[:300]) from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if len(_WORDS.findall(text)) < MIN_WORDS:
        raise ExtractionError("PDF has no text layer")
    title = str(info.get("/Title") or "").strip() or text.splitlines()[0][:200]
    m = _PDF_DATE.match(str(info.get("/CreationDate") or ""))
    published = _iso_date(f"{m[1]}-{m[2]}-{m[3]}") if m else None
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


def is_html(body: bytes, content_type: str | None = None) -> bool:
    """True for HTML by content type or, when the type is missing or generic, by sniffing."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if ct and ct not in ("application/octet-stream", "binary/octet-stream", "text/plain"):
        return False
    head = body[:2048]
    return b"\0" not in head and b"<" in head


def extract_any(body: bytes, url: str | None = None, content_type: str | None = None, *,
                feed_date: str | None = None) -> dict[str, Any]:
    """Extract a PDF or an HTML page, whichever the bytes are; anything else is an error."""
    if is_pdf(body, content_type, url):
        out = extract_pdf(body, url)
        out["kind"] = "document"
        return out
    if not is_html(body, content_type):
        raise ExtractionError(f"not HTML or PDF: {content_type or 'no content type'}",
                              "unsupported-type")
    return extract_html(body, url, charset=charset_of(content_type), feed_date=feed_date)
