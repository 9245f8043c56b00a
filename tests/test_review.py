"""Curator review (issue 8): login, the uncertainty queue, decisions, validation, audit."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from db import queries, store
from db.connect import open_db
from publish.app import make_datasette
from publish.auth import hash_password
from tests.conftest import add_source, make_item

PASSWORD = "correct horse battery"
EVIL = '<script>alert("x")</script>'
# the model's decision thresholds: stuff is decided at 0.6, everything else at 0.5
THRESHOLDS = {"relevant": 0.5, "stuff": 0.6}


def _label(aid: str, relevant: bool, score: float, themes: dict[str, float],
           country: str | None) -> dict[str, Any]:
    return {
        "article_id": aid, "content_sha1": None, "relevant": relevant,
        "relevance_score": score,
        "themes": [t for t, p in themes.items() if p >= THRESHOLDS.get(t, 0.5)] if relevant
        else [],
        "theme_scores": themes, "primary_country": country,
        "countries": [country] if country else [],
        "country_scores": {country: 0.9} if country else {}, "scope": "national",
    }


def build(db: Database) -> dict[str, str]:
    """Articles A-F; the queue's order by margin is D (0.01), B (0.02), C (0.15), E (0.2),
    A (0.4); F has a curator decision and is not in the queue."""
    add_source(db, "src-a")
    add_source(db, "src-b")
    items = {
        "A": make_item(1, title=f"Private hospitals in Kenya {EVIL}",
                       text=f"The Ministry in Nairobi signed with private hospitals in Kenya. "
                            f"{EVIL} <b>beds</b>"),
        "B": make_item(2, title="Oxygen from private plants"),
        "C": make_item(3, title="Curfew extended"),
        "D": make_item(4, title="Masks made by private firms", source_id="src-b"),
        "E": make_item(5, title="Cliniques privées au Sénégal", language="fr",
                       text="Les cliniques privées du Sénégal accueillent les malades."),
        "F": make_item(6, title="Already reviewed"),
    }
    store.upsert_articles(db, items.values())
    ids = {k: db.execute("SELECT id FROM articles WHERE title = ?", [v["title"]]).fetchone()[0]
           for k, v in items.items()}
    store.register_model(db, "test-model", "relevance-themes", None,
                         {"thresholds": THRESHOLDS})
    store.write_model_labels(db, [
        _label(ids["A"], True, 0.95, {"space": 0.9, "plan": 0.05}, "KEN"),
        _label(ids["B"], True, 0.52, {"stuff": 0.9, "plan": 0.05}, "KEN"),
        _label(ids["C"], False, 0.35, {"space": 0.49}, "KEN"),
        _label(ids["D"], True, 0.9, {"stuff": 0.61, "plan": 0.05}, "KEN"),
        _label(ids["E"], True, 0.75, {"space": 0.7, "plan": 0.1}, "SEN"),
        _label(ids["F"], True, 0.5, {"space": 0.5}, "KEN"),
    ], "test-model")
    store.record_review(db, ids["F"], "bea", {"relevant": True}, note="fine")
    store.set_curator(db, "ana", hash_password(PASSWORD))
    return ids


def get(ds: Any, path: str, **kwargs: Any) -> Any:
    return asyncio.run(ds.client.get(path, **kwargs))


def post(ds: Any, path: str, **kwargs: Any) -> Any:
    return asyncio.run(ds.client.post(path, **kwargs))


def csrf(ds: Any, cookies: dict[str, str] | None = None) -> tuple[str, str]:
    """(cookie, form token) of Datasette's CSRF protection, from the login page."""
    r = get(ds, "/-/login", cookies=cookies)
    token = re.search(r'name="csrftoken" value="([^"]+)"', r.text).group(1)
    return r.cookies.get("ds_csrftoken") or (cookies or {})["ds_csrftoken"], token


