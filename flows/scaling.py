"""How a run spreads: crawl shards of the registry, and the task runner that executes them.

One machine: a thread pool runs `crawl_concurrency` crawl child processes at once and tags
articles in the flow's process. `task_runner = "dask"`: a Dask cluster (local, or the one at
`dask_address`) runs crawl shards and tagging chunks on its workers, while the flow's process
stays the single writer of the SQLite file (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawlers.registry import Source
from flows.config import NewsdeskConfig

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Shard:
    """Sources crawled together in one child process."""

    index: int
    source_ids: tuple[str, ...]
    loopback: bool  # every source is on this machine: no politeness delays


def is_loopback(source: Source) -> bool:
    """True when every domain the source may crawl is this machine."""
    return all(d in LOOPBACK_HOSTS for d in source.allowed_domains)


def plan_shards(sources: Sequence[Source], size: int) -> list[Shard]:
    """Split the registry into shards of at most `size` sources, loopback ones apart."""
    shards: list[Shard] = []
    for loopback in (False, True):
        group = [s.id for s in sources if is_loopback(s) == loopback]
        for start in range(0, len(group), size):
            shards.append(Shard(len(shards), tuple(group[start:start + size]), loopback))
    return shards


def is_parallel(cfg: NewsdeskConfig) -> bool:
    """Whether tagging is spread over workers (Dask) rather than run in the flow's process."""
    return cfg.task_runner == "dask"


def task_runner(cfg: NewsdeskConfig) -> TaskRunner[Any]:
    """The task runner the configuration asks for."""
    if cfg.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if cfg.dask_address:
            return DaskTaskRunner(address=cfg.dask_address)
        return DaskTaskRunner(cluster_kwargs={
            "n_workers": cfg.dask_workers, "threads_per_worker": 1, "processes": True,
            "dashboard_address": None,
        })
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=cfg.crawl_concurrency)
