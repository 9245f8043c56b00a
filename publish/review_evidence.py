"""Evidence on the review screen: the spans of an article's text that support its labels.

An evidence provider is a function of the article (the dict `db.derived.article` returns) to
`{"spans": [...], "terms": {...}, "other": [...]}`:

- `spans`: `{"start", "end", "kind" ("country" or "term"), "label", "note"}`, offsets into
  the article's `text`;
- `terms`: per label (`relevant` or a theme id), the terms that weighed most, as
  `[(term, weight), ...]`;
- `other`: evidence outside the text (a country named in the title, the URL or the source).

`publish` cannot import `classify` (DESIGN §3), so the classifier's provider is built from
objects handed over by whoever starts the site: `use_evidence(ds,
classifier_evidence(tagger, model))`. Without one, `reference_evidence` marks the names and
capitals of the article's countries, from the reference table.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup, escape

Provider = Callable[[dict[str, Any]], dict[str, Any]]
PROVIDERS: weakref.WeakKeyDictionary[Any, Provider] = weakref.WeakKeyDictionary()
TOP_TERMS = 8
MAX_SPANS = 2000  # a 100-page PDF can mention a country thousands of times


def use_evidence(datasette: Any, provider: Provider | None) -> None:
    """Use provider for this Datasette's review screens (None: back to reference names)."""
    if provider is None:
        PROVIDERS.pop(datasette, None)
    else:
        PROVIDERS[datasette] = provider


def _document(article: dict[str, Any]) -> str:
    title = article.get("title") or ""
    text = article.get("text") or ""
    return f"{title}\n\n{text}" if title else text


def _pairs(found: Any) -> list[tuple[str, float]]:
    """(term, weight) pairs from a list of pairs or of {"term", "weight"} dicts."""
    out = []
    for entry in found or []:
        if isinstance(entry, dict):
            term, weight = entry.get("term"), entry.get("weight", 0.0)
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            term, weight = entry
        else:
            continue
        if isinstance(term, str) and term.strip():
            try:
                out.append((term.strip(), float(weight)))
            except (TypeError, ValueError):
                continue
    return out


def term_spans(text: str, terms: dict[str, list[tuple[str, float]]]) -> list[dict[str, Any]]:
    """Occurrences in text of the terms that raised a label (case-insensitive, whole words)."""
    spans = []
    for label, pairs in terms.items():
        for term, weight in pairs:
            if weight <= 0 or len(term) < 3:
                continue
            pattern = re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)
            for m in pattern.finditer(text):
                spans.append({"start": m.start(), "end": m.end(), "kind": "term",
                              "label": label, "note": f"{label} +{weight:.2f}"})
    return spans


def classifier_evidence(tagger: Any, model: Any = None) -> Provider:
    """A provider from the country tagger's mentions and, when the model has one, its
    `explain(document)` (label -> [(term, weight), ...]); both objects are duck-typed."""
    explain = getattr(model, "explain", None) if model is not None else None

    def provider(article: dict[str, Any]) -> dict[str, Any]:
        text = article.get("text") or ""
        result = tagger.tag(text, title=article.get("title"), url=article.get("url"),
                            source_country=article.get("source_country"),
                            language=article.get("language"))
        spans, other = [], []
        for m in getattr(result, "mentions", []) or []:
            if 0 <= m.start < m.end <= len(text):
                spans.append({"start": m.start, "end": m.end, "kind": "country",
                              "label": m.iso3, "note": f"{m.iso3} ({m.kind})"})
            else:
                other.append({"label": m.iso3, "kind": m.kind, "text": m.text})
        terms: dict[str, list[tuple[str, float]]] = {}
        if callable(explain):
            try:
                found = explain(_document(article))
            except Exception:  # an explanation is a help, never a reason to fail the page
                found = {}
            if isinstance(found, dict):
                terms = {str(k): _pairs(v)[:TOP_TERMS] for k, v in found.items()}
        return {"spans": spans + term_spans(text, terms), "terms": terms, "other": other}

    return provider


def reference_evidence(article: dict[str, Any], names: dict[str, Iterable[str]]
                       ) -> dict[str, Any]:
    """Names and capitals (names: ISO3 -> strings) of the article's countries in its text."""
    text = article.get("text") or ""
    spans = []
    for iso3, words in names.items():
        for word in {w for w in words if w and len(w) >= 3}:
            pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
            for m in pattern.finditer(text):
                spans.append({"start": m.start(), "end": m.end(), "kind": "country",
                              "label": iso3, "note": f"{iso3} (name)"})
    return {"spans": spans, "terms": {}, "other": []}


def highlight(text: str, spans: list[dict[str, Any]]) -> Markup:
    """text, HTML-escaped, with each span wrapped in <mark>; overlapping spans keep the first."""
    out: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"]))[:MAX_SPANS]:
        start, end = int(span["start"]), int(span["end"])
        if start < pos or end <= start or end > len(text):
            continue
        out.append(str(escape(text[pos:start])))
        kind = "country" if span.get("kind") == "country" else "term"
        out.append(f'<mark class="nd-ev nd-ev-{kind}" title="{escape(span.get("note", ""))}">'
                   f"{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))
