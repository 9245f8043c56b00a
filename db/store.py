"""Every write to the newsdesk database goes through this module.

Writes are idempotent: loading the same items or labels twice changes nothing the second
time. Curator labels are never overwritten: the effective label of a field is the latest
curator label if one exists, else the latest model label (DESIGN §4.2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from db.ids import article_id, text_sha1
from db.queries import INTERRUPTED

# Columns an Article item (DESIGN §4.1) fills; a re-load compares these to decide "changed".
ARTICLE_COLUMNS = (
    "url",
    "canonical_url",
    "source_id",
    "http_status",
    "content_type",
    "title",
    "text",
    "published",
    "published_from",
    "authors",
    "language",
    "kind",
    "source_type",
    "source_country",
    "content_sha1",
    "warc_file",
    "warc_record_id",
)
LABEL_FIELDS = ("relevant", "themes", "primary_country", "countries", "scope")
BATCH = 500


def now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock before anything else; nested: a savepoint.

    sqlite-utils' `atomic()` begins a deferred transaction: one that reads before it writes
    fails at once with "database is locked" when another process commits in between
    (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not cover). BEGIN IMMEDIATE waits for
    the lock within the busy timeout instead, and what the transaction reads stays current.
    """
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint inside the caller's transaction
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def _chunks(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


# -- sources and crawl runs ---------------------------------------------------------------


def upsert_sources(db: Database, sources: Iterable[dict[str, Any]]) -> int:
    """Insert or update registry entries (id, name, country, source_type, language, config)."""
    count = 0
    stamp = now()
    with write_transaction(db):
        for s in sources:
            config = json.dumps(s.get("config", {}), sort_keys=True, ensure_ascii=False)
            db.execute(
                """
                INSERT INTO sources (id, name, country, source_type, language, config,
                                     first_seen_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name, country = excluded.country,
                    source_type = excluded.source_type, language = excluded.language,
                    config = excluded.config, updated_at = excluded.updated_at
                WHERE sources.config IS NOT excluded.config OR sources.name IS NOT excluded.name
                """,
                [s["id"], s["name"], s.get("country"), s["source_type"], s.get("language"),
                 config, stamp, stamp],
            )
            count += 1
    return count


def start_run(
    db: Database, batch: str, source_id: str, *, started_at: str | None = None,
    flow_run_id: str | None = None,
) -> int:
    """Create (or find, when the same batch is loaded again) the crawl_runs row of a source."""
    with write_transaction(db):
        db.execute(
            """
            INSERT INTO crawl_runs (batch, source_id, started_at, status, flow_run_id)
            VALUES (?, ?, ?, 'running', ?)
            ON CONFLICT (batch, source_id) DO NOTHING
            """,
            [batch, source_id, started_at or now(), flow_run_id],
        )
    row = db.execute(
        "SELECT id FROM crawl_runs WHERE batch = ? AND source_id = ?", [batch, source_id]
    ).fetchone()
    return int(row[0])


def finish_run(
    db: Database, run_id: int, *, status: str, pages: int, items: int, errors: int,
    new_items: int = 0, finished_at: str | None = None, detail: str | None = None,
) -> None:
    """Close a crawl_runs row with its counts.

    `new_items` adds to the run's count; `upsert_articles(..., run_id=)` has already counted
    the articles it stored, in the same transactions, so a load killed half-way and run again
    still counts each new article once.
    """
    with write_transaction(db):
        db.execute(
            """
            -- new_items adds up: loading the same batch again finds nothing new
            UPDATE crawl_runs SET status = ?, pages = ?, items = ?,
                new_items = new_items + ?, errors = ?, finished_at = ?, detail = ?
            WHERE id = ?
            """,
            [status, pages, items, new_items, errors, finished_at or now(), detail, run_id],
        )


def close_interrupted_runs(db: Database) -> int:
    """Mark runs still 'running' as failed: call it holding the run lock, when none can be live.

    A crawl or a load killed half-way leaves its row 'running'; the source's health would show
    it as running for ever. What the run stored stays; its URLs to retry come from the last
    run that finished (db.queries.crawl_state skips interrupted runs).
    """
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE crawl_runs SET status = 'failed', finished_at = ?, detail = ? "
            "WHERE status = 'running'",
            [now(), INTERRUPTED],
        )
    return cursor.rowcount


