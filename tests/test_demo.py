"""The main job on the embedded default: `newsdesk demo --no-serve`."""

import json
import subprocess
import sys
from pathlib import Path

from db.connect import open_db

ROOT = Path(__file__).resolve().parent.parent


def test_demo_builds_a_labelled_database(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--no-serve", "--db", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "per source:" in proc.stdout and "per theme:" in proc.stdout
    db = open_db(path)
    n = db["articles"].count
    assert n >= 40
    assert db.execute("SELECT count(DISTINCT source_id) FROM articles").fetchone()[0] >= 4
    assert db.execute("SELECT count(*) FROM articles WHERE title IS NULL OR text IS NULL "
                      "OR language IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(DISTINCT language) FROM articles").fetchone()[0] >= 3
    assert db.execute("SELECT count(*) FROM articles WHERE kind = 'document'"
                      ).fetchone()[0] >= 2
    with_country = db.execute(
        "SELECT count(*) FROM articles WHERE primary_country IS NOT NULL "
        "OR countries != '[]'").fetchone()[0]
    assert with_country >= 0.8 * n
    assert db.execute("SELECT count(*) FROM articles WHERE relevant = 1").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM articles WHERE relevant IS NULL").fetchone()[0] == 0
    # labels agree with the demo's answer key well beyond chance
    def site_path(url: str) -> str:
        return "/" + url.split("/", 3)[3]

    key = {site_path(json.loads(line)["url"]): json.loads(line)
           for line in (ROOT / "demo" / "labels.jsonl").open(encoding="utf-8")}
    matched = [(r, key[site_path(r["url"])])
               for r in db.query("SELECT url, relevant, primary_country FROM articles")
               if site_path(r["url"]) in key]
    assert len(matched) == n
    agree = sum(bool(r["relevant"]) == k["relevant"] for r, k in matched) / n
    assert agree >= 0.75, f"relevance agrees with the answer key on {agree:.0%}"

    # running it again adds nothing
    again = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--no-serve", "--db", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0
    assert "0 new" in again.stdout
    assert open_db(path)["articles"].count == n
