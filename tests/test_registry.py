from pathlib import Path

import pytest

from crawlers.registry import RegistryError, host_allowed, load_registry, select

ROOT = Path(__file__).resolve().parent.parent


def test_real_registry_is_valid_and_broad() -> None:
    sources = load_registry(ROOT / "crawlers" / "sources.yaml")
    assert len(sources) >= 60
    assert len({s.country for s in sources if s.country}) >= 25
    assert {"en", "fr", "es", "pt"} <= {s.language for s in sources}


def test_demo_registry_has_the_four_kinds_of_source() -> None:
    sources = load_registry(ROOT / "demo" / "sources.yaml")
    assert any(s.feeds and s.language == "fr" and s.source_type == "government"
               for s in sources)
    assert any(s.sitemaps and s.language == "en" and s.source_type == "government"
               for s in sources)
    assert any(s.start_urls and s.next_selector and s.language in ("es", "pt")
               for s in sources)
    assert any(s.source_type == "multilateral" for s in sources)


def test_select_refuses_unknown_ids() -> None:
    sources = load_registry(ROOT / "demo" / "sources.yaml")
    assert select(sources, []) == sources
    with pytest.raises(RegistryError, match="unknown source id.*nope"):
        select(sources, ["nope"])


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = ("  - id: a\n    name: A\n    source_type: press\n    feeds: [http://a.org/f]\n"
             "    allowed_domains: [a.org]\n")
    path = tmp_path / "dup.yaml"
    path.write_text("sources:\n" + entry + entry, encoding="utf-8")
    with pytest.raises(RegistryError, match=r"dup.yaml:7: source 'a': duplicate id"):
        load_registry(path)


def test_listing_pages_need_a_link_selector(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("sources:\n  - id: a\n    name: A\n    source_type: press\n"
                    "    start_urls: [http://a.org/news]\n    allowed_domains: [a.org]\n",
                    encoding="utf-8")
    with pytest.raises(RegistryError, match="link_selector"):
        load_registry(path)


def test_subdomains_are_allowed_but_lookalikes_are_not() -> None:
    assert host_allowed("https://www.who.int/news", ["who.int"])
    assert not host_allowed("https://evilwho.int/news", ["who.int"])
