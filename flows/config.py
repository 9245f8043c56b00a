"""The one settings object: NEWSDESK_* environment variables over an optional newsdesk.toml.

Precedence, highest first: command-line options, environment variables (`NEWSDESK_DB`,
`NEWSDESK_CRON`, ...), the TOML file (`NEWSDESK_CONFIG`, else `./newsdesk.toml` when it
exists), then the defaults below. Every setting is documented in docs/operations.md.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

import crawlers

ENV_PREFIX = "NEWSDESK_"
CONFIG_ENV = "NEWSDESK_CONFIG"
DEFAULT_TOML = Path("newsdesk.toml")
DEFAULT_SOURCES = Path(crawlers.__file__).parent / "sources.yaml"

_toml_data: ContextVar[dict[str, Any] | None] = ContextVar("newsdesk_toml", default=None)


class ConfigError(Exception):
    """The configuration is invalid; the message is one line naming where the value came from."""


class NewsdeskConfig(BaseSettings):
    """Operator settings for runs and schedules."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    db: Path = Field(Path("data/newsdesk.db"), description="SQLite database file.")
    sources: Path = Field(DEFAULT_SOURCES, description="Source registry (DESIGN §4.3).")
    data_dir: Path = Field(
        Path("data"), description="Crawl feeds and the Prefect server's own database."
    )
    cron: str = Field("0 3 * * *", description="When `newsdesk schedule` runs: daily, 03:00.")
    timezone: str = Field("UTC", description="Time zone of the cron expression.")
    crawl_timeout: float = Field(3600, gt=0, description="Seconds one crawl batch may take.")
    crawl_retries: int = Field(2, ge=0, le=10, description="Retries of a crashed crawl batch.")
    crawl_retry_delay: float = Field(
        60, ge=0, description="Seconds before the first retry; doubles each retry."
    )
    crawl_batch_size: int = Field(10, ge=1, description="Sources per crawl child process.")
    crawl_concurrency: int = Field(2, ge=1, description="Crawl batches running at once.")
    classify_chunk: int = Field(200, ge=1, description="Articles per classification task.")
    contact: str | None = Field(None, description="Contact URL or e-mail in the User-Agent.")
    scrapy_settings: dict[str, str] = Field(
        default_factory=dict, description="Scrapy setting overrides for every crawl."
    )
    task_runner: Literal["thread", "dask"] = Field(
        "thread", description="thread: one machine; dask: spread crawls and tagging."
    )
    dask_address: str | None = Field(
        None, description="Scheduler of an existing Dask cluster; none: a local one."
    )
    dask_workers: int = Field(2, ge=1, description="Workers of the local Dask cluster.")
    prefect_port: int = Field(
        4200, ge=1, le=65535, description="Port of the Prefect server `schedule` starts."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings,
                InitSettingsSource(settings_cls, init_kwargs=_toml_data.get() or {}))

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from prefect._vendor.croniter import croniter  # what the deployment's schedule uses

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("not a five-field cron expression (minute hour day month weekday)")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name such as UTC or Europe/Zurich") from None
        return value

    @field_validator("db", "data_dir")
    @classmethod
    def _not_a_directory(cls, value: Path, info: Any) -> Path:
        if info.field_name == "db" and value.is_dir():
            raise ValueError("is a directory, not a database file")
        if info.field_name == "data_dir" and value.exists() and not value.is_dir():
            raise ValueError("exists and is not a directory")
        return value

    def resolved(self) -> NewsdeskConfig:
        """A copy whose paths are absolute (a flow run may start in another directory)."""
        return self.model_copy(update={
            "db": self.db.resolve(), "sources": self.sources.resolve(),
            "data_dir": self.data_dir.resolve(),
        })

    @property
    def feeds_dir(self) -> Path:
        """Where crawl batches write their feeds (shared storage when crawls are spread)."""
        return self.data_dir / "crawls"

    @property
    def prefect_home(self) -> Path:
        """PREFECT_HOME of the server `newsdesk schedule` starts."""
        return self.data_dir / "prefect"


def config_file(environ: dict[str, str] | None = None) -> Path | None:
    """The TOML file to read: NEWSDESK_CONFIG, else ./newsdesk.toml when it exists."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_TOML if DEFAULT_TOML.is_file() else None


def _read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file ({CONFIG_ENV})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror}") from None


def _where(field: str, overrides: dict[str, Any], toml: dict[str, Any], path: Path | None) -> str:
    if field in overrides:
        return f"--{field.replace('_', '-')}"
    env = f"{ENV_PREFIX}{field.upper()}"
    if env in os.environ:
        return env
    if field in toml:
        return f"{path}: {field}"
    return field


def _message(error: ValidationError, overrides: dict[str, Any], toml: dict[str, Any],
             path: Path | None) -> str:
    parts = []
    for e in error.errors():
        field = str(e["loc"][0]) if e["loc"] else "?"
        where = _where(field, overrides, toml, path)
        if e["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown setting")
            continue
        reason = e["msg"].removeprefix("Value error, ")
        shown = e.get("input")
        value = "" if isinstance(shown, dict) or shown is None else f" = {shown!r}"
        parts.append(f"{where}{value}: {reason}")
    return "invalid configuration: " + "; ".join(parts)


def load_config(**overrides: Any) -> NewsdeskConfig:
    """Read and validate the settings; `overrides` (None values ignored) win over everything."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    path = config_file()
    toml = _read_toml(path)
    token = _toml_data.set(toml)
    try:
        return NewsdeskConfig(**overrides)
    except ValidationError as e:
        raise ConfigError(_message(e, overrides, toml, path)) from None
    finally:
        _toml_data.reset(token)