def login(ds: Any, name: str = "ana", password: str = PASSWORD) -> dict[str, str]:
    """Log in through the form; the cookies of the curator's session."""
    cookie, token = csrf(ds)
    r = post(ds, "/-/login", data={"username": name, "password": password,
                                   "csrftoken": token},
             cookies={"ds_csrftoken": cookie})
    assert r.status_code == 302, r.text
    return {"ds_actor": r.cookies["ds_actor"], "ds_csrftoken": cookie}


def form_token(html: str) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str], Path]]:
    path = tmp_path / "review.db"
    db = open_db(path)
    ids = build(db)
    db.close()
    yield make_datasette(path), ids, path


def reviews(path: Path, aid: str) -> list[dict[str, Any]]:
    db = Database(path)
    try:
        return list(db.query("SELECT * FROM reviews WHERE article_id = ? ORDER BY id", [aid]))
    finally:
        db.close()


def row(path: Path, aid: str) -> dict[str, Any]:
    db = Database(path)
    try:
        return next(db.query("SELECT * FROM articles WHERE id = ?", [aid]))
    finally:
        db.close()


def decide(ds: Any, cookies: dict[str, str], aid: str, data: dict[str, Any],
           query: str = "") -> Any:
    """POST a decision as the review form does (with its CSRF and review tokens)."""
    page = get(ds, f"/review/{aid}{query}", cookies=cookies)
    assert page.status_code == 200, page.text
    token = re.search(r'name="review_token" value="(\d+)"', page.text).group(1)
    return post(ds, f"/review/{aid}{query}", cookies=cookies,
                data={"csrftoken": form_token(page.text), "review_token": token, **data})


# -- login ------------------------------------------------------------------------------------


def test_login_sets_a_signed_expiring_curator_cookie(site: Any) -> None:
    ds, _, _ = site
    cookie, token = csrf(ds)
    r = post(ds, "/-/login", cookies={"ds_csrftoken": cookie},
             data={"username": "ana", "password": PASSWORD, "csrftoken": token})
    assert r.status_code == 302 and r.headers["location"] == "/review"
    signed = ds.unsign(r.cookies["ds_actor"], "actor")
    assert signed["a"] == {"id": "ana", "role": "curator"} and signed["e"]
    assert "httponly" in r.headers["set-cookie"].lower()
    assert get(ds, "/review", cookies={"ds_actor": r.cookies["ds_actor"]}).status_code == 200


@pytest.mark.parametrize("name,password", [("ana", "wrong password"), ("zed", PASSWORD)])
def test_wrong_password_or_unknown_curator_gets_no_session(site: Any, name: str,
                                                           password: str) -> None:
    ds, _, _ = site
    cookie, token = csrf(ds)
    r = post(ds, "/-/login", cookies={"ds_csrftoken": cookie},
             data={"username": name, "password": password, "csrftoken": token})
    assert r.status_code == 401
    assert "Wrong curator name or password" in r.text
    assert "ds_actor" not in r.cookies


def test_login_without_csrf_token_is_refused(site: Any) -> None:
    ds, _, _ = site
    form = {"username": "ana", "password": PASSWORD}
    # no cookie at all (which asgi-csrf lets through), then a cookie but no token
    assert post(ds, "/-/login", data=form).status_code == 403
    cookie, _ = csrf(ds)
    r = post(ds, "/-/login", data=form, cookies={"ds_csrftoken": cookie})
    assert r.status_code == 403 and "ds_actor" not in r.cookies


def test_login_redirects_only_to_local_paths(site: Any) -> None:
    ds, ids, _ = site
    cookie, token = csrf(ds)
    for target, expected in [(f"/review/{ids['A']}", f"/review/{ids['A']}"),
                             ("https://evil.example/", "/review"),
                             ("//evil.example/", "/review")]:
        r = post(ds, "/-/login", cookies={"ds_csrftoken": cookie},
                 data={"username": "ana", "password": PASSWORD, "csrftoken": token,
                       "next": target})
        assert r.headers["location"] == expected


