"""The `newsdesk` command line (DESIGN §4.4)."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

import crawlers
from crawlers.registry import RegistryError, load_registry, select
from db import store
from db.connect import DEFAULT_DB, DatabaseError, open_db

app = typer.Typer(
    help="newsdesk: how governments engage the private health sector in COVID-19.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
curator_app = typer.Typer(help="Curator accounts.", no_args_is_help=True)
app.add_typer(curator_app, name="curator")

console = Console()
err = Console(stderr=True)

DEFAULT_SOURCES = Path(crawlers.__file__).parent / "sources.yaml"
DbOption = Annotated[Path, typer.Option("--db", help="SQLite database file.")]
SourcesOption = Annotated[
    Path, typer.Option("--sources", help="Source registry (DESIGN §4.3).")
]
# run, schedule and status default to the settings (flows/config.py: NEWSDESK_*, newsdesk.toml)
ConfigDbOption = Annotated[Path | None, typer.Option(
    "--db", help="SQLite database file (default: NEWSDESK_DB or data/newsdesk.db).")]
ConfigSourcesOption = Annotated[Path | None, typer.Option(
    "--sources", help="Source registry (default: NEWSDESK_SOURCES or crawlers/sources.yaml).")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _open(path: Path, *, must_exist: bool = False) -> Any:
    if must_exist and not path.is_file():
        fail(f"{path}: no such database (run `newsdesk crawl` or `newsdesk demo` first)")
    try:
        return open_db(path)
    except DatabaseError as e:
        fail(str(e))


def _config(**overrides: Any) -> Any:
    """The settings (flows/config.py) with command-line overrides; one-line error if invalid."""
    from flows.config import ConfigError, load_config

    try:
        return load_config(**overrides)
    except ConfigError as e:
        fail(str(e))


def _registry(path: Path, ids: list[str] | None = None) -> list[Any]:
    try:
        return select(load_registry(path), ids or [])
    except RegistryError as e:
        fail(str(e))


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


# -- stages --------------------------------------------------------------------------------


def _crawl_and_load(
    db: Any, db_path: Path, sources_path: Path, ids: list[str],
    settings: dict[str, str] | None = None, served_as: tuple[str, str] | None = None,
) -> Any:
    from flows.steps import RunInProgress, run_lock

    try:
        with run_lock(db_path):  # never beside a scheduled run on the same database
            store.close_interrupted_runs(db)
            return _crawl_and_load_locked(db, sources_path, ids, settings, served_as)
    except RunInProgress as e:
        fail(str(e))


def _crawl_and_load_locked(
    db: Any, sources_path: Path, ids: list[str], settings: dict[str, str] | None,
    served_as: tuple[str, str] | None,
) -> Any:
    from flows.crawl import crawl_sources, load_crawl, new_batch

    sources = _registry(sources_path, ids)
    batch = new_batch()
    with tempfile.TemporaryDirectory(prefix="newsdesk-crawl-") as tmp:
        with err.status(f"crawling {len(sources)} source(s)…"):
            output = crawl_sources(
                sources_path, [s.id for s in sources], db, Path(tmp), settings=settings,
                served_as=served_as,
            )
        if output.report is None:
            log = (Path(tmp) / "crawl.log").read_text(encoding="utf-8", errors="replace")
            last = next((ln for ln in reversed(log.splitlines()) if ln.strip()), "no output")
            err.print(f"[yellow]crawl process failed ({output.returncode}):[/] {last}")
        return load_crawl(db, sources, output, batch)


def _classify(db: Any, all_articles: bool = False) -> int:
    from flows.labelling import classify_articles

    with _progress("classifying") as update:
        return classify_articles(db, all_articles=all_articles, progress=update)


def _print_summary(db: Any) -> None:
    from db.queries import summary

    s = summary(db)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    console.print(f"[bold]{sum(s['source'].values())} articles[/] in {path}")
    for key, title in [("source", "per source"), ("language", "per language"),
                       ("kind", "per kind"), ("primary_country", "per primary country"),
                       ("relevant", "relevant"), ("theme", "per theme")]:
        counts = " · ".join(f"{k} {v}" for k, v in s[key].items()) or "-"
        console.print(f"[bold]{title}:[/] {counts}", highlight=False)


# -- commands ------------------------------------------------------------------------------


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the build.")] = False,
    db: DbOption = DEFAULT_DB,
    port: Annotated[int, typer.Option(help="Datasette port after the build.")] = 8001,
) -> None:
    """Serve the bundled demo site, crawl, load and classify it, then serve Datasette."""
    from flows.crawl import LOOPBACK_SETTINGS
    from flows.demo import DemoSite

    started = time.monotonic()
    database = _open(db)
    with DemoSite() as site:
        err.print(f"demo site at {site.base}")
        result = _crawl_and_load(database, db, site.sources, [], settings=LOOPBACK_SETTINGS,
                                 served_as=site.served_as)
    labelled = _classify(database)
    console.print(
        f"crawl: {result.new} new, {result.changed} changed, {result.unchanged} unchanged, "
        f"{result.errors} errors; {labelled} labelled in {time.monotonic() - started:.1f} s"
    )
    _print_summary(database)
    if not no_serve:
        _serve(db, "127.0.0.1", port)


@app.command()
def run(
    sources: ConfigSourcesOption = None,
    db: ConfigDbOption = None,
) -> None:
    """Full flow over the configured sources (crawl, load, classify) as a Prefect flow."""
    from flows.steps import RunInProgress

    cfg = _config(sources=sources, db=db)
    _registry(cfg.sources)  # a bad registry fails here, in one line, before Prefect starts
    _open(cfg.db).close()
    from flows.pipeline import run_pipeline

    try:
        report = run_pipeline(cfg)
    except RunInProgress as e:
        fail(str(e), code=1)
    except Exception as e:  # Prefect has logged the traceback above
        fail(f"the run failed: {type(e).__name__}: {e}", code=1)
    table = Table("source", "status", "pages", "items", "new", "errors")
    for sid, r in sorted(report["per_source"].items()):
        table.add_row(sid, r["status"], str(r["pages"]), str(r["items"]), str(r["new"]),
                      str(r["errors"]))
    console.print(table)
    console.print(
        f"run {report['flow_run_id']}: {report['new']} new, {report['changed']} changed, "
        f"{report['errors']} errors, {report['labelled']} labelled", highlight=False,
    )
    for message in report["crashed"]:
        err.print(f"[yellow]crawl batch failed:[/] {message}", highlight=False)
    if report["failing"]:
        err.print(f"[red]failing sources:[/] {', '.join(report['failing'])}", highlight=False)


@app.command()
def crawl(
    sources: SourcesOption = DEFAULT_SOURCES,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source id (repeatable).")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Crawl sources and load the items (no classification)."""
    _registry(sources, source)  # validate before touching the database
    database = _open(db)
    result = _crawl_and_load(database, db, sources, source or [])
    table = Table("source", "status", "pages", "items", "new", "errors")
    for sid, r in result.per_source.items():
        table.add_row(sid, r["status"], str(r["pages"]), str(r["items"]), str(r["new"]),
                      str(r["errors"]))
    console.print(table)