def record_errors(db: Database, run_id: int, errors: Iterable[dict[str, Any]]) -> int:
    """Record per-URL crawl errors (keys: url, kind, detail, at); repeated ones are ignored."""
    rows = [
        [run_id, e["url"], e["kind"], e.get("detail"), e.get("at") or now()] for e in errors
    ]
    with write_transaction(db):
        for batch in _chunks(rows):
            db.conn.executemany(
                """
                INSERT INTO crawl_errors (run_id, url, kind, detail, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (run_id, url, kind) DO NOTHING
                """,
                batch,
            )
    return len(rows)


# -- articles -----------------------------------------------------------------------------


@dataclass
class UpsertCounts:
    """What an upsert did."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    new_by_source: dict[str, int] | None = None


def _article_row(item: dict[str, Any]) -> dict[str, Any]:
    canonical = item.get("canonical_url") or item["url"]
    text = item.get("text") or ""
    row = {c: item.get(c) for c in ARTICLE_COLUMNS}
    row["canonical_url"] = canonical
    row["authors"] = json.dumps(item.get("authors") or [], ensure_ascii=False)
    row["content_sha1"] = item.get("content_sha1") or (text_sha1(text) if text else None)
    row["id"] = article_id(canonical)
    row["fetched_at"] = item.get("fetched_at") or now()
    return row


def upsert_articles(
    db: Database, items: Iterable[dict[str, Any]], *, run_id: int | None = None
) -> UpsertCounts:
    """Insert new articles and update changed ones, keyed by the id of the canonical URL.

    A re-load of identical items writes nothing. Labels and first_seen_at survive updates.
    An article whose text is identical to an earlier one gets `duplicate_of` set. With
    `run_id`, each batch adds its new articles to that crawl run's `new_items` in the batch's
    own transaction.
    """
    counts = UpsertCounts(new_by_source={})
    assert counts.new_by_source is not None
    for batch in _chunks(items):
        rows: dict[str, dict[str, Any]] = {}
        for item in batch:
            row = _article_row(item)
            rows[row["id"]] = row  # the last copy of an id within a batch wins
        ids = list(rows)
        new_before = counts.new
        with write_transaction(db):
            existing = {
                r["id"]: r
                for r in db.query(
                    f"SELECT id, {', '.join(ARTICLE_COLUMNS)} FROM articles "
                    f"WHERE id IN ({_placeholders(ids)})",
                    ids,
                )
            }
            for aid, row in rows.items():
                old = existing.get(aid)
                if old is None:
                    row["first_seen_at"] = row["fetched_at"]
                    row["duplicate_of"] = _first_with_sha1(db, row["content_sha1"], aid)
                    cols = list(row)
                    db.execute(
                        f"INSERT INTO articles ({', '.join(cols)}) "
                        f"VALUES ({_placeholders(cols)})",
                        [row[c] for c in cols],
                    )
                    counts.new += 1
                    src = row["source_id"]
                    counts.new_by_source[src] = counts.new_by_source.get(src, 0) + 1
                elif any(old[c] != row[c] for c in ARTICLE_COLUMNS):
                    cols = [*ARTICLE_COLUMNS, "fetched_at", "duplicate_of"]
                    row["duplicate_of"] = _first_with_sha1(db, row["content_sha1"], aid)
                    db.execute(
                        f"UPDATE articles SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                        [row[c] for c in cols] + [aid],
                    )
                    counts.changed += 1
                else:
                    counts.unchanged += 1
            if run_id is not None and counts.new > new_before:
                db.execute("UPDATE crawl_runs SET new_items = new_items + ? WHERE id = ?",
                           [counts.new - new_before, run_id])
    return counts


def _first_with_sha1(db: Database, sha1: str | None, aid: str) -> str | None:
    if not sha1:
        return None
    row = db.execute(
        "SELECT id FROM articles WHERE content_sha1 = ? AND id != ? AND duplicate_of IS NULL "
        "ORDER BY first_seen_at, id LIMIT 1",
        [sha1, aid],
    ).fetchone()
    return row[0] if row else None


# -- labels -------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _latest_labels(
    db: Database, ids: Sequence[str], origin: str | None = None
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Latest label per (article, field, origin)."""
    where = f"article_id IN ({_placeholders(ids)})"
    params: list[Any] = list(ids)
    if origin:
        where += " AND origin = ?"
        params.append(origin)
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in db.query(f"SELECT * FROM labels WHERE {where} ORDER BY id", params):
        latest[(r["article_id"], r["field"], r["origin"])] = r
    return latest


