"""Cover sheet and manifest of a batch."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from relay.export.drawing import Side, labelled, line_height, text_cell
from relay.export.items import BatchHeader
from relay.export.labels import Labels
from relay.export.layout import Geometry, PreparedItem

# Manifest columns as parts of the usable width: No., reference, Latin name, own-script
# name, detainee number, hand-over box, signature.
_COLUMNS = (0.05, 0.17, 0.22, 0.21, 0.12, 0.09, 0.14)


def draw_cover(
    pdf: FPDF, geo: Geometry, words: Labels, header: BatchHeader, count: int, *, rtl: bool
) -> None:
    """Draw the cover sheet: title, site, batch id, date and number of messages."""
    side = Side(geo.width, rtl)
    pdf.add_page()
    m = geo.margin
    w = geo.width - 2 * m
    y = m + geo.mm(30)
    title = words.batch_title
    y += text_cell(pdf, m, y, w, title, geo.pt(24), bold=True, align=side.align()) + geo.mm(12)
    size = geo.pt(14)
    rows = (
        (words.site, f"{header.site_code} · {header.site_name}"),
        (words.batch, header.batch_id),
        (words.date, header.created.isoformat()),
        (words.count, str(count)),
    )
    for label, value in rows:
        y += labelled(pdf, side, m, y, w, (label, ""), value, size) + geo.mm(3)


def _manifest_heading(pdf: FPDF, geo: Geometry, words: Labels, y: float, side: Side) -> float:
    m = geo.margin
    w = geo.width - 2 * m
    heading = words.manifest
    y += text_cell(pdf, m, y, w, heading, geo.pt(16), bold=True, align=side.align()) + geo.mm(3)
    headings = (
        words.number,
        words.reference,
        words.addressee_latin,
        words.addressee_own,
        words.detainee_number,
        words.handed_over,
        words.signature,
    )
    x = m
    size = geo.pt(8)
    for part, heading in zip(_COLUMNS, headings, strict=True):
        cw = part * w - 1.6
        text_cell(
            pdf, side.x(x + 0.8, cw), y, cw, heading, size, bold=True, floor=5, align=side.align()
        )
        x += part * w
    y += line_height(size) + geo.mm(1)
    pdf.set_line_width(0.3)
    pdf.line(m, y, m + w, y)
    return y + geo.mm(1)


def draw_manifest(
    pdf: FPDF, geo: Geometry, words: Labels, prepared: Sequence[PreparedItem], *, rtl: bool
) -> None:
    """Draw the hand-over manifest, one row per message, over as many pages as needed.

    On a right-to-left site the columns run from the right (mirrored as a whole).
    """
    side = Side(geo.width, rtl)
    m = geo.margin
    w = geo.width - 2 * m
    row_h = geo.mm(9)
    bottom = geo.height - m - geo.mm(6)
    size = geo.pt(9)
    pdf.add_page()
    y = _manifest_heading(pdf, geo, words, m, side)
    for index, entry in enumerate(prepared, start=1):
        if y + row_h > bottom:
            pdf.add_page()
            y = _manifest_heading(pdf, geo, words, m, side)
        item = entry.item
        cells = (
            str(index),
            item.reference,
            item.addressee_name_latin,
            item.addressee_name,
            item.detainee_number or "",
        )
        x = m
        text_y = y + (row_h - line_height(size)) / 2
        for part, value in zip(_COLUMNS, cells, strict=False):
            if value:
                cw = part * w - 1.6
                text_cell(
                    pdf, side.x(x + 0.8, cw), text_y, cw, value, size, floor=5, align=side.align()
                )
            x += part * w
        box = min(row_h - geo.mm(3), _COLUMNS[5] * w - geo.mm(2))
        pdf.set_line_width(0.25)
        pdf.rect(side.x(x + (_COLUMNS[5] * w - box) / 2, box), y + (row_h - box) / 2, box, box)
        x += _COLUMNS[5] * w
        sign_y = y + row_h - geo.mm(2)
        pdf.line(side.x(x + geo.mm(1), 0), sign_y, side.x(m + w - geo.mm(1), 0), sign_y)
        pdf.set_line_width(0.1)
        pdf.set_draw_color(170)
        pdf.line(m, y + row_h, m + w, y + row_h)
        pdf.set_draw_color(0)
        y += row_h
