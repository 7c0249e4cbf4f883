"""Small drawing helpers shared by the pages: shaped text cells that fit their box."""

from __future__ import annotations

import io
import logging
import math
import unicodedata

from fpdf import FPDF
from PIL import Image, ImageOps, UnidentifiedImageError

from relay.export import fonts
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
    fam = fonts.LATIN if bold else family or dominant_family(text)
    style = "B" if bold else ""
    factor = SIZE_FACTOR.get(fam, 1.0)
    shaped = set_shaping_for(pdf, text)
    pdf.set_font(fam, style, size * factor)
    while size > floor and pdf.get_string_width(text) > w:
        size = max(floor, size - 0.5)
        pdf.set_font(fam, style, size * factor)
    height = line_height(size)
    pdf.set_xy(x, y)
    pdf.cell(w, height, text, align=align)
    if not shaped:
        pdf.set_text_shaping(True)
    return height


def set_shaping_for(pdf: FPDF, text: str) -> bool:
    """Turn shaping on (auto direction) or off as `text` needs it; tell which.

    Labels, references, numbers and names in Latin or Cyrillic letters make up most of the
    cells of a page: drawing them without the bidi pass and HarfBuzz is what keeps a batch
    fast. The measure and the drawing of a text use the same setting, so it still fits.
    """
    shaped = needs_shaping(text)
    pdf.set_text_shaping(shaped)
    return shaped


def labelled(
    pdf: FPDF, x: float, y: float, w: float, label: str, value: str, size: float
) -> float:
    """Draw "label: value" with the label in bold; return the line height."""
    set_shaping_for(pdf, label)
    pdf.set_font(fonts.LATIN, "B", size)
    label_w = min(w * 0.45, pdf.get_string_width(label + ": ") + 1)
    text_cell(pdf, x, y, label_w, f"{label}:", size, bold=True)
    return text_cell(pdf, x + label_w, y, w - label_w, value, size)


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break `text` into lines of at most `width` with the current font, measuring words.

    fpdf2's own line breaker re-shapes the growing line once per character (quadratic in
    HarfBuzz calls); shaping each word once is the same for us, as no script we print joins
    letters across a space, and several times faster.
    """
    widths: dict[str, float] = {}

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


def surely_fits(text: str, size: float, w: float, h: float) -> bool:
    """Tell cheaply whether `text` certainly fits a w x h box at `size` (False: measure it)."""
    em = size * PT_MM
    factor = _advance_factor(text)
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
