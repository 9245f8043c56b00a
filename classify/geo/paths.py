"""Where the curated geographic data files live."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
