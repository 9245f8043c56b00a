"""The bundled demo site (demo/site) served on 127.0.0.1, and its registry for that port."""

from __future__ import annotations

import shutil
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
SITE_DIR = DEMO_DIR / "site"
SOURCES = DEMO_DIR / "sources.yaml"
BUILT_BASE = "http://127.0.0.1:8765"  # the base demo/build.py writes into feeds and pages
TEXT_SUFFIXES = {".html", ".xml", ".txt", ".yaml"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class DemoSite:
    """Serves a copy of the demo site whose absolute URLs point at the port it listens on."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not SITE_DIR.is_dir():
            raise FileNotFoundError(f"{SITE_DIR}: demo site missing (run demo/build.py)")
        self._tmp = tempfile.TemporaryDirectory(prefix="newsdesk-demo-")
        self.root = Path(self._tmp.name) / "site"
        handler = partial(_QuietHandler, directory=str(self.root))
        self.server = ThreadingHTTPServer((host, port), handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        # articles are stored under the built base whatever port serves them, so ids are stable
        self.served_as = (BUILT_BASE, self.base)
        self._copy(SITE_DIR, self.root)
        self.sources = Path(self._tmp.name) / "sources.yaml"
        self._copy_file(SOURCES, self.sources)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _copy_file(self, src: Path, dst: Path) -> None:
        if src.suffix in TEXT_SUFFIXES:
            dst.write_bytes(src.read_bytes().replace(BUILT_BASE.encode(), self.base.encode()))
        else:
            shutil.copyfile(src, dst)
        shutil.copystat(src, dst)  # keep mtimes: Last-Modified stays stable across demo runs

    def _copy(self, src: Path, dst: Path) -> None:
        for path in src.rglob("*"):
            target = dst / path.relative_to(src)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._copy_file(path, target)

    def __enter__(self) -> DemoSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._tmp.cleanup()
