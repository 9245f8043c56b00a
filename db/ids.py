"""Stable identifiers."""

import hashlib


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def text_sha1(text: str) -> str:
    """SHA-1 of extracted text, whitespace-normalised, for exact-duplicate detection."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()
