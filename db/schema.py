"""The database schema, as numbered migrations (sqlite_utils.Migrations).

Never edit a migration that has shipped: add a new one. Each runs in one transaction, so a
database created by any earlier release upgrades in place, and a failed upgrade changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlite_utils import Database, Migrations

DATA = Path(__file__).parent / "data"

migrations = Migrations("newsdesk")

_INITIAL = [
    """
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        country TEXT,
        source_type TEXT NOT NULL,
        language TEXT,
        config TEXT NOT NULL,            -- the registry entry as JSON
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE crawl_runs (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,             -- one crawl over several sources shares a batch id
        source_id TEXT NOT NULL REFERENCES sources(id),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
        pages INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL DEFAULT 0,
        new_items INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        flow_run_id TEXT,
        detail TEXT,
        UNIQUE (batch, source_id)
    )
    """,
    """
    CREATE TABLE crawl_errors (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES crawl_runs(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        kind TEXT NOT NULL,              -- http-503, timeout, dns, too-large, robots, parse, ...
        detail TEXT,
        at TEXT NOT NULL,
        UNIQUE (run_id, url, kind)
    )
    """,
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,             -- stable hash of canonical_url (db.ids.article_id)
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL UNIQUE,
        source_id TEXT NOT NULL REFERENCES sources(id),
        first_seen_at TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        http_status INTEGER,
        content_type TEXT,
        title TEXT,
        text TEXT,
        published TEXT,
        published_from TEXT,             -- where the date came from: json-ld, htmldate, feed, pdf
        authors TEXT,                    -- JSON array
        language TEXT,
        kind TEXT,
        source_type TEXT,
        source_country TEXT,
        content_sha1 TEXT,
        duplicate_of TEXT REFERENCES articles(id),
        warc_file TEXT,
        warc_record_id TEXT,
        -- effective labels (db.store.refresh_effective_labels), denormalised for facets
        relevant INTEGER,
        relevance_score REAL,
        primary_country TEXT,
        countries TEXT,                  -- JSON array of ISO3
        scope TEXT,
        themes TEXT,                     -- JSON array of theme ids
        theme_scores TEXT,               -- JSON object theme -> probability
        labelled_by TEXT,                -- 'model' or 'curator' (curator wins)
        model_version TEXT,
        classified_sha1 TEXT             -- content_sha1 the model labels were computed on
    )
    """,
    "CREATE INDEX idx_articles_source ON articles(source_id)",
    "CREATE INDEX idx_articles_published ON articles(published)",
    "CREATE INDEX idx_articles_country ON articles(primary_country)",
    "CREATE INDEX idx_articles_sha1 ON articles(content_sha1)",
    """
    CREATE TABLE labels (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        field TEXT NOT NULL,             -- relevant, themes, primary_country, countries, scope
        value TEXT,                      -- JSON
        score REAL,
        detail TEXT,                     -- JSON: per-value scores, evidence
        origin TEXT NOT NULL CHECK (origin IN ('model', 'curator')),
        model_version TEXT,
        curator TEXT,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX idx_labels_article ON labels(article_id, field, origin)",
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        curator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        before TEXT,                     -- JSON: effective labels before
        after TEXT,                      -- JSON: effective labels after
        note TEXT
    )
    """,
    """
    CREATE TABLE countries (
        iso3 TEXT PRIMARY KEY,
        iso2 TEXT,
        name TEXT NOT NULL,
        name_short TEXT,
        who_region TEXT,
        who_region_name TEXT,
        wb_region TEXT,
        income_group TEXT,
        capital TEXT,
        lat REAL,
        lon REAL
    )
    """,
    """
    CREATE TABLE themes (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        name_en TEXT NOT NULL,
        name_fr TEXT,
        name_es TEXT,
        summary TEXT
    )
    """,
    """
    CREATE TABLE models (
        version TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        trained_at TEXT,
        metrics TEXT,                    -- JSON
        registered_at TEXT NOT NULL
    )
    """,
]


@migrations(name="m001_initial")
def m001_initial(db: Database) -> None:
    """Every table of DESIGN §4.2."""
    for statement in _INITIAL:
        db.execute(statement)


@migrations(name="m002_articles_fts")
def m002_articles_fts(db: Database) -> None:
    """FTS5 over title and text, kept in sync by triggers; diacritics folded for all languages."""
    db["articles"].enable_fts(
        ["title", "text"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
        replace=True,
    )


@migrations(name="m003_reference_data")
def m003_reference_data(db: Database) -> None:
    """Countries (WHO region, income group, map point) and the codebook's themes."""
    load_reference_data(db)


def _float(value: str) -> float | None:
    return float(value) if value else None


def load_reference_data(db: Database) -> None:
    """Upsert the reference tables from db/data; safe to run again after the files change."""
    with open(DATA / "countries.csv", encoding="utf-8") as f:
        countries = [
            {
                "iso3": r["iso3"],
                "iso2": r["iso2"] or None,
                "name": r["name_common_en"] or r["name_short_en"],
                "name_short": r["name_short_en"] or None,
                "who_region": r["who_region"] or None,
                "who_region_name": r["who_region_name"] or None,
                "wb_region": r["wb_region"] or None,
                "income_group": r["wb_income_group"] or None,
                "capital": r["capital"] or None,
                "lat": _float(r["lat"]),
                "lon": _float(r["lon"]),
            }
            for r in csv.DictReader(f)
        ]
    db["countries"].upsert_all(countries, pk="iso3")
    with open(DATA / "themes.csv", encoding="utf-8") as f:
        themes = [dict(r, position=int(r["position"])) for r in csv.DictReader(f)]
    db["themes"].upsert_all(themes, pk="id")


def country_codes() -> set[str]:
    """ISO 3166-1 alpha-3 codes of the reference table (plus XKX for Kosovo)."""
    with open(DATA / "countries.csv", encoding="utf-8") as f:
        return {r["iso3"] for r in csv.DictReader(f)}


def apply_migrations(db: Database) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def schema_version(db: Database) -> str | None:
    """Name of the newest applied migration, or None for an empty database."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else None
