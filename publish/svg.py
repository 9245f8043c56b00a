"""Server-side SVG charts: items per theme over time, and items per country on a world grid.

Rendered as strings with every text value escaped, so pages need no JavaScript and no
network: the map draws proportional circles at each country's reference point on an
equirectangular grid (no coastlines are bundled).
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape
from typing import Any

THEME_COLOURS = {
    "plan": "#4e79a7",
    "space": "#f28e2b",
    "staff": "#59a14f",
    "stuff": "#e15759",
    "systems": "#76b7b2",
    "financing": "#b07aa1",
}


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def theme_timeline(
    rows: list[dict[str, Any]], theme_names: dict[str, str], width: int = 760, height: int = 280
) -> str:
    """Line chart of relevant items per theme and month (rows: month, theme, items)."""
    valid = [r for r in rows if len(r["month"]) == 7 and r["month"][4] == "-"]
    if not valid:
        return '<p class="nd-empty">No dated relevant items yet.</p>'
    months = _months(min(r["month"] for r in valid), max(r["month"] for r in valid))
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for r in valid:
        series[r["theme"]][r["month"]] = r["items"]
    top = max(max(s.values()) for s in series.values())
    left, right, top_pad, bottom = 48, 130, 16, 36
    pw, ph = width - left - right, height - top_pad - bottom

    def x(i: int) -> float:
        return left + (pw * i / max(len(months) - 1, 1))

    def y(v: float) -> float:
        return top_pad + ph - ph * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="nd-chart" role="img" aria-labelledby="nd-timeline-title">',
        '<title id="nd-timeline-title">Relevant items per theme and month</title>',
        f'<line x1="{left}" y1="{top_pad + ph}" x2="{left + pw}" y2="{top_pad + ph}" '
        'stroke="#888"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + ph}" stroke="#888"/>',
    ]
    for frac in (0, 0.5, 1):
        v = top * frac
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                     f'class="nd-axis">{round(v)}</text>')
    for i, month in enumerate(months):
        if month.endswith("-01") or len(months) <= 12 or i == 0:
            label = month[:4] if month.endswith("-01") and len(months) > 12 else month
            parts.append(f'<text x="{x(i):.1f}" y="{top_pad + ph + 18}" text-anchor="middle" '
                         f'class="nd-axis">{escape(label)}</text>')
    for n, (theme, colour) in enumerate(THEME_COLOURS.items()):
        values = series.get(theme, {})
        points = " ".join(f"{x(i):.1f},{y(values.get(m, 0)):.1f}" for i, m in enumerate(months))
        name = escape(theme_names.get(theme, theme))
        total = sum(values.values())
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}"><title>{name}: {total} items</title></polyline>')
        ly = top_pad + 14 + n * 18
        parts.append(f'<rect x="{left + pw + 12}" y="{ly - 9}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{left + pw + 27}" y="{ly}" '
                     f'class="nd-legend">{name} ({total})</text>')
    parts.append("</svg>")
    return "".join(parts)


def world_map(
    countries: list[dict[str, Any]], width: int = 760, height: int = 380, link: str = "/country/"
) -> str:
    """Circles sized by relevant items at each country's point; each links to its page."""
    placed = [c for c in countries if c.get("latitude") is not None and c.get("items")]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="nd-map" role="img" aria-labelledby="nd-map-title">',
        '<title id="nd-map-title">Relevant items per primary country</title>',
        f'<rect width="{width}" height="{height}" fill="#f4f7fa"/>',
    ]
    for lon in range(-180, 181, 30):
        xx = (lon + 180) / 360 * width
        parts.append(f'<line x1="{xx:.1f}" y1="0" x2="{xx:.1f}" y2="{height}" stroke="#dde3ea"/>')
    for lat in range(-90, 91, 30):
        yy = (90 - lat) / 180 * height
        parts.append(f'<line x1="0" y1="{yy:.1f}" x2="{width}" y2="{yy:.1f}" stroke="#dde3ea"/>')
    top = max((c["items"] for c in placed), default=1)
    for c in sorted(placed, key=lambda c: -c["items"]):  # small circles drawn on top
        xx = (c["longitude"] + 180) / 360 * width
        yy = (90 - c["latitude"]) / 180 * height
        r = 3 + 22 * math.sqrt(c["items"] / top)
        name = escape(c.get("name") or c["iso3"])
        parts.append(
            f'<a href="{escape(link + c["iso3"])}"><circle cx="{xx:.1f}" cy="{yy:.1f}" '
            f'r="{r:.1f}" fill="#c0392b" fill-opacity="0.55" stroke="#7b241c">'
            f'<title>{name}: {c["items"]} relevant items</title></circle></a>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar(value: float | None, width: int = 120) -> str:
    """A small horizontal bar for a probability in [0, 1]."""
    v = 0.0 if value is None else max(0.0, min(1.0, float(value)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="10" '
            f'class="nd-bar"><rect width="{width}" height="10" fill="#eee"/>'
            f'<rect width="{v * width:.1f}" height="10" fill="#4e79a7"/></svg>')