def test_repeated_failures_lock_the_account_for_a_while(site: Any) -> None:
    ds, _, _ = site
    cookie, token = csrf(ds)
    for _ in range(5):
        post(ds, "/-/login", cookies={"ds_csrftoken": cookie},
             data={"username": "ana", "password": "guess-guess", "csrftoken": token})
    r = post(ds, "/-/login", cookies={"ds_csrftoken": cookie},
             data={"username": "ana", "password": PASSWORD, "csrftoken": token})
    assert r.status_code == 429 and "ds_actor" not in r.cookies


def test_logout_ends_the_session(site: Any) -> None:
    ds, _, _ = site
    cookies = login(ds)
    r = post(ds, "/-/logout", cookies=cookies,
             data={"csrftoken": form_token(get(ds, "/-/logout", cookies=cookies).text)})
    assert r.status_code == 302
    assert 'ds_actor=""' in r.headers["set-cookie"] or "ds_actor=;" in r.headers["set-cookie"]


# -- who may review ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(site: Any) -> None:
    ds, ids, _ = site
    for path in ("/review", f"/review/{ids['A']}?country=KEN"):
        r = get(ds, path)
        assert r.status_code == 302
        assert r.headers["location"].startswith("/-/login?next=%2Freview")


def test_anonymous_and_researcher_posts_are_refused(site: Any) -> None:
    ds, ids, path = site
    researcher = {"ds_actor": ds.sign({"a": {"id": "rita", "role": "researcher"}}, "actor")}
    form = {"action": "not_relevant"}
    assert post(ds, f"/review/{ids['A']}", data=form).status_code == 403
    cookie, token = csrf(ds)
    r = post(ds, f"/review/{ids['A']}", data={**form, "csrftoken": token},
             cookies={**researcher, "ds_csrftoken": cookie})
    assert r.status_code == 403
    assert get(ds, "/review", cookies=researcher).status_code == 403
    assert reviews(path, ids["A"]) == []