def write_model_labels(
    db: Database, results: Iterable[dict[str, Any]], model_version: str
) -> int:
    """Store model labels for articles and refresh their effective labels.

    Each result has `article_id`, `content_sha1` and the `tag` output fields (relevant,
    relevance_score, themes, theme_scores, primary_country, countries, scope, country_scores).
    A label identical to the article's latest model label is not written again.
    """
    written = 0
    stamp = now()
    for batch in _chunks(results):
        ids = [r["article_id"] for r in batch]
        with write_transaction(db):
            latest = _latest_labels(db, ids, origin="model")
            for r in batch:
                aid = r["article_id"]
                fields = {
                    "relevant": (bool(r["relevant"]), r.get("relevance_score"), None),
                    "themes": (sorted(r.get("themes") or []), None, r.get("theme_scores")),
                    "primary_country": (r.get("primary_country"), None, None),
                    "countries": (list(r.get("countries") or []), None,
                                  r.get("country_scores")),
                    "scope": (r.get("scope"), None, None),
                }
                for field, (value, score, detail) in fields.items():
                    score = None if score is None else round(float(score), 4)
                    detail_json = None if detail is None else _dump(detail)
                    old = latest.get((aid, field, "model"))
                    if (old is not None and old["value"] == _dump(value)
                            and old["score"] == score and old["detail"] == detail_json):
                        continue
                    db.execute(
                        "INSERT INTO labels (article_id, field, value, score, detail, origin, "
                        "model_version, created_at) VALUES (?, ?, ?, ?, ?, 'model', ?, ?)",
                        [aid, field, _dump(value), score, detail_json, model_version, stamp],
                    )
                    written += 1
                db.execute(
                    "UPDATE articles SET classified_sha1 = ?, model_version = ? WHERE id = ?",
                    [r.get("content_sha1"), model_version, aid],
                )
            refresh_effective_labels(db, ids)
    return written


def record_review(
    db: Database, article: str, curator: str, decision: dict[str, Any], note: str | None = None
) -> None:
    """Store a curator's decision (any of LABEL_FIELDS) and its audit row in one transaction."""
    unknown = set(decision) - set(LABEL_FIELDS)
    if unknown:
        raise ValueError(f"unknown label field(s): {', '.join(sorted(unknown))}")
    stamp = now()
    with write_transaction(db):
        before = effective_labels(db, article)
        for field, value in decision.items():
            if field == "relevant":
                value = bool(value)
            elif field in ("themes", "countries"):
                value = sorted(value) if field == "themes" else list(value)
            db.execute(
                "INSERT INTO labels (article_id, field, value, origin, curator, created_at) "
                "VALUES (?, ?, ?, 'curator', ?, ?)",
                [article, field, _dump(value), curator, stamp],
            )
        refresh_effective_labels(db, [article])
        db.execute(
            "INSERT INTO reviews (article_id, curator, created_at, before, after, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [article, curator, stamp, _dump(before), _dump(effective_labels(db, article)), note],
        )


