"""`newsdesk sources check`: reachability and parseability of every entry page."""

import socket
import subprocess
import sys
import urllib.error
from pathlib import Path

from crawlers.check import check_sources, http_fetch
from crawlers.registry import load_registry
from tests.fault_site import FaultSite

ROOT = Path(__file__).resolve().parent.parent


def registry(tmp_path: Path, base: str) -> Path:
    entries = {
        "good-feed": f"feeds: [{base}/feed.xml]",
        "missing-feed": f"feeds: [{base}/fault/404.html]",
        "html-sitemap": f"sitemaps: [{base}/fault/empty.html]",
        "disallowed": f"feeds: [{base}/private/feed.xml]",
        "empty-listing": f"start_urls: [{base}/ok/1.html]\n    link_selector: 'h2.none a'",
    }
    text = "sources:\n" + "".join(
        f"  - id: {sid}\n    name: {sid}\n    source_type: press\n    {entry}\n"
        f"    allowed_domains: [127.0.0.1]\n" for sid, entry in entries.items())
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_entry_page_gets_a_verdict(tmp_path: Path) -> None:
    with FaultSite() as site:
        checks = check_sources(load_registry(registry(tmp_path, site.base)), http_fetch(5))
    verdicts = {c.source_id: (c.verdict, c.detail) for c in checks}
    assert verdicts["good-feed"] == ("ok", "22 entries, 19 in domains")  # 2 no link, 1 .invalid
    assert verdicts["missing-feed"] == ("fail", "HTTP 404")
    assert verdicts["html-sitemap"] == ("fail", "not a sitemap or sitemap index")
    assert verdicts["disallowed"] == ("fail", "robots.txt disallows it for newsdesk")
    assert verdicts["empty-listing"][0] == "warn"


def test_unreachable_hosts_fail_with_the_reason(tmp_path: Path) -> None:
    def no_dns(url: str):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    sources = load_registry(ROOT / "crawlers" / "sources.yaml")[:3]
    checks = check_sources(sources, no_dns)
    assert checks and all(c.verdict == "fail" and c.detail.startswith("dns") for c in checks)


def test_command_checks_the_demo_registry(demo_site: object) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sources", "check", "--sources",
         str(demo_site.sources), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 ok, 0 warn, 0 fail" in proc.stdout


def test_command_refuses_an_invalid_registry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: Bad Id\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "sources", "check", "--sources",
                           str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "bad.yaml:2" in proc.stderr
