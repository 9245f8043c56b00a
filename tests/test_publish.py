"""The published Datasette (issue 7): pages, feeds, queries, metadata, escaping."""

from __future__ import annotations

import asyncio
import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from db import store
from db.connect import open_db
from publish.app import load_metadata, make_datasette
from tests.conftest import add_source, make_item

ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = '<script>alert("x")</script>'


def _label(aid: str, relevant: bool, themes: list[str], country: str | None,
           score: float = 0.9) -> dict[str, Any]:
    return {
        "article_id": aid, "content_sha1": None, "relevant": relevant,
        "relevance_score": score, "themes": themes,
        "theme_scores": {t: 0.8 for t in themes} | {"plan": 0.1},
        "primary_country": country, "countries": [country] if country else [],
        "country_scores": {country: 0.95} if country else {}, "scope": "national",
    }


def build(db: Database, tmp_path: Path) -> dict[str, str]:
    """Five articles in Kenya and Senegal, one with a script in its title and text."""
    add_source(db, "src-a")
    items = [
        make_item(1, published="2020-04-02", title="Private hospitals reserve beds"),
        make_item(2, published="2020-05-10", title="Oxygen from private plants"),
        make_item(3, published="2020-06-01", title=f"Lab tariffs {EVIL}",
                  text=f"Private labs test at a capped price. {EVIL} <b>bold</b>",
                  warc_file="crawl.warc.gz", warc_record_id="<urn:uuid:rec-3>"),
        make_item(4, published="2020-06-03", title="Curfew extended", language="fr"),
        make_item(5, published="2021-01-15", title="Cliniques privées au Sénégal",
                  language="fr", url="javascript:alert(1)"),
    ]
    store.upsert_articles(db, items)
    ids = {r["title"]: r["id"] for r in db.query("SELECT id, title FROM articles")}
    by_n = {n: ids[i["title"]] for n, i in enumerate(items, start=1)}
    store.write_model_labels(db, [
        _label(by_n[1], True, ["space"], "KEN"),
        _label(by_n[2], True, ["stuff"], "KEN", 0.55),
        _label(by_n[3], True, ["financing", "systems"], "KEN"),
        _label(by_n[4], False, [], "KEN", 0.1),
        _label(by_n[5], True, ["space"], "SEN"),
    ], "test-model")
    store.record_review(db, by_n[2], "ana", {"themes": ["stuff", "plan"]}, note="also plan")
    _write_warc(tmp_path / "crawl.warc.gz", "<urn:uuid:rec-3>",
                b"<html><script>x()</script>archived</html>")
    return {str(n): aid for n, aid in by_n.items()}


