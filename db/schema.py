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


# -- publication (issue 7) ------------------------------------------------------------------

_ARTICLE_COUNTS = """
CREATE TABLE article_counts (
    primary_country TEXT NOT NULL,       -- '' when the article has none
    theme TEXT NOT NULL,                 -- '*': the article itself; '': it has no theme;
                                         -- else one theme id
    month TEXT NOT NULL,                 -- YYYY-MM of published; '' when unknown
    relevant INTEGER NOT NULL,           -- 1 relevant, 0 not, -1 unlabelled
    n INTEGER NOT NULL,
    PRIMARY KEY (primary_country, theme, month, relevant)
) WITHOUT ROWID
"""


def _counts_add(row: str) -> str:
    """SQL adding one article's contributions (row is NEW or OLD) to article_counts."""
    return f"""
    INSERT INTO article_counts (primary_country, theme, month, relevant, n)
    SELECT coalesce({row}.primary_country, ''), t.value,
           coalesce(substr({row}.published, 1, 7), ''), coalesce({row}.relevant, -1), 1
    FROM (SELECT '*' AS value UNION
          SELECT '' WHERE coalesce(json_array_length(CASE WHEN json_valid({row}.themes)
                                                     THEN {row}.themes END), 0) = 0 UNION
          SELECT value FROM json_each(CASE WHEN json_valid({row}.themes) THEN {row}.themes
                                           ELSE '[]' END)) AS t
    WHERE true
    ON CONFLICT DO UPDATE SET n = n + 1;
    """


def _counts_remove(row: str) -> str:
    """SQL removing one article's contributions (row is OLD) from article_counts."""
    key = (f"primary_country = coalesce({row}.primary_country, '') "
           f"AND month = coalesce(substr({row}.published, 1, 7), '') "
           f"AND relevant = coalesce({row}.relevant, -1)")
    return f"""
    UPDATE article_counts SET n = n - 1
    WHERE {key} AND theme IN (
        SELECT '*' UNION
        SELECT '' WHERE coalesce(json_array_length(CASE WHEN json_valid({row}.themes)
                                                   THEN {row}.themes END), 0) = 0 UNION
        SELECT value FROM json_each(CASE WHEN json_valid({row}.themes) THEN {row}.themes
                                         ELSE '[]' END));
    DELETE FROM article_counts WHERE {key} AND n <= 0;
    """


def _lookup(column: str, mapping: dict[str, str]) -> str:
    """SQL mapping ISO3 codes in column to values: a balanced tree of CASE expressions.

    A generated column cannot query the countries table, and one 250-branch CASE costs
    ~2 us per row (facets evaluate it for every matching row); the tree needs ~8 comparisons.
    """
    pairs = sorted((k, v) for k, v in mapping.items() if v and "'" not in v)

    def tree(part: list[tuple[str, str]]) -> str:
        if len(part) <= 8:
            whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in part)
            return f"CASE {column} {whens} END"
        mid = len(part) // 2
        return (f"CASE WHEN {column} < '{part[mid][0]}' THEN ({tree(part[:mid])}) "
                f"ELSE ({tree(part[mid:])}) END")

    return tree(pairs)


# Columns of articles copied into article_facets: what search results are faceted and
# filtered on. Rows are a few dozen bytes, against kilobytes of text in articles.
FACET_COLUMNS = ("id", "source_id", "published", "language", "kind", "source_type",
                 "source_country", "relevant", "relevance_score", "primary_country",
                 "countries", "scope", "themes", "labelled_by", "model_version")


