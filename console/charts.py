"""Charts drawn on the server as SVG: horizontal bars with their labels and values.

Presentation attributes only (no ``style``), so the page's Content-Security-Policy holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_H = 22
GAP = 8
LABEL_W = 260
BAR_W = 360


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader writes it


def bars(title: str, items: list[Bar], *, colour: str = "#b3261e") -> Markup:
    """Return an accessible SVG bar chart (role img, title) for the given bars."""
    top = max((b.value for b in items), default=0) or 1
    height = max(1, len(items)) * (BAR_H + GAP) + GAP
    width = LABEL_W + BAR_W + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" dir="ltr"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(items):
        y = GAP + i * (BAR_H + GAP)
        length = max(2, round(BAR_W * bar.value / top)) if bar.value else 0
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 6}" text-anchor="end"'
            f' font-size="14" fill="#222">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{length}" height="{BAR_H}" fill="{colour}"'
            ' rx="3"/>'
            f'<text x="{LABEL_W + length + 6}" y="{y + BAR_H - 6}" font-size="14"'
            f' fill="#222">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value inside is escaped above