def _write_warc(path: Path, record_id: str, body: bytes) -> None:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    with open(path, "wb") as f:
        for rid, payload in (("<urn:uuid:other>", b"x"), (record_id, http)):
            head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: {rid}\r\n"
                    "Content-Type: application/http; msgtype=response\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n").encode()
            f.write(gzip.compress(head + payload + b"\r\n\r\n"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    path = tmp_path / "some-file-name.db"
    db = open_db(path)
    ids = build(db, tmp_path)
    db.close()
    yield make_datasette(path), ids


def get(ds: Any, path: str, **kwargs: Any) -> Any:
    return asyncio.run(ds.client.get(path, **kwargs))


def test_database_is_named_newsdesk_whatever_the_file(site: Any) -> None:
    ds, _ = site
    r = get(ds, "/newsdesk/articles.json?_shape=array")
    assert r.status_code == 200
    assert len(r.json()) == 5


def test_articles_table_has_default_facets_and_search(site: Any) -> None:
    ds, _ = site
    data = get(ds, "/newsdesk/articles.json?_search=beds").json()
    assert data["filtered_table_rows_count"] == 1
    facets = data["facet_results"]
    for name in ("primary_country", "who_region", "income_group", "themes", "relevant",
                 "language", "source_type", "year"):
        assert name in facets, name
    assert {r["value"] for r in facets["who_region"]["results"]} == {"AFR"}
    assert not data["suggested_facets"]


def test_search_folds_diacritics(site: Any) -> None:
    ds, _ = site
    data = get(ds, "/newsdesk/articles.json?_search=privees").json()
    assert data["filtered_table_rows_count"] == 1


def test_country_page_groups_newest_first_by_theme(site: Any) -> None:
    ds, ids = site
    r = get(ds, "/country/KEN")
    assert r.status_code == 200
    html = r.text
    assert "Kenya" in html and 'href="/country/KEN.atom"' in html
    # theme sections in codebook order, each newest first
    assert html.index('id="theme-plan"') < html.index('id="theme-space"') \
        < html.index('id="theme-stuff"') < html.index('id="theme-financing"')
    assert f"/article/{ids['2']}" in html
    assert "Curfew extended" not in html  # not relevant
    assert "Cliniques" not in html  # another country
    assert get(ds, "/country/ken").status_code == 302
    assert get(ds, "/country/ZZZ").status_code == 404


def test_article_page_escapes_html_and_shows_labels(site: Any) -> None:
    ds, ids = site
    r = get(ds, f"/article/{ids['3']}")
    assert r.status_code == 200
    assert EVIL not in r.text and "<b>bold</b>" not in r.text
    assert "&lt;script&gt;" in r.text
    assert "0.90" in r.text  # relevance confidence
    assert "Financing" in r.text or "financing" in r.text
    assert f'href="/archive/{ids["3"]}"' in r.text
    assert "http://127.0.0.1/a/3.html" in r.text


def test_article_page_never_links_a_javascript_url(site: Any) -> None:
    ds, ids = site
    r = get(ds, f"/article/{ids['5']}")
    assert r.status_code == 200
    assert 'href="javascript:' not in r.text


def test_table_and_row_pages_escape_article_html(site: Any) -> None:
    ds, ids = site
    for path in ("/newsdesk/articles", f"/newsdesk/articles/{ids['3']}",
                 "/newsdesk/articles?_search=capped"):
        r = get(ds, path)
        assert r.status_code == 200
        assert EVIL not in r.text, path
    table = get(ds, "/newsdesk/articles").text
    assert f'href="/article/{ids["3"]}"' in table  # titles link to the article page
    assert 'href="/country/KEN"' in table


def test_article_page_unknown_id_is_404(site: Any) -> None:
    ds, _ = site
    assert get(ds, "/article/0000000000000000").status_code == 404


def test_archived_copy_is_a_download_from_the_warc(site: Any) -> None:
    ds, ids = site
    r = get(ds, f"/archive/{ids['3']}")
    assert r.status_code == 200
    assert r.content == b"<html><script>x()</script>archived</html>"
    assert r.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in r.headers["content-security-policy"]
    assert get(ds, f"/archive/{ids['1']}").status_code == 404


def test_atom_feeds_parse_and_select(site: Any) -> None:
    ds, ids = site
    r = get(ds, "/country/KEN.atom")
    assert r.status_code == 200 and "atom+xml" in r.headers["content-type"]
    root = ET.fromstring(r.content)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles[0] == f"Lab tariffs {EVIL}"  # newest first; escaped by the XML writer
    assert len(titles) == 3
    r = get(ds, "/feeds/articles.atom?country=KEN,SEN&theme=space")
    root = ET.fromstring(r.content)
    entries = list(root.iter(f"{ATOM}entry"))
    assert len(entries) == 2
    link = entries[0].find(f"{ATOM}link[@rel='alternate']").get("href")
    assert link.startswith("http://localhost/article/")
    assert get(ds, "/feeds/articles.atom?theme=nope").status_code == 400


def test_home_page_has_chart_map_and_country_links(site: Any) -> None:
    ds, _ = site
    r = get(ds, "/")
    assert r.status_code == 200
    assert "<svg" in r.text and 'class="nd-chart"' in r.text and 'class="nd-map"' in r.text
    assert 'href="/country/KEN"' in r.text and 'href="/country/SEN"' in r.text
    assert "polyline" in r.text


def test_canned_queries_answer(site: Any) -> None:
    ds, ids = site
    rows = get(ds, "/newsdesk/items_for_country_and_theme.json?_shape=array"
                   "&country=ken&theme=space").json()
    assert [r["id"] for r in rows] == [ids["1"]]
    rows = get(ds, "/newsdesk/items_for_country_and_theme.json?_shape=array"
                   "&country=KEN&theme=").json()
    assert len(rows) == 3
    rows = get(ds, "/newsdesk/items_in_date_range.json?_shape=array"
                   "&start=2020-05-01&end=2020-06-01").json()
    assert {r["id"] for r in rows} == {ids["2"], ids["3"]}
    matrix = get(ds, "/newsdesk/country_theme_matrix.json?_shape=array").json()
    ken = next(r for r in matrix if r["iso3"] == "KEN")
    assert (ken["items"], ken["space"], ken["stuff"], ken["plan"]) == (3, 1, 1, 1)
    newest = get(ds, "/newsdesk/newest_relevant_items.json?_shape=array").json()
    assert newest[0]["id"] == ids["5"] and len(newest) == 4


def test_review_queue_is_for_curators_only(site: Any) -> None:
    ds, ids = site
    assert get(ds, "/newsdesk/items_awaiting_review.json").status_code == 403
    cookie = ds.sign({"a": {"id": "ana", "role": "curator"}}, "actor")
    r = get(ds, "/newsdesk/items_awaiting_review.json?_shape=array",
            cookies={"ds_actor": cookie})
    assert r.status_code == 200
    assert ids["2"] not in {row["id"] for row in r.json()}  # reviewed by a curator


def test_internal_tables_are_hidden(site: Any) -> None:
    ds, _ = site
    data = get(ds, "/newsdesk.json").json()
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    visible = {t["name"] for t in data["tables"] if not t["hidden"]}
    assert {"_sqlite_migrations", "article_counts", "articles_fts"} <= hidden
    assert {"articles", "countries", "themes", "sources", "labels"} <= visible
    views = {v["name"] for v in data["views"]}
    assert {"country_theme_counts", "theme_month_counts", "crawl_health"} <= views


def test_metadata_describes_every_table_view_and_column(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    shadow = ("_data", "_idx", "_docsize", "_config", "_content")
    tables = [t for t in db.table_names() if not (t.startswith("articles_fts") and
                                                  t.endswith(shadow))]
    described = load_metadata()["databases"]["newsdesk"]["tables"]
    missing = []
    for name in [*tables, *db.view_names()]:
        meta = described.get(name, {})
        if not meta.get("description"):
            missing.append(name)
        columns = [r[1] for r in db.execute(f"PRAGMA table_xinfo([{name}])")
                   if r[6] in (0, 2, 3)]  # normal and generated columns, not FTS hidden ones
        missing += [f"{name}.{c}" for c in columns if not meta.get("columns", {}).get(c)]
    assert not missing, f"datasette-metadata.json lacks descriptions for: {missing}"
    assert not set(described) - set(tables) - set(db.view_names()), "stale entries"


def test_derived_counts_follow_label_changes(db: Database, tmp_path: Path) -> None:
    ids = build(db, tmp_path)
    def ken() -> dict[str, int]:
        return next(r for r in db.query("SELECT * FROM country_theme_counts")
                    if r["iso3"] == "KEN")
    assert ken()["items"] == 3
    store.record_review(db, ids["1"], "ana", {"relevant": False})
    assert ken()["items"] == 2 and ken()["space"] == 0
    db.execute("DELETE FROM articles WHERE id = ?", [ids["3"]])
    assert ken()["financing"] == 0
    expected = {
        (r["primary_country"] or "", r["relevant"]): 0 for r in db.query("SELECT * FROM articles")
    }
    for r in db.query("SELECT primary_country, relevant FROM articles"):
        expected[(r["primary_country"] or "", r["relevant"])] += 1
    got = {(r["primary_country"], r["relevant"]): r["n"] for r in db.query(
        "SELECT primary_country, relevant, sum(n) AS n FROM article_counts WHERE theme = '*' "
        "GROUP BY 1, 2")}
    assert got == expected


def test_generated_facet_columns(db: Database, tmp_path: Path) -> None:
    ids = build(db, tmp_path)
    row = db.execute("SELECT year, who_region, income_group FROM articles WHERE id = ?",
                     [ids["5"]]).fetchone()
    assert row == ("2021", "AFR", "lower-middle")


def test_metadata_file_is_valid_json_with_licence() -> None:
    meta = load_metadata()
    assert meta["license"] == "ODbL-1.0"
    assert json.dumps(meta)


def _facet_counts(data: dict[str, Any], name: str) -> dict[Any, int]:
    return {r["value"]: r["count"] for r in data["facet_results"][name]["results"]}


def test_search_facets_match_counts_on_articles(site: Any) -> None:
    ds, _ = site
    data = get(ds, "/newsdesk/articles.json?_search=private").json()
    assert data["filtered_table_rows_count"] == 5
    assert _facet_counts(data, "primary_country") == {"KEN": 4, "SEN": 1}
    assert _facet_counts(data, "language") == {"en": 3, "fr": 2}
    assert _facet_counts(data, "themes") == {"space": 2, "stuff": 1, "plan": 1,
                                             "financing": 1, "systems": 1}
    assert _facet_counts(data, "relevant") == {1: 4, 0: 1}
    assert _facet_counts(data, "year") == {"2020": 4, "2021": 1}


def test_filter_on_a_column_the_narrow_copy_lacks_falls_back(site: Any) -> None:
    ds, _ = site
    data = get(ds, "/newsdesk/articles.json?_search=private&title__contains=Lab").json()
    assert data["filtered_table_rows_count"] == 1
    assert _facet_counts(data, "primary_country") == {"KEN": 1}
    assert _facet_counts(data, "themes") == {"financing": 1, "systems": 1}


def test_search_above_the_cap_covers_the_newest_and_says_so(
    site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publish import search

    ds, ids = site
    monkeypatch.setattr(search, "SEARCH_CAP", 2)
    data = get(ds, "/newsdesk/articles.json?_search=private&_shape=objects").json()
    assert data["filtered_table_rows_count"] == 2
    assert {r["id"] for r in data["rows"]} == {ids["4"], ids["5"]}  # collected last
    assert "5 items" in data["human_description_en"]
    assert sum(_facet_counts(data, "language").values()) == 2
    html = get(ds, "/newsdesk/articles?_search=private").text
    assert "collected most recently" in html


def test_bad_raw_search_is_a_clear_400(site: Any) -> None:
    ds, _ = site
    r = get(ds, "/newsdesk/articles.json?_search=%22unbalanced&_searchmode=raw")
    assert r.status_code == 400


def test_narrow_copy_follows_articles(db: Database, tmp_path: Path) -> None:
    ids = build(db, tmp_path)
    columns = "id, published, language, relevant, primary_country, themes, year, who_region"
    def same() -> bool:
        return (list(db.query(f"SELECT {columns} FROM articles ORDER BY rowid"))
                == list(db.query(f"SELECT {columns} FROM article_facets ORDER BY article_rowid")))
    assert same()
    store.record_review(db, ids["1"], "ana", {"primary_country": "SEN"})
    db.execute("UPDATE articles SET language = 'pt' WHERE id = ?", [ids["2"]])
    db.execute("DELETE FROM articles WHERE id = ?", [ids["3"]])
    assert same()


def test_country_page_lists_relevant_items_without_a_theme(db: Database, tmp_path: Path) -> None:
    ids = build(db, tmp_path)
    store.record_review(db, ids["1"], "ana", {"themes": []})
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])
    assert db.execute("SELECT sum(n) FROM article_counts WHERE primary_country = 'KEN' "
                      "AND relevant = 1 AND theme = ''").fetchone()[0] == 1
    html = get(make_datasette(path), "/country/KEN").text
    section = html[html.index('id="theme-none"'):]
    assert f"/article/{ids['1']}" in section
    assert 'id="theme-space"' not in html  # its only space item lost the theme