def _facets_table(regions: dict[str, str], incomes: dict[str, str]) -> str:
    return f"""
    CREATE TABLE article_facets (
        article_rowid INTEGER PRIMARY KEY,   -- = articles.rowid (as articles_fts uses it)
        id TEXT NOT NULL, source_id TEXT, published TEXT, language TEXT, kind TEXT,
        source_type TEXT, source_country TEXT, relevant INTEGER, relevance_score REAL,
        primary_country TEXT, countries TEXT, scope TEXT, themes TEXT, labelled_by TEXT,
        model_version TEXT,
        year TEXT GENERATED ALWAYS AS ({_YEAR}) STORED,
        who_region TEXT GENERATED ALWAYS AS ({_lookup('primary_country', regions)}) STORED,
        income_group TEXT GENERATED ALWAYS AS ({_lookup('primary_country', incomes)}) STORED
    )
    """


def _facets_copy(row: str) -> str:
    cols = ", ".join(FACET_COLUMNS)
    values = ", ".join(f"{row}.{c}" for c in FACET_COLUMNS)
    return (f"INSERT OR REPLACE INTO article_facets (article_rowid, {cols}) "
            f"VALUES ({row}.rowid, {values});")


_YEAR = "CASE WHEN published GLOB '[12][0-9][0-9][0-9]*' THEN substr(published, 1, 4) END"


def create_article_counts(db: Database) -> None:
    """Counts per country, theme, month and relevance, filled and kept in step by triggers."""
    db.execute(_ARTICLE_COUNTS)
    db.execute(
        """
        INSERT INTO article_counts (primary_country, theme, month, relevant, n)
        SELECT primary_country, theme, month, relevant, count(*) FROM (
            SELECT DISTINCT a.rowid, coalesce(a.primary_country, '') AS primary_country,
                t.value AS theme, coalesce(substr(a.published, 1, 7), '') AS month,
                coalesce(a.relevant, -1) AS relevant
            FROM articles AS a, json_each(CASE
                WHEN coalesce(json_array_length(CASE WHEN json_valid(a.themes)
                                                THEN a.themes END), 0) = 0 THEN '["*", ""]'
                ELSE json_insert(a.themes, '$[#]', '*') END) AS t
        )
        GROUP BY 1, 2, 3, 4
        """
    )
    db.execute(
        f"CREATE TRIGGER article_counts_ai AFTER INSERT ON articles BEGIN "
        f"{_counts_add('NEW')} END"
    )
    db.execute(
        f"CREATE TRIGGER article_counts_ad AFTER DELETE ON articles BEGIN "
        f"{_counts_remove('OLD')} END"
    )
    db.execute(
        "CREATE TRIGGER article_counts_au AFTER UPDATE OF primary_country, themes, relevant, "
        f"published ON articles BEGIN {_counts_remove('OLD')} {_counts_add('NEW')} END"
    )


def create_article_facets(db: Database, regions: dict[str, str], incomes: dict[str, str]) -> None:
    """The narrow copy of articles' facet columns, filled and kept in step by triggers."""
    db.execute(_facets_table(regions, incomes))
    cols = ", ".join(FACET_COLUMNS)
    db.execute(f"INSERT INTO article_facets (article_rowid, {cols}) "
               f"SELECT rowid, {cols} FROM articles")
    db.execute("CREATE UNIQUE INDEX idx_article_facets_id ON article_facets(id)")
    # country pages: a country's newest items without reading or sorting all of them
    db.execute("CREATE INDEX idx_article_facets_country ON article_facets(primary_country, "
               "published)")
    db.execute(f"CREATE TRIGGER article_facets_ai AFTER INSERT ON articles BEGIN "
               f"{_facets_copy('NEW')} END")
    db.execute(f"CREATE TRIGGER article_facets_au AFTER UPDATE OF {cols} ON articles BEGIN "
               f"DELETE FROM article_facets WHERE article_rowid = OLD.rowid; "
               f"{_facets_copy('NEW')} END")
    db.execute("CREATE TRIGGER article_facets_ad AFTER DELETE ON articles BEGIN "
               "DELETE FROM article_facets WHERE article_rowid = OLD.rowid; END")


