"""The newsdesk Prefect flow: thin tasks over the plain functions of flows/steps.py.

crawl (shards of the registry, each a child Scrapy process, retried with back-off, time-limited)
→ load (the flow's process is the only writer) → label new and changed articles → finish, and a
markdown artifact summarising the run. `newsdesk run` calls it; `newsdesk schedule` serves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run
from prefect.tasks import exponential_backoff

from crawlers.registry import Source, load_registry
from db.connect import open_db
from db.store import close_interrupted_runs, now
from flows import steps
from flows.config import NewsdeskConfig, load_config
from flows.crawl import CrawlOutput, LoadResult, new_batch
from flows.scaling import is_parallel, plan_shards, task_runner

FLOW_NAME = "newsdesk"
ARTIFACT_KEY = "newsdesk-run-summary"


# Defaults match NewsdeskConfig; the flow applies the configured values with `with_options`.
@task(name="crawl", retries=2, retry_delay_seconds=exponential_backoff(60),
      retry_jitter_factor=0.5, cache_policy=NO_CACHE)
def crawl_task(
    sources_path: Path, source_ids: tuple[str, ...], db_path: Path, workdir: Path,
    settings: dict[str, str], timeout: float, contact: str | None,
    load_batch: str | None = None, run_id: str | None = None, label_chunk: int = 0,
) -> CrawlOutput:
    """Crawl a shard of sources in a child process (time limit: `timeout` seconds).

    On one machine (`load_batch` set) it also stores and labels the items as they come.
    """
    return steps.crawl_shard(sources_path, source_ids, db_path, workdir, settings, timeout,
                             contact, load_batch=load_batch, flow_run_id=run_id,
                             label_chunk=label_chunk)


@task(name="load", cache_policy=NO_CACHE)
def load_task(
    db_path: Path, sources: list[Source], output: CrawlOutput, batch: str, run_id: str | None,
) -> LoadResult:
    """Store a shard's items, runs and errors."""
    db = open_db(db_path)
    try:
        return steps.load_shard(db, sources, output, batch, run_id)
    finally:
        db.close()