sources_app = typer.Typer(help="The source registry.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(
    sources: SourcesOption = DEFAULT_SOURCES,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source id (repeatable).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 15.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Validate the registry, then fetch and parse every feed, sitemap and listing page."""
    from crawlers.check import check_sources, http_fetch

    registry = _registry(sources, source)
    with err.status(f"checking {len(registry)} source(s)…"):
        checks = check_sources(registry, http_fetch(timeout))
    if as_json:
        for c in checks:
            console.print_json(json.dumps(c.as_dict()))
    else:
        table = Table("source", "kind", "verdict", "status", "found", "detail", "url")
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}
        for c in checks:
            table.add_row(c.source_id, c.kind, f"[{colour[c.verdict]}]{c.verdict}[/]",
                          str(c.status or "-"), str(c.found), c.detail, c.url)
        console.print(table)
    failed = sorted({c.source_id for c in checks if c.verdict == "fail"}
                    - {c.source_id for c in checks if c.verdict == "ok"})
    console.print(f"{len(registry)} source(s), {len(checks)} entry page(s): "
                  f"{sum(c.verdict == 'ok' for c in checks)} ok, "
                  f"{sum(c.verdict == 'warn' for c in checks)} warn, "
                  f"{sum(c.verdict == 'fail' for c in checks)} fail; "
                  f"unreachable sources: {', '.join(failed) or 'none'}")
    if failed:
        raise typer.Exit(1)


@app.command()
def classify(
    db: DbOption = DEFAULT_DB,
    all_articles: Annotated[
        bool, typer.Option("--all", help="Relabel every article, not only new ones.")
    ] = False,
) -> None:
    """Label new and changed articles with the current models."""
    database = _open(db, must_exist=True)
    n = _classify(database, all_articles)
    console.print(f"{n} article(s) labelled")


@app.command()
def train(
    db: DbOption = DEFAULT_DB,
    data: Annotated[Path, typer.Option(help="The shared data folder (policy texts).")] = Path(
        "../shared/data"
    ),
    out: Annotated[Path | None, typer.Option(help="Model file (default: the committed one).")
                   ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace even a better model.")
                     ] = False,
) -> None:
    """Train the relevance and theme model: curator labels first, then the seed data."""
    from db.queries import curator_examples
    from db.store import register_model

    if not (data / "policy-texts").is_dir():
        fail(f"{data}: no policy-texts folder (pass --data PATH to the shared data)")
    examples = curator_examples(_open(db)) if db.is_file() else []
    from classify.train import train as train_model

    with err.status(f"training on the seed data and {len(examples)} curator label(s)…"):
        report = train_model(data, examples, out, force=force)
    comparison = report["comparison"]
    console.print_json(data={"new": comparison["new"], "old": comparison["old"]})
    if report["saved"]:
        if db.is_file():
            register_model(_open(db), report["version"], "relevance-themes",
                           report["trained_at"], {"thresholds": report["thresholds"],
                                                  **report["metrics"]})
        console.print(f"saved model {report['version']} to {report['path']}")
    else:
        fail("the new model is worse than the current one ("
             + "; ".join(comparison["reasons"]) + "): not saved; --force to replace", 1)


@app.command()
def evaluate(file: Annotated[Path, typer.Argument(help="Labelled JSONL file.")]) -> None:
    """Per-label precision, recall, F1 and calibration of the model on a labelled JSONL file."""
    if not file.is_file():
        fail(f"{file}: no such file")
    from classify.evaluate import evaluate_file, format_report

    try:
        report = evaluate_file(file)
    except (ValueError, FileNotFoundError) as e:
        fail(str(e))
    console.print(format_report(report), highlight=False)


def _evidence() -> Any:
    """Review-screen evidence from the tagger and the model (names only if no model)."""
    from classify.countries import get_tagger
    from classify.model import load_model
    from publish.review_evidence import classifier_evidence

    try:
        model = load_model()
    except (FileNotFoundError, ValueError):
        model = None
    return classifier_evidence(get_tagger(), model)


def _serve(db: Path, host: str, port: int) -> None:
    from publish.app import serve as serve_datasette

    console.print(f"Datasette on http://{host}:{port}/ (database at /newsdesk; Ctrl-C to stop)")
    try:
        serve_datasette(db, host, port, evidence=_evidence())
    except KeyboardInterrupt:
        pass


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8001,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Datasette on the database with metadata, plugins and review pages."""
    _open(db, must_exist=True)
    _serve(db, host, port)


@curator_app.command("add")
def curator_add(name: str, db: DbOption = DEFAULT_DB) -> None:
    """Create or update a curator; the password is read from standard input."""
    import getpass
    import sys

    from publish.auth import AccountError, check_name, check_password, hash_password

    try:
        check_name(name)
        if sys.stdin is None:
            fail("no standard input to read the password from")
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {name}: ")
            if getpass.getpass("Again: ") != password:
                fail("the two passwords differ")
        else:  # the first line of standard input, e.g. `printf %s "$PW" | newsdesk curator add`
            password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        check_password(password)
    except AccountError as e:
        fail(str(e))
    database = _open(db)
    created = store.set_curator(database, name, hash_password(password))
    console.print(f"curator {name} {'created' if created else 'updated'} in {db}",
                  highlight=False)


@curator_app.command("remove")
def curator_remove(name: str, db: DbOption = DEFAULT_DB) -> None:
    """Remove a curator account."""
    database = _open(db, must_exist=True)
    if not store.remove_curator(database, name):
        fail(f"no curator named {name!r} in {db}")
    console.print(f"curator {name} removed from {db} (their labels and reviews stay)",
                  highlight=False)


@app.command()
def schedule(
    sources: ConfigSourcesOption = None,
    db: ConfigDbOption = None,
    cron: Annotated[str | None, typer.Option(
        help="Cron expression (default: config, else daily at 03:00).")] = None,
) -> None:
    """Register and serve the scheduled deployment (cron from config)."""
    from flows.schedule import ScheduleError, serve

    cfg = _config(sources=sources, db=db, cron=cron)
    _registry(cfg.sources)
    _open(cfg.db).close()
    try:
        serve(cfg, announce=lambda line: err.print(line, highlight=False, soft_wrap=True))
    except ScheduleError as e:
        fail(str(e), code=1)
    err.print("stopped")


@app.command()
def status(
    db: ConfigDbOption = None,
) -> None:
    """Per-source crawl health: last success and failure, items, errors by kind."""
    from db.queries import source_health

    database = _open(_config(db=db).db, must_exist=True)
    table = Table("source", "runs", "last success", "last failure", "items (last run)",
                  "articles", "errors by kind", "flag")
    for row in source_health(database):
        kinds = ", ".join(f"{k} {v}" for k, v in row["errors_by_kind"].items()) or "-"
        table.add_row(
            row["source_id"], str(row["runs"]), row["last_success"] or "-",
            row["last_failure"] or "-", str(row["items_last_run"] or 0), str(row["articles"]),
            kinds, "[red]FAILING[/]" if row["failing"] else "",
        )
    console.print(table)


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="HTML or PDF files.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL file.")],
    url: Annotated[str | None, typer.Option(help="URL the files came from.")] = None,
) -> None:
    """Extract text and metadata from local HTML or PDF files, one JSON object per file."""
    from crawlers.extract import ExtractionError, extract_any

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    failures = 0
    with open(out, "w", encoding="utf-8") as f:
        for path in files:
            try:
                data = extract_any(path.read_bytes(), url or path.resolve().as_uri())
            except ExtractionError as e:
                err.print(f"[yellow]warning:[/] {path}: {e}")
                failures += 1
                data = {"title": None, "text": None, "published": None, "language": None,
                        "authors": [], "error": str(e)}
            record = {"path": str(path), "url": url, **{
                k: data.get(k) for k in ("title", "text", "published", "language", "authors")
            }}
            if "error" in data:
                record["error"] = data["error"]
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    console.print(f"{len(files) - failures} of {len(files)} file(s) extracted to {out}")
    if failures == len(files):
        raise typer.Exit(1)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        fail(f"{path}: no such file")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{path}:{n}: not JSON: {e.msg}")
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                fail(f"{path}:{n}: each line needs a string field 'text'")
            yield record


@app.command()
def tag(
    input_file: Annotated[Path, typer.Argument(metavar="IN.jsonl", help="Texts to label.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL file.")],
    details: Annotated[bool, typer.Option(
        "--details", help="Add the instruments and private actors relevant texts name "
        "(CODEBOOK §2; lexicon-based, with evidence words).")] = False,
) -> None:
    """Label texts: countries, scope, relevance and themes (DESIGN §4.4)."""
    records = list(_read_jsonl(input_file))
    from classify.details import engagement_details
    from classify.tagging import tag_records  # after validating input: loading models is slow

    keys = ("id", "primary_country", "countries", "scope", "relevant", "relevance_score",
            "themes", "theme_scores", "model_version")
    with open(out, "w", encoding="utf-8") as f:
        for record, result in zip(records, tag_records(records), strict=True):
            row = {k: result[k] for k in keys}
            if details:
                row["details"] = engagement_details(record["text"]) if result["relevant"] else {}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    console.print(f"{len(records)} record(s) labelled to {out}")


if __name__ == "__main__":
    app()