_PUBLISH_VIEWS = [
    """
    CREATE VIEW country_theme_counts AS
    SELECT c.iso3, c.name, c.who_region, c.income_group,
        sum(CASE WHEN k.theme = '*' THEN k.n ELSE 0 END) AS items,
        sum(CASE WHEN k.theme = 'plan' THEN k.n ELSE 0 END) AS plan,
        sum(CASE WHEN k.theme = 'space' THEN k.n ELSE 0 END) AS space,
        sum(CASE WHEN k.theme = 'staff' THEN k.n ELSE 0 END) AS staff,
        sum(CASE WHEN k.theme = 'stuff' THEN k.n ELSE 0 END) AS stuff,
        sum(CASE WHEN k.theme = 'systems' THEN k.n ELSE 0 END) AS systems,
        sum(CASE WHEN k.theme = 'financing' THEN k.n ELSE 0 END) AS financing,
        c.lat AS latitude, c.lon AS longitude
    FROM article_counts AS k JOIN countries AS c ON c.iso3 = k.primary_country
    WHERE k.relevant = 1
    GROUP BY c.iso3
    """,
    """
    CREATE VIEW theme_month_counts AS
    SELECT k.month, k.theme, t.name_en AS theme_name, sum(k.n) AS items
    FROM article_counts AS k JOIN themes AS t ON t.id = k.theme
    WHERE k.relevant = 1 AND k.month != ''
    GROUP BY k.month, k.theme
    """,
    """
    CREATE VIEW crawl_health AS
    SELECT s.id AS source_id, s.name, s.source_type, s.country,
        (SELECT count(*) FROM crawl_runs r WHERE r.source_id = s.id) AS runs,
        (SELECT max(r.started_at) FROM crawl_runs r WHERE r.source_id = s.id) AS last_run,
        (SELECT r.status FROM crawl_runs r WHERE r.source_id = s.id
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS last_status,
        (SELECT max(r.finished_at) FROM crawl_runs r
            WHERE r.source_id = s.id AND r.status IN ('ok', 'partial')) AS last_success,
        (SELECT max(r.finished_at) FROM crawl_runs r
            WHERE r.source_id = s.id AND r.status = 'failed') AS last_failure,
        (SELECT r.items FROM crawl_runs r WHERE r.source_id = s.id
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS items_last_run,
        (SELECT r.new_items FROM crawl_runs r WHERE r.source_id = s.id
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS new_items_last_run,
        (SELECT r.errors FROM crawl_runs r WHERE r.source_id = s.id
            ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS errors_last_run,
        (SELECT count(*) FROM crawl_errors e JOIN crawl_runs r ON r.id = e.run_id
            WHERE r.source_id = s.id) AS errors_recorded,
        (SELECT count(*) FROM articles a WHERE a.source_id = s.id) AS articles,
        (SELECT count(*) = 3 AND min(x.status) = 'failed' AND max(x.status) = 'failed'
            FROM (SELECT r.status FROM crawl_runs r WHERE r.source_id = s.id
                  ORDER BY r.started_at DESC, r.id DESC LIMIT 3) AS x) AS failing
    FROM sources AS s
    """,
]