@task(name="tag", retries=1, cache_policy=NO_CACHE)
def tag_task(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Label a chunk of articles (pure; runs on any worker)."""
    from flows.labelling import tag_chunk

    return tag_chunk(rows)


@task(name="write-labels", cache_policy=NO_CACHE)
def write_labels_task(db_path: Path, results: list[dict[str, Any]], version: str) -> int:
    """Store a chunk's model labels."""
    db = open_db(db_path)
    try:
        return steps.write_labels(db, results, version)
    finally:
        db.close()


@task(name="finish", cache_policy=NO_CACHE)
def finish_task(db_path: Path) -> list[str]:
    """Optimise the file; return the sources failing several runs in a row."""
    db = open_db(db_path)
    try:
        steps.finish(db)
        return steps.failing_sources(db)
    finally:
        db.close()


def _crawl_and_load(cfg: NewsdeskConfig, registry: list[Source], report: steps.RunReport) -> None:
    log = get_run_logger()
    crawl = crawl_task.with_options(
        retries=cfg.crawl_retries,
        retry_delay_seconds=exponential_backoff(cfg.crawl_retry_delay),
    )
    by_id = {s.id: s for s in registry}
    # one machine: this process is the database's writer, so crawl tasks load and label as
    # they go; Dask workers elsewhere only crawl, and the loads below store everything
    local = not is_parallel(cfg)
    submitted: dict[PrefectFuture[CrawlOutput], tuple[Any, Path, str]] = {}
    for shard in plan_shards(registry, cfg.crawl_batch_size):
        workdir = cfg.feeds_dir / report.batch / f"shard-{shard.index:03d}"
        future = crawl.submit(
            cfg.sources, shard.source_ids, cfg.db, workdir,
            steps.crawl_settings(shard.loopback, cfg.scrapy_settings), cfg.crawl_timeout,
            cfg.contact, report.batch if local else None, report.flow_run_id,
            cfg.classify_chunk if local else 0,
        )
        submitted[future] = (shard, workdir, now())
    for future in as_completed(list(submitted)):
        shard, workdir, started_at = submitted[future]
        outcome = future.result(raise_on_failure=False)
        if not isinstance(outcome, CrawlOutput):  # every attempt crashed: record, go on
            log.error("crawl shard %s failed: %s", shard.index, outcome)
            report.crashed.append(str(outcome))
            outcome = steps.crashed_output(workdir, started_at, outcome)
        report.labelled += outcome.labelled
        report.add(load_task(cfg.db, [by_id[i] for i in shard.source_ids], outcome,
                             report.batch, report.flow_run_id))
        steps.discard_feed(workdir)


def _label(cfg: NewsdeskConfig, report: steps.RunReport) -> None:
    from classify.tagging import model_version

    version = model_version()
    in_flight: list[PrefectFuture[list[dict[str, Any]]]] = []
    for rows in steps.pending_chunks(cfg.db, version, cfg.classify_chunk):
        if not is_parallel(cfg):
            report.labelled += write_labels_task(cfg.db, tag_task(rows), version)
            continue
        in_flight.append(tag_task.submit(rows))
        if len(in_flight) >= 2 * cfg.dask_workers:  # bounded: chunks hold article texts
            report.labelled += write_labels_task(cfg.db, in_flight.pop(0).result(), version)
    for future in in_flight:
        report.labelled += write_labels_task(cfg.db, future.result(), version)


@flow(name=f"{FLOW_NAME}-stages")
def stages(settings: dict[str, Any], batch: str, run_id: str | None) -> dict[str, Any]:
    """Crawl, load, label and finish, on the task runner the settings ask for."""
    cfg = NewsdeskConfig.model_validate(settings)
    report = steps.RunReport(batch, run_id)
    _crawl_and_load(cfg, load_registry(cfg.sources), report)
    _label(cfg, report)
    report.failing = finish_task(cfg.db)
    return report.as_dict()


@flow(name=FLOW_NAME)
def pipeline(
    sources: str | None = None, db: str | None = None, settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Crawl every source in shards, load, label new and changed articles, report the run.

    `settings` override the configuration (NEWSDESK_* and newsdesk.toml) of the process
    running the flow; `sources` and `db` override both. The work runs in the subflow
    `newsdesk-stages`, whose task runner (threads or Dask) comes from those settings however
    this flow was started; `crawl_runs.flow_run_id` is this flow's run id.
    """
    explicit = {k: v for k, v in {"sources": sources, "db": db}.items() if v is not None}
    cfg = load_config(**{**(settings or {}), **explicit}).resolved()
    load_registry(cfg.sources)  # a bad registry fails the run before anything starts
    with steps.run_lock(cfg.db):
        db = open_db(cfg.db)  # create or upgrade the schema before any worker reads it
        close_interrupted_runs(db)  # under the lock no other run is live
        db.close()
        run_id = str(flow_run.id) if flow_run.id else None
        work = stages.with_options(task_runner=task_runner(cfg))
        report = steps.RunReport(**work(cfg.model_dump(mode="json"), new_batch(), run_id))
    create_markdown_artifact(steps.summary_markdown(report), key=ARTIFACT_KEY,
                             description=f"newsdesk run {report.batch}")
    get_run_logger().info("%d new, %d changed, %d errors, %d labelled", report.new,
                          report.changed, report.errors, report.labelled)
    return report.as_dict()


def run_pipeline(cfg: NewsdeskConfig) -> dict[str, Any]:
    """Run the flow once in this process with `cfg` (the CLI's `newsdesk run`).

    It reports to PREFECT_API_URL, else to the server `newsdesk schedule` runs, else to a
    temporary server Prefect starts for the run.
    """
    from flows.schedule import api_for_run, temporary_server_timeout, using_api

    settings = cfg.resolved().model_dump(mode="json")
    url = api_for_run(cfg)
    if url:
        with using_api(url):
            return pipeline(settings=settings)
    with temporary_server_timeout():
        return pipeline(settings=settings)
