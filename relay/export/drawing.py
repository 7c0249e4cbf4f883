"""Small drawing helpers shared by the pages: shaped text cells that fit their box."""

from __future__ import annotations

import io
import logging
import math
import unicodedata
from dataclasses import dataclass

from fpdf import FPDF
from PIL import Image, ImageOps, UnidentifiedImageError

from relay.export import fonts
from relay.export.fonts import REDACTION_BAR
from relay.export.layout import SIZE_FACTOR, dominant_family, needs_shaping

log = logging.getLogger("relay.export")

PT_MM = 25.4 / 72
LINE_FACTOR = 1.45  # line height / type size; leaves room for Arabic marks above and below
PHOTO_MAX_PX = 1200


def line_height(size_pt: float) -> float:
    """Return the line height in mm for a type size in pt."""
    return size_pt * PT_MM * LINE_FACTOR


def text_cell(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    align: str = "L",
    floor: float = 6.0,
    family: str | None = None,
) -> float:
    """Draw one line of text at (x, y), shrinking it to fit `w`; return the line height.

    The text is shaped only if its script needs it (`needs_shaping`); either way shaping is
    on again, with auto direction, when this returns.
    """
    fam, style = _face(text, bold, family)
    factor = SIZE_FACTOR.get(fam, 1.0)
    shaped = set_shaping_for(pdf, text)
    pdf.set_font(fam, style, size * factor)
    # The cell keeps `c_margin` free at each end: text measured against the bare width
    # runs past the cell's edge into whatever is drawn beside it.
    while size > floor and pdf.get_string_width(text) > w - 2 * pdf.c_margin:
        size = max(floor, size - 0.5)
        pdf.set_font(fam, style, size * factor)
    height = line_height(size)
    pdf.set_xy(x, y)
    pdf.cell(w, height, text, align=align)
    if not shaped:
        pdf.set_text_shaping(True)
    return height


def _face(text: str, bold: bool, family: str | None = None) -> tuple[str, str]:
    """Return (family, style): bold exists for Latin and Cyrillic only; other scripts are
    set in their own regular face at their own size rather than a smaller fallback."""
    own = family or dominant_family(text)
    if bold and own == fonts.LATIN:
        return fonts.LATIN, "B"
    return own, ""


def set_shaping_for(pdf: FPDF, text: str) -> bool:
    """Turn shaping on (auto direction) or off as `text` needs it; tell which.

    Labels, references, numbers and names in Latin or Cyrillic letters make up most of the
    cells of a page: drawing them without the bidi pass and HarfBuzz is what keeps a batch
    fast. The measure and the drawing of a text use the same setting, so it still fits.
    """
    shaped = needs_shaping(text)
    pdf.set_text_shaping(shaped)
    return shaped


@dataclass(frozen=True, slots=True)
class Side:
    """Which way a page runs: layouts are written left to right and mirrored here.

    A right-to-left page mirrors as a whole (columns, label before value, headings, QR
    code, footer); each text inside keeps its own direction, so references and numbers
    still read left to right.
    """

    page_width: float
    rtl: bool = False

    def x(self, x: float, w: float) -> float:
        """Return where a box laid out at `x` (width `w`) on a left-to-right page goes."""
        return self.page_width - x - w if self.rtl else x

    def align(self, align: str = "L") -> str:
        """Return the alignment a left-to-right `align` becomes on this page."""
        if not self.rtl:
            return align
        return {"L": "R", "R": "L"}.get(align, align)


def _width(pdf: FPDF, text: str, size: float, *, bold: bool) -> float:
    fam, style = _face(text, bold)
    shaped = set_shaping_for(pdf, text)
    pdf.set_font(fam, style, size * SIZE_FACTOR.get(fam, 1.0))
    width = pdf.get_string_width(text)
    if not shaped:
        pdf.set_text_shaping(True)
    return width


