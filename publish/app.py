"""The published Datasette: the database as `newsdesk`, with metadata, settings and plugins."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from datasette.app import Database, Datasette
from datasette.plugins import pm

from publish import plugin, search

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
METADATA = ROOT / "datasette-metadata.json"
DB_NAME = "newsdesk"

# Tuned for 1,000,000 articles (docs/publish.md, bench/fts_facets.py): facet suggestions
# scan every column of the result and cost ~600 ms there, so they are off; a facet or count
# that cannot finish in time is dropped from the page rather than holding it up.
SETTINGS: dict[str, Any] = {
    "suggest_facets": False,
    "facet_time_limit_ms": 200,
    "sql_time_limit_ms": 1000,
    "default_facet_size": 10,
    "allow_download": False,
    "num_sql_threads": 2,
}


def load_metadata(path: Path = METADATA) -> dict[str, Any]:
    """datasette-metadata.json as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def install_plugins() -> None:
    """Register our plugins; our search and facets replace Datasette's default ones.

    publish.search delegates to Datasette's own filters and facets everywhere except the
    articles search, so unregistering the defaults changes nothing else.
    """
    for name in ("datasette.filters", "datasette.facets"):
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
    for module, name in ((plugin, "newsdesk-publish"), (search, "newsdesk-search")):
        if not pm.is_registered(module):
            pm.register(module, name=name)


def make_datasette(
    db_path: Path,
    *,
    metadata: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    archive_dir: Path | None = None,
) -> Datasette:
    """A Datasette serving db_path as `newsdesk` with our metadata, templates and plugins.

    WARC files named by articles.warc_file are looked up relative to archive_dir (default:
    the database's folder).
    """
    install_plugins()
    ds = Datasette(
        [],
        metadata=metadata if metadata is not None else load_metadata(),
        settings={**SETTINGS, **(settings or {})},
        template_dir=str(HERE / "templates"),
        static_mounts=[("newsdesk-static", str(HERE / "static"))],
    )
    ds.add_database(Database(ds, path=str(db_path), is_mutable=True), name=DB_NAME)
    plugin.ARCHIVE_DIRS[ds] = Path(archive_dir or Path(db_path).resolve().parent)
    return ds


def serve(
    db_path: Path, host: str = "127.0.0.1", port: int = 8001, evidence: Any = None
) -> None:
    """Serve the database until interrupted; `evidence` highlights terms on review screens."""
    import uvicorn

    from publish.review_evidence import use_evidence

    ds = make_datasette(db_path)
    use_evidence(ds, evidence)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