def effective_labels(db: Database, article: str) -> dict[str, Any]:
    """The article's effective labels as stored in its denormalised columns."""
    row = db.execute(
        "SELECT relevant, primary_country, countries, scope, themes FROM articles WHERE id = ?",
        [article],
    ).fetchone()
    if row is None:
        raise KeyError(article)
    relevant, primary, countries, scope, themes = row
    return {
        "relevant": None if relevant is None else bool(relevant),
        "primary_country": primary,
        "countries": json.loads(countries) if countries else [],
        "scope": scope,
        "themes": json.loads(themes) if themes else [],
    }


def refresh_effective_labels(db: Database, ids: Sequence[str]) -> None:
    """Recompute the denormalised label columns: latest curator label, else latest model label."""
    for batch in _chunks(ids):
        with write_transaction(db):
            latest = _latest_labels(db, batch)
            for aid in batch:
                chosen: dict[str, dict[str, Any]] = {}
                by_curator = False
                for field in LABEL_FIELDS:
                    label = latest.get((aid, field, "curator"))
                    if label is not None:
                        by_curator = True
                    else:
                        label = latest.get((aid, field, "model"))
                    if label is not None:
                        chosen[field] = label
                if not chosen:
                    continue
                value = {f: json.loads(lab["value"]) for f, lab in chosen.items()}
                relevant = value.get("relevant")
                themes = value.get("themes", []) if relevant else []
                theme_scores = chosen["themes"]["detail"] if "themes" in chosen else None
                db.execute(
                    """
                    UPDATE articles SET relevant = ?, relevance_score = ?, themes = ?,
                        theme_scores = ?, primary_country = ?, countries = ?, scope = ?,
                        labelled_by = ?
                    WHERE id = ?
                    """,
                    [
                        None if relevant is None else int(relevant),
                        chosen["relevant"]["score"] if "relevant" in chosen else None,
                        _dump(themes),
                        theme_scores,
                        value.get("primary_country"),
                        _dump(value.get("countries", [])),
                        value.get("scope"),
                        "curator" if by_curator else "model",
                        aid,
                    ],
                )


