"""`newsdesk schedule`: a real Prefect server and the served, cron-scheduled deployment.

Scheduled runs need a real server (DESIGN §9): the ephemeral one never fires them. Unless
PREFECT_API_URL names a server, `newsdesk schedule` reuses the one answering on
127.0.0.1:<prefect_port> or starts `prefect server start` there with its SQLite database
under <data_dir>/prefect, and stops it again on Ctrl-C. The deployment is served with
`limit=1`, so runs never overlap; the run lock of flows/steps.py covers manual runs too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.config import NewsdeskConfig

DEPLOYMENT_NAME = "scheduled"
SERVER_START_TIMEOUT = 180.0  # a first start creates the database: slow on a busy machine


class ScheduleError(Exception):
    """The Prefect server cannot be reached or started (one-line message)."""


@dataclass
class Server:
    """A Prefect API and, when this process started it, the server process."""

    url: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def started_here(self) -> bool:
        """True when this process owns the server and stops it."""
        return self.process is not None


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect API answers its health check at api_url (…/api)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def external_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def local_api_url(cfg: NewsdeskConfig) -> str:
    """API URL of the server newsdesk runs for itself."""
    return f"http://127.0.0.1:{cfg.prefect_port}/api"


def server_command(cfg: NewsdeskConfig) -> list[str]:
    """The command that starts newsdesk's own Prefect server."""
    return [sys.executable, "-m", "prefect", "server", "start",
            "--host", "127.0.0.1", "--port", str(cfg.prefect_port)]


def server_env(cfg: NewsdeskConfig, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of newsdesk's Prefect server: its home (SQLite database) under data_dir."""
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(cfg.prefect_home.resolve())
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def _last_line(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "no output")


def _die_with_parent() -> None:
    """In the server's process: get SIGTERM if `newsdesk schedule` dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop_server still runs on a clean exit
        pass


def start_server(cfg: NewsdeskConfig, timeout: float = SERVER_START_TIMEOUT) -> Server:
    """Start `prefect server start` on 127.0.0.1 and wait until it answers."""
    url = local_api_url(cfg)
    cfg.prefect_home.mkdir(parents=True, exist_ok=True)
    log = cfg.prefect_home / "server.log"
    with open(log, "ab") as out:
        # its own session: a terminal's Ctrl-C reaches us first, and we stop it last
        process = subprocess.Popen(server_command(cfg), stdout=out, stderr=subprocess.STDOUT,
                                   env=server_env(cfg), start_new_session=True,
                                   preexec_fn=_die_with_parent)
    (cfg.prefect_home / "server.pid").write_text(f"{process.pid}\n", encoding="utf-8")
    server = Server(url, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ScheduleError(
                f"Prefect server exited with code {process.returncode}: {_last_line(log)} "
                f"(log: {log})"
            )
        if is_healthy(url):
            return server
        time.sleep(0.5)
    stop_server(server)
    raise ScheduleError(f"Prefect server did not answer on {url} within {timeout:.0f} s "
                        f"(log: {log})")


def ensure_server(cfg: NewsdeskConfig, timeout: float = SERVER_START_TIMEOUT) -> Server:
    """The server to use: PREFECT_API_URL's, else a running local one, else a new one."""
    external = external_api_url()
    if external:
        if not is_healthy(external):
            raise ScheduleError(f"PREFECT_API_URL={external}: no Prefect server answers there")
        return Server(external)
    url = local_api_url(cfg)
    if is_healthy(url):
        return Server(url)
    return start_server(cfg, timeout)


def stop_server(server: Server, grace: float = 30.0) -> None:
    """Stop the server if this process started it (its whole process group)."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    try:  # the server runs uvicorn and its services as children: stop the group
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@contextmanager
def using_api(url: str) -> Iterator[None]:
    """Point this process, and the flow runs it starts, at the API at url."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


@contextmanager
def temporary_server_timeout(seconds: float = SERVER_START_TIMEOUT) -> Iterator[None]:
    """Give Prefect's temporary server time to start on a busy machine (default 20 s)."""
    from prefect.settings import (
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in os.environ:
        yield
        return
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: seconds}):
        yield


def api_for_run(cfg: NewsdeskConfig) -> str | None:
    """API for a one-off run: PREFECT_API_URL's, else newsdesk's running server, else None
    (Prefect then starts a temporary one)."""
    external = external_api_url()
    if external:
        return external
    url = local_api_url(cfg)
    return url if is_healthy(url) else None


def serve(cfg: NewsdeskConfig, announce: Callable[[str], None] = print) -> None:
    """Serve the scheduled deployment until Ctrl-C or SIGTERM, then stop what was started."""
    from prefect.schedules import Cron

    from flows.pipeline import pipeline

    cfg = cfg.resolved()
    server = ensure_server(cfg)
    announce(("started" if server.started_here else "using") + f" Prefect server {server.url}"
             + (f" (log: {server.log})" if server.log else ""))
    try:
        with using_api(server.url):
            announce(f"serving deployment newsdesk/{DEPLOYMENT_NAME} on cron '{cfg.cron}' "
                     f"({cfg.timezone}); Ctrl-C to stop")
            pipeline.serve(
                name=DEPLOYMENT_NAME,
                schedules=[Cron(cfg.cron, timezone=cfg.timezone)],
                parameters={"settings": cfg.model_dump(mode="json")},
                limit=1,  # one run at a time: a late run waits for the current one
                pause_on_shutdown=True,
                print_starting_message=False,
            )
    finally:
        stop_server(server)
