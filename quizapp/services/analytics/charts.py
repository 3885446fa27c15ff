"""Small server-rendered SVG charts: readable without JavaScript, printable, no inline styles (CSP).

Text is escaped with markupsafe; colours are SVG presentation attributes, not CSS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0b5cab", "#b35c00", "#146c2e", "#7b2e8e", "#a4262c", "#00626b")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[dt.datetime, float]]  # (time, percent 0-100)


def score_history(series: list[Series], pass_mark: int | None = None, width: int = 640, height: int = 240) -> Markup:
    """Scores over time, one line per bank, y from 0 to 100%, with the pass mark dashed."""
    points = [p for s in series for p in s.points]
    if not points:
        return Markup('<p class="muted">No submitted attempts yet.</p>')
    left, right, top, bottom = 44, 16, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    t0 = min(p[0] for p in points)
    t1 = max(p[0] for p in points)
    span = max((t1 - t0).total_seconds(), 1.0)

    def x(t: dt.datetime) -> float:
        return left + plot_w * ((t - t0).total_seconds() / span if len(points) > 1 else 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, v)) / 100)

    title = "Scores over time: " + "; ".join(
        f"{s.label}: " + ", ".join(f"{v:.0f}% on {t:%d %b %Y}" for t, v in s.points) for s in series if s.points
    )
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#d5dbe1"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5a6672">{tick}%</text>'
        )
    if pass_mark is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(pass_mark):.1f}" y2="{y(pass_mark):.1f}" '
            f'stroke="#a4262c" stroke-dasharray="4 3"/>'
            f'<text x="{width - right}" y="{y(pass_mark) - 4:.1f}" text-anchor="end" font-size="11" fill="#a4262c">'
            f"pass mark {pass_mark}%</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="#5a6672">{t0:%d %b %Y}</text>'
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11" fill="#5a6672">{t1:%d %b %Y}</text>'
    )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in sorted(s.points))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for t, v in s.points:
            parts.append(
                f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"><title>'
                f"{escape(s.label)}: {v:.0f}% on {t:%d %b %Y}</title></circle>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/></svg> '
        f"{escape(s.label)}</li>"
        for i, s in enumerate(series)
        if s.points
    )
    return Markup("".join(parts) + f'<ul class="legend">{legend}</ul>')
