"""The settings object: precedence of its sources; one-line errors naming their source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.config import ConfigError, NewsdeskConfig, load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No NEWSDESK_* from the caller, and a working directory without newsdesk.toml."""
    for name in list(os.environ):
        if name.startswith("NEWSDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_daily_with_retries_and_a_time_limit() -> None:
    cfg = load_config()
    assert cfg.cron == "0 3 * * *" and cfg.timezone == "UTC"
    assert cfg.crawl_retries >= 1 and cfg.crawl_timeout > 0
    assert cfg.db == Path("data/newsdesk.db") and cfg.sources.name == "sources.yaml"
    assert cfg.task_runner == "thread"


def test_option_beats_environment_beats_toml(monkeypatch: pytest.MonkeyPatch,
                                             clean_env: Path) -> None:
    (clean_env / "newsdesk.toml").write_text(
        'cron = "0 1 * * *"\ncrawl_retries = 5\ndb = "from-toml.db"\n'
        '[scrapy_settings]\nDOWNLOAD_DELAY = "2"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_CRON", "0 2 * * *")
    cfg = load_config(db=Path("from-option.db"))
    assert cfg.db == Path("from-option.db")
    assert cfg.cron == "0 2 * * *"
    assert cfg.crawl_retries == 5 and cfg.scrapy_settings == {"DOWNLOAD_DELAY": "2"}
    assert load_config(db=None).db == Path("from-toml.db")  # None means "not given"


def test_newsdesk_config_names_the_toml_file(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("task_runner = 'dask'\ndask_workers = 4\n", encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_CONFIG", str(path))
    cfg = load_config()
    assert (cfg.task_runner, cfg.dask_workers) == ("dask", 4)


@pytest.mark.parametrize(("env", "toml", "needles"), [
    ({"NEWSDESK_CRON": "every day"}, "", ["NEWSDESK_CRON", "cron expression"]),
    ({"NEWSDESK_CRAWL_TIMEOUT": "-5"}, "", ["NEWSDESK_CRAWL_TIMEOUT", "greater than 0"]),
    ({"NEWSDESK_TASK_RUNNER": "spark"}, "", ["NEWSDESK_TASK_RUNNER", "'thread' or 'dask'"]),
    ({}, "timezone = 'Mars/Olympus'\n", ["newsdesk.toml: timezone", "IANA time zone"]),
    ({}, "crawl_retires = 3\n", ["newsdesk.toml: crawl_retires", "unknown setting"]),
    ({}, "cron = \n", ["newsdesk.toml", "not valid TOML"]),
    ({"NEWSDESK_CONFIG": "/no/such/newsdesk.toml"}, "", ["/no/such/newsdesk.toml", "no such"]),
])
def test_bad_settings_fail_in_one_line_naming_their_source(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, env: dict[str, str], toml: str,
    needles: list[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if toml:
        (clean_env / "newsdesk.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message


def test_resolved_paths_are_absolute(clean_env: Path) -> None:
    cfg = load_config(db=Path("x.db")).resolved()
    assert cfg.db == clean_env / "x.db" and cfg.data_dir.is_absolute()
    assert cfg.feeds_dir == cfg.data_dir / "crawls"
    assert NewsdeskConfig.model_validate(cfg.model_dump(mode="json")) == cfg  # flow parameters


def test_cli_reports_bad_configuration_in_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env["NEWSDESK_CRAWL_RETRIES"] = "many"
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--db", str(tmp_path / "n.db")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "NEWSDESK_CRAWL_RETRIES" in lines[0], proc.stderr
    assert not (tmp_path / "n.db").exists()


def test_every_setting_is_documented_in_operations_guide() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in NewsdeskConfig.model_fields if f"| `{name}` |" not in guide]
    assert not missing, f"settings missing from docs/operations.md: {missing}"
