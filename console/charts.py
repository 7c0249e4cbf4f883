"""Charts drawn on the server as SVG: one bar per line, its label above it, its value beside.

Presentation attributes only (no ``style``), so the page's Content-Security-Policy holds.
Right-to-left pages get mirrored charts: labels and bars start on the right.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
BAR_MAX = 520  # leaves room for the value beside the longest bar
BAR_H = 20
ROW_H = 52


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader writes it


def _text(x: int, y: int, text: str, *, rtl: bool, bold: bool = False) -> str:
    # "start" is the right edge in a right-to-left text, so one anchor serves both directions.
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x}" y="{y}" direction="{"rtl" if rtl else "ltr"}" text-anchor="start"'
        f' font-size="14" fill="#222"{weight}>{escape(text)}</text>'
    )


def bars(title: str, items: list[Bar], *, colour: str = "#b3261e", rtl: bool = False) -> Markup:
    """Return an accessible SVG bar chart (role img, title) for the given bars."""
    top = max((b.value for b in items), default=0) or 1
    height = max(1, len(items)) * ROW_H + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(items):
        y = i * ROW_H + 18
        length = max(2, round(BAR_MAX * bar.value / top)) if bar.value else 0
        edge = WIDTH - 2 if rtl else 2
        bar_x = edge - length if rtl else edge
        value_x = bar_x - 8 if rtl else bar_x + length + 8
        parts.append(_text(edge, y, bar.label, rtl=rtl))
        parts.append(
            f'<rect x="{bar_x}" y="{y + 6}" width="{length}" height="{BAR_H}" fill="{colour}"'
            ' rx="3"/>'
        )
        parts.append(_text(value_x, y + 6 + BAR_H - 5, bar.shown, rtl=rtl, bold=True))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value inside is escaped above