def register_model(
    db: Database, version: str, kind: str, trained_at: str | None, metrics: dict[str, Any]
) -> None:
    """Record a model version and its metrics (idempotent)."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO models (version, kind, trained_at, metrics, registered_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (version) DO UPDATE SET "
            "kind = excluded.kind, trained_at = excluded.trained_at, metrics = excluded.metrics",
            [version, kind, trained_at, _dump(metrics), now()],
        )


# -- crawling: validators, transfer counts, duplicate clusters (issue 3) --------------------


def record_fetches(db: Database, fetches: Iterable[dict[str, Any]]) -> int:
    """Keep the validators of fetched URLs for conditional requests next time.

    Each fetch has `requested_url` (or `url`), `source_id`, `role`, `status` (200 or 304),
    `etag`, `last_modified`, `fetched_at`. A 304 keeps the stored validators.
    """
    count = 0
    with write_transaction(db):
        for f in fetches:
            url = f.get("requested_url") or f["url"]
            stamp = f.get("fetched_at") or now()
            if f.get("status") == 304:
                db.execute(
                    """
                    INSERT INTO fetch_state (url, source_id, role, status, checked_at)
                    VALUES (?, ?, ?, 304, ?)
                    ON CONFLICT (url) DO UPDATE SET status = 304, checked_at = excluded.checked_at
                    """,
                    [url, f["source_id"], f.get("role"), stamp],
                )
            else:
                db.execute(
                    """
                    INSERT INTO fetch_state (url, source_id, role, status, etag, last_modified,
                                             fetched_at, checked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (url) DO UPDATE SET source_id = excluded.source_id,
                        role = excluded.role, status = excluded.status, etag = excluded.etag,
                        last_modified = excluded.last_modified, fetched_at = excluded.fetched_at,
                        checked_at = excluded.checked_at
                    """,
                    [url, f["source_id"], f.get("role"), f.get("status"), f.get("etag"),
                     f.get("last_modified"), stamp, stamp],
                )
            count += 1
    return count


def record_run_transfer(
    db: Database, run_id: int, *, bodies: int, not_modified: int, skipped_known: int,
    bytes_: int,
) -> None:
    """Store how much a crawl run downloaded: bodies, 304 answers, known URLs skipped, bytes."""
    with write_transaction(db):
        db.execute(
            "UPDATE crawl_runs SET bodies = ?, not_modified = ?, skipped_known = ?, bytes = ? "
            "WHERE id = ?",
            [bodies, not_modified, skipped_known, bytes_, run_id],
        )


def set_error_roles(db: Database, run_id: int, roles: dict[tuple[str, str], str]) -> None:
    """Record what each failed URL of a run was (feed, sitemap, listing, article)."""
    with write_transaction(db):
        for (url, kind), role in roles.items():
            db.execute(
                "UPDATE crawl_errors SET role = ? WHERE run_id = ? AND url = ? AND kind = ?",
                [role, run_id, url, kind],
            )


def _signature_similarity(a: bytes, b: bytes) -> float:
    """Share of equal 32-bit MinHash values (the estimate of Jaccard similarity)."""
    n = min(len(a), len(b)) // 4
    if n == 0:
        return 0.0
    return sum(a[i * 4:i * 4 + 4] == b[i * 4:i * 4 + 4] for i in range(n)) / n


def _cluster_order(db: Database, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """Sort key of articles for choosing a cluster's original: earliest published first."""
    rows = db.execute(
        f"SELECT id, coalesce(published, '9999'), first_seen_at FROM articles "
        f"WHERE id IN ({_placeholders(ids)})", list(ids),
    ).fetchall()
    return {r[0]: (r[1], r[2], r[0]) for r in rows}


def assign_clusters(
    db: Database, signatures: dict[str, tuple[bytes, list[int]] | None], threshold: float,
) -> int:
    """Group articles with their near-duplicates; return how many joined an earlier article.

    signatures maps article id to its MinHash signature and LSH band keys (crawlers.dedup),
    or None for a text too short to compare. An article whose estimated similarity to a
    stored one reaches threshold joins that one's cluster; each cluster's original (its
    `cluster_id`, which copies also name in `near_duplicate_of`) is the earliest published
    member. Exact copies (`duplicate_of`) always join their original's cluster. Running it
    again with the same signatures changes nothing.
    """
    if not signatures:
        return 0
    order = _cluster_order(db, list(signatures))
    joined = 0
    for aid in sorted(signatures, key=lambda i: order.get(i, ("9999", "", i))):
        if aid not in order:
            continue
        entry = signatures[aid]
        with write_transaction(db):
            old = db.execute(
                "SELECT minhash FROM article_signatures WHERE article_id = ?", [aid]
            ).fetchone()
            current = db.execute(
                "SELECT cluster_id, duplicate_of FROM articles WHERE id = ?", [aid]
            ).fetchone()
            if entry is not None and old is not None and old[0] == entry[0] and current[0]:
                continue
            db.execute("DELETE FROM article_bands WHERE article_id = ?", [aid])
            db.execute("DELETE FROM article_signatures WHERE article_id = ?", [aid])
            matches: dict[str, float] = {}
            if entry is not None:
                sig, keys = entry
                db.execute("INSERT INTO article_signatures (article_id, minhash) VALUES (?, ?)",
                           [aid, sig])
                db.conn.executemany(
                    "INSERT OR IGNORE INTO article_bands (band, key, article_id) VALUES (?, ?, ?)",
                    [(band, key, aid) for band, key in enumerate(keys)],
                )
                where = " OR ".join("(b.band = ? AND b.key = ?)" for _ in keys)
                params = [v for band, key in enumerate(keys) for v in (band, key)]
                for cand, cand_sig, cluster in db.execute(
                    "SELECT DISTINCT b.article_id, s.minhash, a.cluster_id FROM article_bands b "
                    "JOIN article_signatures s ON s.article_id = b.article_id "
                    "JOIN articles a ON a.id = b.article_id "
                    f"WHERE ({where}) AND b.article_id != ?", [*params, aid],
                ).fetchall():
                    sim = _signature_similarity(sig, cand_sig)
                    if sim >= threshold:
                        root = cluster or cand
                        matches[root] = max(matches.get(root, 0.0), sim)
            roots = [r for r in matches if r != aid]
            ranks = _cluster_order(db, [aid, *roots])
            root = min([aid, *roots], key=lambda i: ranks.get(i, ("9999", "", i)))
            if current[1]:  # an exact copy belongs with its original whatever the dates say
                root = db.execute(
                    "SELECT coalesce(cluster_id, id) FROM articles WHERE id = ?", [current[1]]
                ).fetchone()[0]
                roots = [r for r in {*roots, root} if r != aid]
            for old_root in roots:  # clusters this article bridges move under the earliest
                if old_root != root:
                    _move_cluster(db, old_root, root)
            if root == aid:
                db.execute(
                    "UPDATE articles SET cluster_id = ?, near_duplicate_of = NULL, "
                    "similarity = NULL WHERE id = ?", [aid, aid],
                )
            else:
                db.execute(
                    "UPDATE articles SET cluster_id = ?, near_duplicate_of = ?, similarity = ? "
                    "WHERE id = ?",
                    [root, root, _similarity_to(db, aid, root, matches.get(root)), aid],
                )
                joined += 1
    return joined


def _similarity_to(db: Database, aid: str, root: str, fallback: float | None) -> float | None:
    sigs = dict(db.execute(
        "SELECT article_id, minhash FROM article_signatures WHERE article_id IN (?, ?)",
        [aid, root],
    ).fetchall())
    if aid in sigs and root in sigs:
        return round(_signature_similarity(sigs[aid], sigs[root]), 4)
    return None if fallback is None else round(fallback, 4)


def _move_cluster(db: Database, old_root: str, new_root: str) -> None:
    """Re-point every member of old_root's cluster (old_root included) at new_root."""
    members = [r[0] for r in db.execute(
        "SELECT id FROM articles WHERE cluster_id = ? OR id = ?", [old_root, old_root]
    ).fetchall()]
    for member in members:
        if member == new_root:
            continue
        db.execute(
            "UPDATE articles SET cluster_id = ?, near_duplicate_of = ?, similarity = ? "
            "WHERE id = ?",
            [new_root, new_root, _similarity_to(db, member, new_root, None), member],
        )


# -- curator accounts (issue 8) -------------------------------------------------------------


def set_curator(db: Database, name: str, password_hash: str) -> bool:
    """Create a curator or replace their password hash; True when the account is new."""
    if not password_hash.startswith("scrypt$"):
        raise ValueError("set_curator stores a password hash (publish.auth.hash_password)")
    stamp = now()
    with write_transaction(db):
        existed = db.execute("SELECT 1 FROM curators WHERE name = ?", [name]).fetchone()
        db.execute(
            "INSERT INTO curators (name, password_hash, created_at, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            [name, password_hash, stamp, stamp],
        )
    return existed is None


def remove_curator(db: Database, name: str) -> bool:
    """Delete a curator account (their labels and reviews stay); False when there was none."""
    with write_transaction(db):
        cursor = db.execute("DELETE FROM curators WHERE name = ?", [name])
    return cursor.rowcount > 0
