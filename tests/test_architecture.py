"""The layout rules of DESIGN §3 and the packaging guard of DESIGN §9."""

import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("crawlers", "classify", "flows", "db", "publish")


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


def test_no_other_distribution_provides_our_packages() -> None:
    owners = packages_distributions()
    clashes = {
        name: sorted(set(owners[name]) - {"newsdesk"})
        for name in OUR_PACKAGES
        if set(owners.get(name, [])) - {"newsdesk"}
    }
    assert not clashes, f"installed distributions shadow our packages: {clashes}"


def test_our_packages_import_from_this_checkout() -> None:
    import importlib

    for name in OUR_PACKAGES:
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().parent == ROOT / name


def test_code_is_ruff_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