def test_post_without_csrf_token_is_refused(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    r = post(ds, f"/review/{ids['A']}", cookies=cookies, data={"action": "not_relevant"})
    assert r.status_code == 403
    assert reviews(path, ids["A"]) == []


def test_removed_curator_loses_access_at_once(site: Any) -> None:
    ds, _, path = site
    cookies = login(ds)
    db = Database(path)
    store.remove_curator(db, "ana")
    db.close()
    assert get(ds, "/review", cookies=cookies).status_code == 403


def test_menu_offers_login_or_the_queue(site: Any) -> None:
    ds, _, _ = site
    assert 'href="/-/login"' in get(ds, "/").text
    assert 'href="/review"' in get(ds, "/", cookies=login(ds)).text


# -- the queue --------------------------------------------------------------------------------


def queue_ids(html: str) -> list[str]:
    return re.findall(r'<td><a href="/review/([0-9a-f]{16})', html)


def test_queue_puts_the_most_uncertain_first(site: Any) -> None:
    ds, ids, _ = site
    html = get(ds, "/review", cookies=login(ds)).text
    # D's stuff probability 0.61 is 0.01 from its 0.6 threshold; F has a curator decision
    assert queue_ids(html) == [ids[k] for k in "DBCEA"]
    assert "<strong>5</strong> items awaiting review" in html


@pytest.mark.parametrize("query,expected", [
    ("country=SEN", "E"), ("country=sen", "E"), ("theme=stuff", "DB"), ("language=fr", "E"),
    ("source=src-b", "D"), ("country=KEN&theme=space", "A"),
])
def test_queue_filters(site: Any, query: str, expected: str) -> None:
    ds, ids, _ = site
    html = get(ds, f"/review?{query}", cookies=login(ds)).text
    assert queue_ids(html) == [ids[k] for k in expected]


@pytest.mark.parametrize("query", ["theme=vaccines", "country=XYZ", "source=nope",
                                   "language=French!", "page=x"])
def test_unknown_queue_filter_is_a_clear_400(site: Any, query: str) -> None:
    ds, _, _ = site
    r = get(ds, f"/review?{query}", cookies=login(ds))
    assert r.status_code == 400


# -- the review screen ------------------------------------------------------------------------


def test_review_screen_shows_labels_confidence_and_escaped_evidence(site: Any) -> None:
    ds, ids, _ = site
    html = get(ds, f"/review/{ids['A']}", cookies=login(ds)).text
    assert EVIL not in html and "&lt;script&gt;alert(" in html and "&lt;b&gt;beds" in html
    assert '<mark class="nd-ev nd-ev-country" title="KEN (name)">Kenya</mark>' in html
    assert '<mark class="nd-ev nd-ev-country" title="KEN (name)">Nairobi</mark>' in html
    assert "p = 0.95 (threshold 0.50)" in html  # relevance
    assert "p = 0.90 (threshold 0.50)" in html  # space
    assert 'name="themes" value="space" id="nd-theme-2" checked' in html
    assert '<option value="KEN" selected>' in html
    for button in ("accept", "not_relevant", "next", "save"):
        assert f'value="{button}"' in html
    assert f'href="/archive/{ids["A"]}"' not in html  # no WARC record for this one


def test_review_screen_uses_an_evidence_provider(site: Any) -> None:
    from publish.review_evidence import classifier_evidence, use_evidence

    class Tagger:
        def tag(self, text: str, **_: Any) -> Any:
            start = text.index("Nairobi")
            mention = type("M", (), {"start": start, "end": start + 7, "iso3": "KEN",
                                     "text": "Nairobi", "kind": "capital"})
            title = type("M", (), {"start": -1, "end": -1, "iso3": "KEN",
                                   "text": "Kenya", "kind": "name"})
            return type("R", (), {"mentions": [mention, title]})

    class Model:
        def explain(self, document: str) -> dict[str, list[tuple[str, float]]]:
            return {"relevant": [("private hospitals", 1.3), ("curfew", -0.4)],
                    "space": [{"term": "beds", "weight": 0.7}]}

    ds, ids, _ = site
    use_evidence(ds, classifier_evidence(Tagger(), Model()))
    html = get(ds, f"/review/{ids['A']}", cookies=login(ds)).text
    assert '<mark class="nd-ev nd-ev-country" title="KEN (capital)">Nairobi</mark>' in html
    assert '<mark class="nd-ev nd-ev-term" title="relevant +1.30">private hospitals</mark>' in html
    assert '<mark class="nd-ev nd-ev-term" title="space +0.70">beds</mark>' in html
    assert "private hospitals (+1.30), curfew (-0.40)" in html
    assert "KEN from the name" in html


def test_unknown_article_is_404(site: Any) -> None:
    ds, _, _ = site
    cookies = login(ds)
    assert get(ds, "/review/0123456789abcdef", cookies=cookies).status_code == 404
    cookie = cookies["ds_csrftoken"]
    r = post(ds, "/review/0123456789abcdef", cookies=cookies,
             data={"csrftoken": cookie, "action": "not_relevant"})
    assert r.status_code == 404 and "No article with id" in r.text


# -- decisions --------------------------------------------------------------------------------


def test_save_records_corrections_and_updates_effective_labels(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    r = decide(ds, cookies, ids["B"], {"action": "save", "relevant": "1",
                                       "themes": ["stuff", "financing"],
                                       "primary_country": "uga", "countries": ["KEN", "TZA, RWA"],
                                       "note": "Uganda's ministry, not Kenya's"})
    assert r.status_code == 302
    assert r.headers["location"] == f"/review/{ids['C']}"  # B was second: C comes next
    after = row(path, ids["B"])
    assert after["labelled_by"] == "curator"
    assert json.loads(after["themes"]) == ["financing", "stuff"]
    assert after["primary_country"] == "UGA"
    assert json.loads(after["countries"]) == ["UGA", "KEN", "TZA", "RWA"]
    assert after["scope"] == "national"
    (review,) = reviews(path, ids["B"])
    assert review["curator"] == "ana" and review["note"] == "Uganda's ministry, not Kenya's"
    assert json.loads(review["before"])["primary_country"] == "KEN"
    assert json.loads(review["after"])["primary_country"] == "UGA"
    # published at once, and the item has left the queue
    data = get(ds, f"/newsdesk/articles/{ids['B']}.json?_shape=objects").json()
    assert data["rows"][0]["primary_country"] == "UGA"
    assert ids["B"] not in queue_ids(get(ds, "/review", cookies=cookies).text)
    # a later model run changes nothing a curator decided
    db = Database(path)
    store.write_model_labels(db, [_label(ids["B"], False, 0.1, {}, "KEN")], "model-2")
    db.close()
    assert row(path, ids["B"])["primary_country"] == "UGA"
    assert row(path, ids["B"])["relevant"] == 1


def test_accept_all_records_the_labels_as_they_stand(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    before = row(path, ids["D"])
    r = decide(ds, cookies, ids["D"], {"action": "accept", "themes": ["plan"]})
    assert r.status_code == 302 and r.headers["location"] == f"/review/{ids['B']}"
    after = row(path, ids["D"])
    assert after["labelled_by"] == "curator"
    assert (after["themes"], after["primary_country"]) == (before["themes"], "KEN")
    db = Database(path)
    fields = {r["field"] for r in db.query(
        "SELECT field FROM labels WHERE article_id = ? AND origin = 'curator' "
        "AND curator = 'ana'", [ids["D"]])}
    db.close()
    assert fields == {"relevant", "themes", "primary_country", "countries", "scope"}


def test_not_relevant_clears_the_themes(site: Any) -> None:
    ds, ids, path = site
    r = decide(ds, login(ds), ids["A"], {"action": "not_relevant", "note": "an op-ed"})
    assert r.status_code == 302
    after = row(path, ids["A"])
    assert (after["relevant"], after["themes"], after["labelled_by"]) == (0, "[]", "curator")
    assert reviews(path, ids["A"])[0]["note"] == "an op-ed"


def test_next_skips_without_recording_and_keeps_filters(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    r = decide(ds, cookies, ids["D"], {"action": "next"}, query="?country=KEN")
    assert r.headers["location"] == f"/review/{ids['B']}?country=KEN"
    assert reviews(path, ids["D"]) == []
    # the last item of the queue wraps round to its first
    r = decide(ds, cookies, ids["A"], {"action": "next"})
    assert r.headers["location"] == f"/review/{ids['D']}"


@pytest.mark.parametrize("data,message", [
    ({"relevant": "1", "themes": ["space", "vaccines"]}, "Unknown theme(s): vaccines"),
    ({"relevant": "1", "primary_country": "XYZ"}, "Unknown country code(s): XYZ"),
    ({"relevant": "1", "countries": ["KEN", "Kenya"]}, "Unknown country code(s): KENYA"),
    ({"relevant": "0", "themes": ["space"]}, "A non-relevant item has no theme"),
    ({"relevant": "maybe"}, "relevant must be 1 (yes) or 0 (no)"),
    ({"action": "delete"}, "Unknown action"),
])
def test_invalid_decisions_are_clear_400s(site: Any, data: dict[str, Any], message: str
                                          ) -> None:
    ds, ids, path = site
    r = decide(ds, login(ds), ids["A"], {"action": "save", **data})
    assert r.status_code == 400
    assert message in r.text
    assert reviews(path, ids["A"]) == []


def test_double_submit_records_once(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    page = get(ds, f"/review/{ids['C']}", cookies=cookies).text
    token = re.search(r'name="review_token" value="(\d+)"', page).group(1)
    form = {"csrftoken": form_token(page), "review_token": token, "action": "save",
            "relevant": "1", "themes": ["space"], "primary_country": "KEN"}
    first = post(ds, f"/review/{ids['C']}", cookies=cookies, data=form)
    second = post(ds, f"/review/{ids['C']}", cookies=cookies, data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["location"] == second.headers["location"]
    assert len(reviews(path, ids["C"])) == 1
    # the same without a review token (a script): recorded once as well
    bare = {k: v for k, v in form.items() if k != "review_token"}
    post(ds, f"/review/{ids['C']}", cookies=cookies, data=bare)
    assert len(reviews(path, ids["C"])) == 1


def test_stale_form_with_another_decision_is_a_conflict(site: Any) -> None:
    ds, ids, path = site
    cookies = login(ds)
    page = get(ds, f"/review/{ids['E']}", cookies=cookies).text
    stale = {"csrftoken": form_token(page),
             "review_token": re.search(r'name="review_token" value="(\d+)"', page).group(1)}
    db = Database(path)
    store.record_review(db, ids["E"], "bea", {"relevant": False}, note="not about engagement")
    db.close()
    r = post(ds, f"/review/{ids['E']}", cookies=cookies,
             data={**stale, "action": "save", "relevant": "1", "themes": ["space"]})
    assert r.status_code == 409 and "bea reviewed this item" in r.text
    assert len(reviews(path, ids["E"])) == 1


# -- the accounts table stays secret ------------------------------------------------------------


def test_password_hashes_cannot_be_read_through_datasette(site: Any) -> None:
    ds, _, _ = site
    for sql in ("select name, password_hash from curators",
                "select group_concat(password_hash) as h from (select * from curators)"):
        data = get(ds, "/newsdesk.json", params={"sql": sql, "_shape": "array"}).json()
        assert all(v is None for r in data for k, v in r.items() if k != "name"), data
    assert get(ds, "/newsdesk/curators").status_code == 403
    assert get(ds, "/newsdesk/curators.json").status_code == 403


# -- margins follow every label write --------------------------------------------------------


def margins(db: Database, ids: dict[str, str]) -> dict[str, float | None]:
    rows = dict(db.execute("SELECT a.id, m.margin FROM articles a "
                           "JOIN review_margins m ON m.article_rowid = a.rowid").fetchall())
    return {k: None if rows[v] is None else round(rows[v], 4) for k, v in ids.items()}


def test_margins_follow_labels_reviews_and_thresholds(db: Database) -> None:
    ids = build(db)
    assert margins(db, ids) == {"A": 0.4, "B": 0.02, "C": 0.15, "D": 0.01, "E": 0.2,
                                "F": None}
    store.record_review(db, ids["D"], "ana", {"relevant": True})
    assert margins(db, ids)["D"] is None  # a curator decided: out of the queue for good
    store.write_model_labels(db, [_label(ids["D"], True, 0.5, {}, "KEN")], "test-model")
    assert margins(db, ids)["D"] is None
    # new thresholds for the model recompute its items' margins
    store.register_model(db, "test-model", "relevance-themes", None,
                         {"thresholds": {"relevant": 0.9, "stuff": 0.6}})
    assert margins(db, ids)["A"] == 0.05 and margins(db, ids)["B"] == 0.3
    # an item the model relabels moves in the queue
    store.write_model_labels(db, [_label(ids["C"], False, 0.89, {}, "KEN")], "test-model")
    assert margins(db, ids)["C"] == 0.01
    assert [r["id"] for r in queries.review_queue(db)][:2] == \
        [ids["C"], ids["A"]]


def test_queue_of_a_model_registered_after_its_labels(tmp_path: Path) -> None:
    db = open_db(tmp_path / "late.db")
    add_source(db)
    store.upsert_articles(db, [make_item(1)])
    aid = db.execute("SELECT id FROM articles").fetchone()[0]
    store.write_model_labels(db, [_label(aid, True, 0.7, {"space": 0.65}, "KEN")], "late")
    assert margins(db, {"x": aid}) == {"x": 0.15}  # 0.5 thresholds until the model says
    store.register_model(db, "late", "relevance-themes", None,
                         {"thresholds": {"relevant": 0.6, "space": 0.62}})
    assert margins(db, {"x": aid}) == {"x": 0.03}