def label_pair(
    pdf: FPDF,
    side: Side,
    x: float,
    y: float,
    w: float,
    label: str,
    other: str,
    size: float,
    *,
    bold: bool = True,
    suffix: str = "",
) -> tuple[float, float]:
    """Draw a label in the reader's language with the site's word beside it, if it differs.

    The second label is smaller and grey, after the first in the page's direction (right of
    it on a left-to-right page, left of it on a right-to-left one). Return (line height,
    width used).
    """
    first = label + suffix
    second = other + suffix if other and other != label else ""
    if not second:
        used = min(w, _width(pdf, first, size, bold=bold) + 2 * pdf.c_margin)
        return text_cell(
            pdf, side.x(x, used), y, used, first, size, bold=bold, align=side.align()
        ), used
    small = size * 0.8
    # What a cell keeps free at its two ends: the two labels stand that far apart (2 mm),
    # since labels that touch read as one ("особи:رقم المحتجز:").
    pad = 2 * pdf.c_margin
    first_w = min(w * 0.62, _width(pdf, first, size, bold=bold) + pad)
    second_w = min(w - first_w, _width(pdf, second, small, bold=False) + pad)
    height = text_cell(
        pdf, side.x(x, first_w), y, first_w, first, size, bold=bold, align=side.align()
    )
    pdf.set_text_color(90)
    text_cell(
        pdf,
        side.x(x + first_w, second_w),
        y + (size - small) * PT_MM,
        second_w,
        second,
        small,
        align=side.align(),
    )
    pdf.set_text_color(0)
    return height, first_w + second_w


def labelled(
    pdf: FPDF,
    side: Side,
    x: float,
    y: float,
    w: float,
    label: tuple[str, str],
    value: str,
    size: float,
) -> float:
    """Draw "label: value" (label in bold, the site's word beside it); return the height."""
    height, used = label_pair(pdf, side, x, y, w * 0.6, label[0], label[1], size, suffix=":")
    used += 1
    text_cell(pdf, side.x(x + used, w - used), y, w - used, value, size, align=side.align())
    return height


def wrap(pdf: FPDF, text: str, width: float, bar: float = 0.0) -> list[str]:
    """Break `text` into lines of at most `width` with the current font, measuring words.

    fpdf2's own line breaker re-shapes the growing line once per character (quadratic in
    HarfBuzz calls); shaping each word once is the same for us, as no script we print joins
    letters across a space, and several times faster. A redaction bar (alone as a word)
    counts as `bar` wide.
    """
    widths: dict[str, float] = {REDACTION_BAR: bar} if bar else {}

    def measure(word: str) -> float:
        if word not in widths:
            widths[word] = pdf.get_string_width(word)
        return widths[word]

    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for token in paragraph.split(" "):
            word = token
            word_w = measure(word)
            if line and used + space + word_w > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            if not line and word_w > width:
                pieces = _split_long_word(pdf, word, width)
                lines.extend(pieces[:-1])
                word = pieces[-1]
                word_w = measure(word)
            used += word_w + (space if line else 0.0)
            line.append(word)
        lines.append(" ".join(line))
    return lines


def _split_long_word(pdf: FPDF, word: str, width: float) -> list[str]:
    """Cut a word wider than the line (a long number, a run without spaces) by characters."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and pdf.get_string_width(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
    pieces.append(current)
    return pieces


def _advance_factor(text: str) -> float:
    """A generous average advance per character, in em, used to skip measuring short texts."""
    if any(unicodedata.east_asian_width(char) in {"W", "F"} for char in text):
        return 1.1
    return 0.8


def surely_fits(text: str, size: float, w: float, h: float, *, bar: float = 0.0) -> bool:
    """Tell cheaply whether `text` certainly fits a w x h box at `size` (False: measure it).

    A redaction bar counts as the wide characters that would fill its fixed width.
    """
    em = size * PT_MM
    factor = _advance_factor(text)
    if bar and REDACTION_BAR in text:
        text = text.replace(REDACTION_BAR, "x" * math.ceil(bar / (factor * em)))
    longest_word = max((len(word) for word in text.split()), default=0) * factor * em
    usable = w - longest_word  # word wrapping wastes at most one word per line
    if usable <= w / 2:
        return False
    lines = 0
    for paragraph in text.split("\n"):
        lines += max(1, math.ceil(len(paragraph) * factor * em / usable))
    return lines * line_height(size) <= h


def photo_jpeg(photo: bytes, reference: str) -> bytes | None:
    """Re-encode a photo as a plain JPEG (drops EXIF such as GPS); None if unreadable."""
    try:
        with Image.open(io.BytesIO(photo)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        log.warning("export: %s photo could not be read, printed without it", reference)
        return None
    image.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=False)
    return out.getvalue()
