"""Canonical URLs: one id per article whatever link, tag or template mistake led to it."""

import pytest

from crawlers.urls import canonicalize, choose_canonical, strip_tracking


@pytest.mark.parametrize("url,expected", [
    ("HTTPS://WWW.Who.INT:443/news/item/1?utm_source=rss&utm_medium=feed#top",
     "https://www.who.int/news/item/1"),
    ("https://example.org/a?b=2&fbclid=XYZ&a=1&gclid=1", "https://example.org/a?a=1&b=2"),
    ("http://example.org:8080/a/./b/../c?srsltid=x", "http://example.org:8080/a/c"),
    ("https://example.org", "https://example.org/"),
    ("https://example.org/santé?q=é", "https://example.org/sant%C3%A9?q=%C3%A9"),
])
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_strip_tracking_keeps_the_order_of_real_parameters() -> None:
    assert strip_tracking("https://x.org/n?id=5&utm_campaign=c&page=2#c") == (
        "https://x.org/n?id=5&page=2")


def test_rel_canonical_is_used_when_believable() -> None:
    domains = ["example.org"]
    fetched = "https://www.example.org/news/5?utm_source=feed"
    assert choose_canonical(fetched, "https://example.org/news/five", domains) == (
        "https://example.org/news/five")
    # elsewhere, or the home page of a template that says so on every page: ignored
    assert choose_canonical(fetched, "https://other.org/news/five", domains) == (
        "https://www.example.org/news/5")
    assert choose_canonical(fetched, "https://example.org/", domains) == (
        "https://www.example.org/news/5")
    assert choose_canonical(fetched, None, domains) == "https://www.example.org/news/5"
