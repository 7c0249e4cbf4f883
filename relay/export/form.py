"""One message laid out like the paper form: header, people, message, photo, reply part.

Long texts first shrink (12 pt down to an 8 pt floor on A4); if they still do not fit they
go on over continuation pages, and the reply part is printed once, at the foot of the last
page of the message, so the cut-off reply always carries the whole message's reference.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf import FPDF

from relay.export import fonts
from relay.export.drawing import (
    labelled,
    line_height,
    photo_jpeg,
    surely_fits,
    text_cell,
    wrap,
)
from relay.export.labels import Labels
from relay.export.layout import SIZE_FACTOR, Geometry, PreparedItem
from relay.export.qr import draw_qr

TEXT_SIZES_A4 = (12.0, 11.0, 10.0, 9.0, 8.0)  # the last one is the floor


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    w: float
    h: float


def _form_header(
    pdf: FPDF, geo: Geometry, title: str, subtitle: str, reference: str, y: float
) -> float:
    """Draw title, reference text and its QR code; return the y below them."""
    m = geo.margin
    qr = geo.mm(28)
    text_w = geo.width - 2 * m - qr - geo.mm(4)
    draw_qr(pdf, reference, geo.width - m - qr, y, qr)
    line_y = y + geo.mm(1)
    line_y += text_cell(pdf, m, line_y, text_w, title, geo.pt(17), bold=True)
    if subtitle:
        line_y += text_cell(pdf, m, line_y, text_w, subtitle, geo.pt(9))
    line_y += geo.mm(1)
    text_cell(pdf, m, line_y, text_w, reference, geo.pt(18), bold=True, family=fonts.LATIN)
    return y + qr


def _person(
    pdf: FPDF,
    geo: Geometry,
    box: _Box,
    heading: str,
    name: str,
    latin: str,
    details: tuple[tuple[str, str | None], ...],
) -> float:
    """Draw a person block (names in own script and Latin letters, details); return its height."""
    y = box.y
    y += text_cell(pdf, box.x, y, box.w, heading, geo.pt(9), bold=True)
    y += text_cell(pdf, box.x, y, box.w, name, geo.pt(13))
    if latin and latin != name:
        y += text_cell(pdf, box.x, y, box.w, latin, geo.pt(10), family=fonts.LATIN)
    for label, value in details:
        if value:
            y += labelled(pdf, box.x, y, box.w, label, value, geo.pt(9))
    return y - box.y


def _people(
    pdf: FPDF, geo: Geometry, words: Labels, entry: PreparedItem, y: float, *, reply: bool
) -> float:
    """Draw addressee and sender side by side (swapped on the reply part); return new y."""
    item = entry.item
    m = geo.margin
    gap = geo.mm(6)
    col = (geo.width - 2 * m - gap) / 2
    detainee: tuple[tuple[str, str | None], ...] = (
        (words.father, item.addressee_father_name),
        (words.birth, item.addressee_birth_date),
        (words.detainee_number, item.detainee_number),
    )
    family: tuple[tuple[str, str | None], ...] = ((words.relationship, item.relationship),)
    blocks = [
        (words.to, item.addressee_name, item.addressee_name_latin, detainee),
        (words.sender, item.sender_name, item.sender_name_latin, family),
    ]
    if reply:
        # The reply part stays short: the detainee's number identifies them at the site.
        blocks = [
            (words.to, item.sender_name, item.sender_name_latin, ()),
            (words.sender, item.addressee_name, item.addressee_name_latin, detainee[2:]),
        ]
    heights = [
        _person(pdf, geo, _Box(m + i * (col + gap), y, col, 0), *block)
        for i, block in enumerate(blocks)
    ]
    return y + max(heights)


def _fit_text(
    pdf: FPDF, entry: PreparedItem, geo: Geometry, box: _Box
) -> tuple[float, list[str] | None]:
    """Pick the largest size that fits `box`; lines are returned when they had to be measured."""
    lines: list[str] | None = None
    size = geo.pt(TEXT_SIZES_A4[-1])
    for a4_size in TEXT_SIZES_A4:
        size = geo.pt(a4_size)
        if surely_fits(entry.text, size, box.w, box.h):
            return size, None
        _set_text_font(pdf, entry, size)
        lines = wrap(pdf, entry.text, box.w)
        if len(lines) * line_height(size) <= box.h:
            return size, lines
    return size, lines


def _set_text_font(pdf: FPDF, entry: PreparedItem, size: float) -> None:
    style = entry.style
    # The paragraph direction is set explicitly: a Persian message that opens with a Latin
    # word is still a right-to-left paragraph. The script is left to HarfBuzz per run, as a
    # single script tag would mis-shape the Latin runs of a mixed text.
    pdf.set_text_shaping(True, direction=style.direction, language=style.language)
    pdf.set_font(style.family, "", size * SIZE_FACTOR.get(style.family, 1.0))


def _draw_lines(
    pdf: FPDF, entry: PreparedItem, box: _Box, size: float, lines: list[str] | None
) -> None:
    align = "R" if entry.style.direction == "rtl" else "L"
    _set_text_font(pdf, entry, size)
    height = line_height(size)
    if lines is None:
        lines = wrap(pdf, entry.text, box.w)
    for index, line in enumerate(lines):
        if line:
            pdf.set_xy(box.x, box.y + index * height)
            pdf.cell(box.w, height, line, align=align)
    pdf.set_text_shaping(True)


def _draw_photo(pdf: FPDF, words: Labels, entry: PreparedItem, box: _Box, geo: Geometry) -> None:
    photo = entry.item.photo
    assert photo is not None
    jpeg = photo_jpeg(photo, entry.item.reference)
    if jpeg is None:
        pdf.set_xy(box.x, box.y)
        pdf.set_font(fonts.LATIN, "", geo.pt(8))
        pdf.multi_cell(box.w, line_height(geo.pt(8)), words.photo_missing)
        return
    pdf.image(io.BytesIO(jpeg), x=box.x, y=box.y, w=box.w, h=box.h, keep_aspect_ratio=True)


def _cut_line(pdf: FPDF, geo: Geometry) -> None:
    pdf.set_draw_color(80)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=2.5, gap=1.8)
    pdf.line(geo.mm(5), geo.cut_y, geo.width - geo.mm(5), geo.cut_y)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0)


def _reply_part(pdf: FPDF, geo: Geometry, words: Labels, entry: PreparedItem) -> None:
    _cut_line(pdf, geo)
    m = geo.margin
    y = _form_header(
        pdf, geo, words.reply, words.message_title, entry.item.reference, geo.cut_y + geo.mm(5)
    )
    y = _people(pdf, geo, words, entry, y + geo.mm(1), reply=True) + geo.mm(2)
    y += text_cell(pdf, m, y, geo.width - 2 * m, words.reply_hint, geo.pt(8))
    step = geo.mm(7.5)
    bottom = geo.height - geo.mm(10)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    y += step
    while y <= bottom:
        pdf.line(m, y, geo.width - m, y)
        y += step
    pdf.set_draw_color(0)


def draw_message(pdf: FPDF, geo: Geometry, words: Labels, entry: PreparedItem) -> None:
    """Draw the form of one message (one page, more only for very long texts)."""
    item = entry.item
    m = geo.margin
    w = geo.width - 2 * m
    pdf.add_page()
    y = _form_header(pdf, geo, words.message_title, "", item.reference, m)
    y = _people(pdf, geo, words, entry, y + geo.mm(2), reply=False) + geo.mm(3)
    y += text_cell(pdf, m, y, w, words.message, geo.pt(9), bold=True) + geo.mm(1)
    note_h = line_height(geo.pt(7)) if item.channel_note else 0.0
    bottom = geo.cut_y - geo.mm(4) - note_h
    text_w = w
    if item.photo:
        photo_w = w * 0.32
        text_w = w - photo_w - geo.mm(5)
        photo_h = min(bottom - y, photo_w * 1.3)
        _draw_photo(pdf, words, entry, _Box(m + text_w + geo.mm(5), y, photo_w, photo_h), geo)
    box = _Box(m, y, text_w, bottom - y)
    size, lines = _fit_text(pdf, entry, geo, box)
    if lines is None or len(lines) * line_height(size) <= box.h:
        _draw_lines(pdf, entry, box, size, lines)
        if item.channel_note:
            text_cell(pdf, m, bottom + geo.mm(1), w, item.channel_note, geo.pt(7))
        _reply_part(pdf, geo, words, entry)
        return
    _continue_text(pdf, geo, words, entry, box, size, lines)


def _continue_text(
    pdf: FPDF,
    geo: Geometry,
    words: Labels,
    entry: PreparedItem,
    first: _Box,
    size: float,
    lines: list[str],
) -> None:
    """Spread an over-long text over continuation pages; the reply part ends the last one."""
    m = geo.margin
    w = geo.width - 2 * m
    height = line_height(size)
    page_bottom = geo.height - m - geo.mm(6)
    first_full = _Box(first.x, first.y, first.w, page_bottom - first.y)
    per_first = max(1, int(first_full.h // height))
    _draw_lines(pdf, entry, first_full, size, lines[:per_first])
    rest = lines[per_first:]
    top = m + line_height(geo.pt(12)) + geo.mm(4)
    per_full = max(1, int((page_bottom - top) // height))
    per_last = max(1, int((geo.cut_y - geo.mm(4) - top) // height))
    while True:
        pdf.add_page()
        heading = f"{words.message_title} · {entry.item.reference} · {words.continued}"
        text_cell(pdf, m, m, w, heading, geo.pt(12), bold=True)
        if len(rest) <= per_last:
            _draw_lines(pdf, entry, _Box(m, top, w, geo.cut_y - top), size, rest)
            if entry.item.channel_note:
                text_cell(pdf, m, geo.cut_y - geo.mm(4), w, entry.item.channel_note, geo.pt(7))
            _reply_part(pdf, geo, words, entry)
            return
        chunk, rest = rest[:per_full], rest[per_full:]
        _draw_lines(pdf, entry, _Box(m, top, w, page_bottom - top), size, chunk)
