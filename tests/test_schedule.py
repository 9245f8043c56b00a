"""`newsdesk schedule`: server reuse rules, the served deployment, and a real scheduled run."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows import schedule
from flows.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_source_registry(site: Any, folder: Path, source_id: str = "demo-sante-sn") -> Path:
    data = yaml.safe_load(site.sources.read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["id"] == source_id]
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_server_env_puts_prefect_home_under_data_dir(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path / "data")
    env = schedule.server_env(cfg, {"PREFECT_API_URL": "http://elsewhere/api", "PATH": "/bin"})
    assert env["PREFECT_HOME"] == str((tmp_path / "data" / "prefect").resolve())
    assert "PREFECT_API_URL" not in env and env["PATH"] == "/bin"
    assert schedule.server_command(cfg)[-4:] == ["--host", "127.0.0.1", "--port", "4200"]


def test_unreachable_prefect_api_url_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    with pytest.raises(schedule.ScheduleError, match="PREFECT_API_URL=.*no Prefect server"):
        schedule.ensure_server(load_config(data_dir=tmp_path))


def test_serve_registers_cron_deployment_with_one_run_at_a_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from prefect.flows import Flow

    seen: dict[str, Any] = {}
    monkeypatch.setattr(schedule, "ensure_server",
                        lambda cfg: schedule.Server("http://127.0.0.1:1/api"))
    monkeypatch.setattr(Flow, "serve", lambda self, **kw: seen.update(kw, flow=self))
    cfg = load_config(db=tmp_path / "n.db", cron="*/5 * * * *", timezone="Europe/Zurich")
    schedule.serve(cfg, announce=lambda line: None)
    assert seen["limit"] == 1 and seen["name"] == schedule.DEPLOYMENT_NAME
    (cron,) = seen["schedules"]
    assert cron.cron == "*/5 * * * *" and cron.timezone == "Europe/Zurich"
    assert seen["parameters"]["settings"]["db"] == str((tmp_path / "n.db").resolve())
    assert seen["flow"].name == "newsdesk"


def _scheduled_result(db: Path) -> tuple[list[tuple[str, str]], int]:
    """crawl_runs rows written by a flow run, and articles labelled so far."""
    if not db.is_file():
        return [], 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            runs = conn.execute(
                "SELECT flow_run_id, status FROM crawl_runs "
                "WHERE flow_run_id IS NOT NULL AND status != 'running'"
            ).fetchall()
            labelled = conn.execute(
                "SELECT count(*) FROM articles WHERE model_version IS NOT NULL").fetchone()[0]
            return runs, labelled
    except sqlite3.OperationalError:  # no schema yet
        return [], 0


def _stop_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def test_schedule_fires_a_run_by_itself_and_stops_on_ctrl_c(demo_site: Any,
                                                             tmp_path: Path) -> None:
    """Slow (about 1-2 minutes): a real Prefect server, a cron run every minute."""
    registry = one_source_registry(demo_site, tmp_path)
    db = tmp_path / "news.db"
    data = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    env.update(NEWSDESK_DATA_DIR=str(data), NEWSDESK_PREFECT_PORT=str(port),
               PREFECT_HOME=str(tmp_path / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    assert not schedule.is_healthy(f"http://127.0.0.1:{port}/api")
    log = tmp_path / "schedule.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "schedule", "--sources", str(registry),
             "--db", str(db), "--cron", "* * * * *"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        runs: list[tuple[str, str]] = []
        labelled = 0
        while time.monotonic() - started < 200 and proc.poll() is None and not labelled:
            time.sleep(2)
            runs, labelled = _scheduled_result(db)
        fired_after = time.monotonic() - started
        assert labelled, f"no scheduled run after {fired_after:.0f} s:\n{log.read_text()[-3000:]}"
        assert [status for _, status in runs] == ["ok"]
        print(f"first scheduled run stored after {fired_after:.0f} s")

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert proc.wait(90) == 0, log.read_text()[-3000:]
        assert not schedule.is_healthy(f"http://127.0.0.1:{port}/api")  # its server stopped
    finally:
        if proc.poll() is None:
            _stop_group(proc.pid)
        pid_file = data / "prefect" / "server.pid"
        if pid_file.is_file() and schedule.is_healthy(f"http://127.0.0.1:{port}/api"):
            _stop_group(int(pid_file.read_text()))