@migrations(name="m004_publish")
def m004_publish(db: Database) -> None:
    """Publish-ready data: facet columns on articles, trigger-kept counts, researcher views.

    year, who_region and income_group are virtual generated columns (no write cost, always
    consistent with primary_country and published); the region and income group mappings are
    the reference table's at the time of this migration: a later change of those facts needs
    a new migration. Triggers keep two derived tables in step with every article write, so
    the pipeline needs no extra step: article_counts (the home page, map and matrix read a
    few thousand rows instead of every article) and article_facets (search results are
    counted and faceted on rows of ~100 bytes instead of kilobytes: publish/search.py).
    """
    with open(DATA / "countries.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    regions = {r["iso3"]: r["who_region"] for r in rows}
    incomes = {r["iso3"]: r["wb_income_group"] for r in rows}
    db.execute(f"ALTER TABLE articles ADD COLUMN year TEXT GENERATED ALWAYS AS ({_YEAR}) VIRTUAL")
    db.execute(
        "ALTER TABLE articles ADD COLUMN who_region TEXT GENERATED ALWAYS AS "
        f"({_lookup('primary_country', regions)}) VIRTUAL"
    )
    db.execute(
        "ALTER TABLE articles ADD COLUMN income_group TEXT GENERATED ALWAYS AS "
        f"({_lookup('primary_country', incomes)}) VIRTUAL"
    )
    # the articles table filtered by country, newest first (the most used facet), and feeds
    db.execute(
        "CREATE INDEX idx_articles_country_published ON articles(primary_country, published)"
    )
    create_article_counts(db)
    create_article_facets(db, regions, incomes)
    for statement in _PUBLISH_VIEWS:
        db.execute(statement)


# -- crawling (issue 3) ----------------------------------------------------------------------

_CRAWL_STATEMENTS = [
    """
    CREATE TABLE fetch_state (
        url TEXT PRIMARY KEY,            -- as requested (validators go back to this URL)
        source_id TEXT NOT NULL,
        role TEXT,                       -- feed, sitemap, listing, article
        status INTEGER,                  -- last HTTP status: 200, or 304 when revalidated
        etag TEXT,
        last_modified TEXT,
        fetched_at TEXT,                 -- last body download
        checked_at TEXT NOT NULL         -- last request, conditional ones included
    )
    """,
    "CREATE INDEX idx_fetch_state_source ON fetch_state(source_id)",
    # near-duplicate clusters: every article points at its cluster's original (itself if none)
    "ALTER TABLE articles ADD COLUMN cluster_id TEXT",
    "ALTER TABLE articles ADD COLUMN near_duplicate_of TEXT REFERENCES articles(id)",
    "ALTER TABLE articles ADD COLUMN similarity REAL",  # estimated Jaccard to near_duplicate_of
    "UPDATE articles SET cluster_id = coalesce(duplicate_of, id)",
    "CREATE INDEX idx_articles_cluster ON articles(cluster_id)",
    """
    CREATE TABLE article_signatures (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        minhash BLOB NOT NULL            -- crawlers.dedup.signature of the text
    )
    """,
    """
    CREATE TABLE article_bands (
        band INTEGER NOT NULL,
        key INTEGER NOT NULL,            -- LSH band key: equal keys make candidate copies
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, article_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX idx_article_bands_article ON article_bands(article_id)",
    "ALTER TABLE crawl_runs ADD COLUMN bodies INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE crawl_runs ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE crawl_runs ADD COLUMN skipped_known INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE crawl_runs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0",
    # what was being fetched: feed, sitemap, listing, article (failed articles are retried)
    "ALTER TABLE crawl_errors ADD COLUMN role TEXT",
    """
    CREATE VIEW article_copies AS
    SELECT a.cluster_id, o.title AS original_title, o.source_id AS original_source,
        a.id, a.title, a.source_id, a.url,
        CASE WHEN a.duplicate_of IS NOT NULL THEN 'exact' ELSE 'near' END AS kind,
        a.similarity
    FROM articles AS a JOIN articles AS o ON o.id = a.cluster_id
    WHERE a.id != a.cluster_id
    """,
]


@migrations(name="m010_crawl_incremental")
def m010_crawl_incremental(db: Database) -> None:
    """Validators per fetched URL, near-duplicate clusters, transfer counts per crawl run."""
    for statement in _CRAWL_STATEMENTS:
        db.execute(statement)


# -- curators (issue 8) ----------------------------------------------------------------------


def _review_margin(row: str) -> str:
    """SQL of an article's review margin (row is NEW or an alias of articles).

    The distance between a label's probability and its threshold (`models.metrics` key
    `thresholds`, else 0.5), the smallest over relevance and, for a relevant item, its themes;
    NULL unless the labels are the model's alone; 1.0 (last) when it gave no probability.
    db.queries.DEFAULT_THRESHOLD is the 0.5.
    """
    def threshold(label: str) -> str:
        return (f"coalesce((SELECT CASE WHEN json_valid(m.metrics) THEN json_extract(m.metrics, "
                f"'$.thresholds.\"' || {label} || '\"') END FROM models AS m "
                f"WHERE m.version = {row}.model_version), 0.5)")

    relevant = threshold("'relevant'")
    rel = f"abs({row}.relevance_score - {relevant})"
    themes = (f"(SELECT min(abs(j.value - {threshold('j.key')})) FROM json_each(CASE WHEN "
              f"json_valid({row}.theme_scores) THEN {row}.theme_scores ELSE '{{}}' END) AS j "
              "WHERE j.type IN ('integer', 'real'))")
    return (f"CASE WHEN {row}.labelled_by IS NOT 'model' THEN NULL "
            f"WHEN {row}.relevance_score IS NULL THEN 1.0 "  # no probability: last in the queue
            f"WHEN {row}.relevant = 1 THEN min({rel}, coalesce({themes}, {rel})) "
            f"ELSE {rel} END")


def _margin_upsert(row: str) -> str:
    return (f"INSERT OR REPLACE INTO review_margins (article_rowid, margin) "
            f"VALUES ({row}.rowid, {_review_margin(row)});")


@migrations(name="m030_curators")
def m030_curators(db: Database) -> None:
    """Curator accounts: a name and a salted KDF hash of the password (never the password)."""
    db.execute(
        """
        CREATE TABLE curators (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,     -- scrypt$n$r$p$salt$hash (publish/auth.py)
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations(name="m031_review_margins")
def m031_review_margins(db: Database) -> None:
    """Each article's review margin, for the curators' uncertainty-ordered queue.

    Kept in step by triggers (like article_facets), so `/review` walks an index instead of
    computing every article's margin from its JSON scores (1.2 s per 100,000 articles); a
    change of a model's thresholds recomputes the margins of its articles.
    """
    db.execute(
        """
        CREATE TABLE review_margins (
            article_rowid INTEGER PRIMARY KEY,   -- = articles.rowid (as article_facets)
            margin REAL                          -- NULL: not awaiting review
        )
        """
    )
    db.execute("CREATE INDEX idx_review_margins ON review_margins(margin) "
               "WHERE margin IS NOT NULL")
    db.execute(f"INSERT INTO review_margins (article_rowid, margin) "
               f"SELECT a.rowid, {_review_margin('a')} FROM articles AS a")
    db.execute(f"CREATE TRIGGER review_margins_ai AFTER INSERT ON articles BEGIN "
               f"{_margin_upsert('NEW')} END")
    db.execute("CREATE TRIGGER review_margins_au AFTER UPDATE OF relevant, relevance_score, "
               "theme_scores, labelled_by, model_version ON articles BEGIN "
               f"{_margin_upsert('NEW')} END")
    db.execute("CREATE TRIGGER review_margins_ad AFTER DELETE ON articles BEGIN "
               "DELETE FROM review_margins WHERE article_rowid = OLD.rowid; END")
    recompute = (f"UPDATE review_margins SET margin = (SELECT {_review_margin('a')} "
                 "FROM articles AS a WHERE a.rowid = review_margins.article_rowid) "
                 "WHERE article_rowid IN (SELECT rowid FROM articles "
                 "WHERE model_version = NEW.version);")
    db.execute(f"CREATE TRIGGER review_margins_model_ai AFTER INSERT ON models BEGIN "
               f"{recompute} END")
    db.execute("CREATE TRIGGER review_margins_model_au AFTER UPDATE OF metrics ON models "
               f"WHEN OLD.metrics IS NOT NEW.metrics BEGIN {recompute} END")
