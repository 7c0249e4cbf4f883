"""One message laid out like the paper form: header, people, message, photo, reply part.

The form speaks to the addressee: labels in the language they read, with the site's
working language beside them where it differs (bilingual, as paper RCM forms are), and
the whole page mirrored when that language runs right to left (`Side`).

Long texts first shrink (12 pt down to an 8 pt floor on A4); if they still do not fit they
go on over continuation pages. The reply part follows the end of the message and takes
the rest of the last page; where that leaves little room (or the site asks for it) a
whole page of reply lines follows, with the same reference and QR code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf import FPDF

from relay.export import fonts
from relay.export.drawing import (
    Side,
    label_pair,
    labelled,
    line_height,
    photo_jpeg,
    surely_fits,
    text_cell,
    wrap,
)
from relay.export.fonts import REDACTION_BAR
from relay.export.labels import FormWords
from relay.export.layout import SIZE_FACTOR, Geometry, PreparedItem
from relay.export.qr import draw_qr

TEXT_SIZES_A4 = (12.0, 11.0, 10.0, 9.0, 8.0)  # the last one is the floor
REPLY_STEP_A4 = 8.0  # mm between reply lines: room for handwriting
MIN_REPLY_LINES = 10  # fewer than this on the page: a whole extra page of lines follows
BAR_A4 = 24.0  # mm: every redaction bar has this width, whatever it hides


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class _Form:
    """What every drawing step of one form needs."""

    pdf: FPDF
    geo: Geometry
    words: FormWords
    side: Side
    entry: PreparedItem
    extra_page: bool

    def cell(
        self,
        x: float,
        y: float,
        w: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        family: str | None = None,
    ) -> float:
        """Draw a text cell laid out left to right at x, mirrored on a right-to-left page."""
        return text_cell(
            self.pdf,
            self.side.x(x, w),
            y,
            w,
            text,
            size,
            bold=bold,
            family=family,
            align=self.side.align(),
        )

    def label(self, x: float, y: float, w: float, name: str, size: float) -> float:
        own, site = self.words.pair(name)
        return label_pair(self.pdf, self.side, x, y, w, own, site, size)[0]


def _header(form: _Form, title: str, reference: str, y: float, subtitle: str = "") -> float:
    """Draw title, reference and its QR code (outer corner of the page); return y below."""
    geo = form.geo
    m = geo.margin
    qr = geo.mm(28)
    text_w = geo.width - 2 * m - qr - geo.mm(4)
    draw_qr(form.pdf, reference, form.side.x(geo.width - m - qr, qr), y, qr)
    line_y = y + geo.mm(1)
    line_y += form.label(m, line_y, text_w, title, geo.pt(17))
    if subtitle:
        line_y += form.label(m, line_y, text_w, subtitle, geo.pt(9))
    line_y += geo.mm(1)
    form.cell(m, line_y, text_w, reference, geo.pt(18), bold=True, family=fonts.LATIN)
    return y + qr


def _person(
    form: _Form,
    box: _Box,
    heading: str,
    name: str,
    latin: str,
    details: tuple[tuple[str, str | None], ...],
) -> float:
    """Draw a person block (names in own script and Latin letters, details); return its height."""
    geo = form.geo
    y = box.y
    y += form.label(box.x, y, box.w, heading, geo.pt(9))
    y += form.cell(box.x, y, box.w, name, geo.pt(13))
    if latin and latin != name:
        y += form.cell(box.x, y, box.w, latin, geo.pt(10), family=fonts.LATIN)
    for label, value in details:
        if value:
            pair = form.words.pair(label)
            y += labelled(form.pdf, form.side, box.x, y, box.w, pair, value, geo.pt(9))
    return y - box.y


def _people(form: _Form, y: float, *, reply: bool) -> float:
    """Draw addressee and sender side by side (swapped on the reply part); return new y."""
    item = form.entry.item
    geo = form.geo
    m = geo.margin
    gap = geo.mm(6)
    col = (geo.width - 2 * m - gap) / 2
    detainee: tuple[tuple[str, str | None], ...] = (
        ("father", item.addressee_father_name),
        ("birth", item.addressee_birth_date),
        ("detainee_number", item.detainee_number),
    )
    family: tuple[tuple[str, str | None], ...] = (("relationship", item.relationship),)
    blocks = [
        ("to", item.addressee_name, item.addressee_name_latin, detainee),
        ("sender", item.sender_name, item.sender_name_latin, family),
    ]
    if reply:
        # The reply part stays short: the detainee's number identifies them at the site.
        blocks = [
            ("to", item.sender_name, item.sender_name_latin, ()),
            ("sender", item.addressee_name, item.addressee_name_latin, detainee[2:]),
        ]
    heights = [
        _person(form, _Box(m + i * (col + gap), y, col, 0), *block)
        for i, block in enumerate(blocks)
    ]
    return y + max(heights)


def _reply_min_height(geo: Geometry) -> float:
    """Room the reply part needs at the least: header, people, hint and a few lines."""
    return geo.mm(5 + 28 + 1 + 24 + 2 + 5) + 6 * geo.mm(REPLY_STEP_A4)


def _page_bottom(geo: Geometry) -> float:
    return geo.height - geo.margin - geo.mm(6)


def _fit_text(form: _Form, box: _Box, bar: float) -> tuple[float, list[str] | None]:
    """Pick the largest size that fits `box`; lines are returned when they had to be measured."""
    lines: list[str] | None = None
    geo, entry = form.geo, form.entry
    size = geo.pt(TEXT_SIZES_A4[-1])
    for a4_size in TEXT_SIZES_A4:
        size = geo.pt(a4_size)
        if surely_fits(entry.text, size, box.w, box.h, bar=bar):
            return size, None
        _set_text_font(form.pdf, entry, size)
        lines = wrap(form.pdf, entry.text, box.w, bar)
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


def _draw_line_with_bars(
    pdf: FPDF, entry: PreparedItem, box: _Box, y: float, height: float, line: str, bar: float
) -> None:
    """Draw a line holding redaction bars: text pieces and one solid box per passage."""
    pieces = [piece.strip(" ") for piece in line.split(REDACTION_BAR)]
    word_gap = pdf.get_string_width(" ")
    space = 1.5 * word_gap  # a clear gap: a bar must not look like a letter
    rtl = entry.rtl
    step = -1.0 if rtl else 1.0
    cursor = box.x + box.w if rtl else box.x
    pdf.set_fill_color(0)
    margin, pdf.c_margin = pdf.c_margin, 0.0  # pieces sit exactly where they were measured
    if not rtl:
        cursor += margin  # as the whole-line cells start their text
    else:
        cursor -= margin
    for index, piece in enumerate(pieces):
        if piece:
            # Summed from the words wrap() measured (cached): no second shaping pass.
            words = piece.split(" ")
            width = sum(map(pdf.get_string_width, words)) + word_gap * (len(words) - 1)
            pdf.set_xy(cursor - width if rtl else cursor, y)
            pdf.cell(width, height, piece)
            cursor += step * (width + space)
        if index < len(pieces) - 1:
            # One filled rectangle: no glyph seams, and the same width for any passage.
            pdf.rect(
                cursor - bar if rtl else cursor, y + height * 0.18, bar, height * 0.64, style="F"
            )
            cursor += step * (bar + space)
    pdf.c_margin = margin


def _draw_lines(form: _Form, box: _Box, size: float, lines: list[str] | None, bar: float) -> float:
    """Draw the message lines in `box`; return the y below the last one."""
    pdf, entry = form.pdf, form.entry
    align = "R" if entry.rtl else "L"
    _set_text_font(pdf, entry, size)
    height = line_height(size)
    if lines is None:
        lines = wrap(pdf, entry.text, box.w, bar)
    for index, line in enumerate(lines):
        y = box.y + index * height
        if REDACTION_BAR in line:
            _draw_line_with_bars(pdf, entry, box, y, height, line, bar)
        elif line:
            pdf.set_xy(box.x, y)
            pdf.cell(box.w, height, line, align=align)
    pdf.set_text_shaping(True)
    return box.y + len(lines) * height


def _draw_photo(form: _Form, box: _Box) -> None:
    pdf, geo, entry = form.pdf, form.geo, form.entry
    photo = entry.item.photo
    assert photo is not None
    jpeg = photo_jpeg(photo, entry.item.reference)
    x = form.side.x(box.x, box.w)
    if jpeg is None:
        pdf.set_xy(x, box.y)
        pdf.set_font(fonts.LATIN, "", geo.pt(8))
        pdf.multi_cell(box.w, line_height(geo.pt(8)), form.words.own.photo_missing)
        return
    pdf.image(io.BytesIO(jpeg), x=x, y=box.y, w=box.w, h=box.h, keep_aspect_ratio=True)


def _cut_line(pdf: FPDF, geo: Geometry, y: float) -> None:
    pdf.set_draw_color(80)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=2.5, gap=1.8)
    pdf.line(geo.mm(5), y, geo.width - geo.mm(5), y)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0)


def _reply_lines(pdf: FPDF, geo: Geometry, y: float) -> int:
    """Rule handwriting lines from `y` to the foot of the page; return how many."""
    m = geo.margin
    step = geo.mm(REPLY_STEP_A4)
    bottom = geo.height - geo.mm(12)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    count = 0
    y += step
    while y <= bottom:
        pdf.line(m, y, geo.width - m, y)
        y += step
        count += 1
    pdf.set_draw_color(0)
    return count


def _reply_part(form: _Form, cut_y: float) -> None:
    pdf, geo = form.pdf, form.geo
    _cut_line(pdf, geo, cut_y)
    m = geo.margin
    reference = form.entry.item.reference
    y = _header(form, "reply", reference, cut_y + geo.mm(5), subtitle="message_title")
    y = _people(form, y + geo.mm(1), reply=True) + geo.mm(2)
    y += form.cell(m, y, geo.width - 2 * m, form.words.own.reply_hint, geo.pt(9))
    if form.words.site.reply_hint != form.words.own.reply_hint:
        pdf.set_text_color(90)
        y += form.cell(m, y, geo.width - 2 * m, form.words.site.reply_hint, geo.pt(7.5))
        pdf.set_text_color(0)
    count = _reply_lines(pdf, geo, y)
    if count < MIN_REPLY_LINES or form.extra_page:
        _extra_reply_page(form)


def _extra_reply_page(form: _Form) -> None:
    """A whole page of reply lines, with the reference and QR code to match it up."""
    pdf, geo = form.pdf, form.geo
    pdf.add_page()
    m = geo.margin
    y = _header(form, "reply", form.entry.item.reference, m, subtitle="message_title")
    y += geo.mm(2)
    y += form.cell(m, y, geo.width - 2 * m, form.words.own.reply_more, geo.pt(9))
    _reply_lines(pdf, geo, y)


def draw_message(
    pdf: FPDF, geo: Geometry, words: FormWords, entry: PreparedItem, *, extra_page: bool = False
) -> None:
    """Draw the form of one message (one page, more for long texts or more reply room)."""
    side = Side(geo.width, entry.rtl)
    form = _Form(pdf, geo, words, side, entry, extra_page)
    item = entry.item
    m = geo.margin
    w = geo.width - 2 * m
    pdf.add_page()
    y = _header(form, "message_title", item.reference, m)
    y = _people(form, y + geo.mm(2), reply=False) + geo.mm(3)
    y += form.label(m, y, w, "message", geo.pt(9)) + geo.mm(1)
    note_h = line_height(geo.pt(7)) + geo.mm(1) if item.channel_note else 0.0
    bottom = geo.height - geo.mm(10) - _reply_min_height(geo) - note_h
    text_w = w
    photo_end = y
    if item.photo:
        photo_w = w * 0.32
        text_w = w - photo_w - geo.mm(5)
        photo_h = min(bottom - y, photo_w * 1.3)
        _draw_photo(form, _Box(m + text_w + geo.mm(5), y, photo_w, photo_h))
        photo_end = y + photo_h
    bar = geo.mm(BAR_A4)
    box = _Box(side.x(m, text_w), y, text_w, bottom - y)
    size, lines = _fit_text(form, box, bar)
    if lines is None or len(lines) * line_height(size) <= box.h:
        end = max(_draw_lines(form, box, size, lines, bar), photo_end)
        _finish(form, end)
        return
    _continue_text(form, box, size, lines, bar)


def _finish(form: _Form, end: float) -> None:
    """Print the channel note under the text, then the reply part on the rest of the page."""
    geo = form.geo
    m = geo.margin
    end += geo.mm(2)
    if form.entry.item.channel_note:
        end += form.cell(m, end, geo.width - 2 * m, form.entry.item.channel_note, geo.pt(7))
    _reply_part(form, end + geo.mm(3))


def _continue_text(form: _Form, first: _Box, size: float, lines: list[str], bar: float) -> None:
    """Spread an over-long text over continuation pages; the reply part ends the last one."""
    pdf, geo, entry = form.pdf, form.geo, form.entry
    m = geo.margin
    w = geo.width - 2 * m
    height = line_height(size)
    page_bottom = _page_bottom(geo)
    first_full = _Box(first.x, first.y, first.w, page_bottom - first.y)
    per_first = max(1, int(first_full.h // height))
    _draw_lines(form, first_full, size, lines[:per_first], bar)
    rest = lines[per_first:]
    top = m + line_height(geo.pt(12)) + geo.mm(4)
    last_bottom = geo.height - geo.mm(10) - _reply_min_height(geo)
    per_full = max(1, int((page_bottom - top) // height))
    per_last = max(1, int((last_bottom - top) // height))
    own = form.words.own
    while True:
        pdf.add_page()
        heading = f"{own.message_title} · {entry.item.reference} · {own.continued}"
        form.cell(m, m, w, heading, geo.pt(12), bold=True)
        if len(rest) <= per_last:
            end = _draw_lines(form, _Box(m, top, w, last_bottom - top), size, rest, bar)
            _finish(form, end)
            return
        chunk, rest = rest[:per_full], rest[per_full:]
        _draw_lines(form, _Box(m, top, w, page_bottom - top), size, chunk, bar)
