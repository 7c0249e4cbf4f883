"""Pure layout decisions: direction and script of a text, redaction, page geometry."""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from dataclasses import dataclass

from relay.export import fonts, printable
from relay.export.fonts import REDACTION_BAR
from relay.export.items import PrintItem

# Languages whose paragraphs run right to left even when they open with a Latin word.
RTL_LANGS = frozenset({"ar", "fa", "ur", "ps", "ckb", "ku", "sd", "ug", "he", "yi", "dv"})

# OpenType language tags HarfBuzz understands for the languages we see most (BCP 47 works
# too; these are given so that e.g. Persian and Urdu digit and letter forms are chosen).
_HB_LANG = {"ar": "ar", "fa": "fa", "ur": "ur", "ps": "ps", "ckb": "ckb", "ku": "ku"}


@dataclass(frozen=True, slots=True)
class TextStyle:
    """How one message is set: paragraph direction, primary font family, HarfBuzz language."""

    direction: str  # "ltr" or "rtl"
    family: str
    language: str | None


def _first_strong_direction(text: str) -> str | None:
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in {"R", "AL"}:
            return "rtl"
        if bidi == "L":
            return "ltr"
    return None


@functools.lru_cache(maxsize=16384)
def dominant_family(text: str) -> str:
    """Return the family of the chain that draws most letters of `text` (Latin by default)."""
    counts: dict[str, int] = {}
    for char in text:
        if not unicodedata.category(char).startswith("L"):
            continue
        face = fonts.face_for(char)
        if face is not None:
            counts[face.family] = counts.get(face.family, 0) + 1
    if not counts:
        return fonts.LATIN
    # Ties break on the family name so that the choice never depends on dict order.
    return max(sorted(counts), key=lambda family: counts[family])


# Blocks whose letters fpdf2 draws right without HarfBuzz: one glyph per precomposed
# character, left to right, no joining or reordering (Latin, IPA, Greek, Cyrillic, and the
# punctuation, currency and symbol blocks labels and numbers use). Kerning is all they lose.
_PLAIN_BLOCKS = (
    (0x0000, 0x02FF),  # Basic Latin, Latin-1, Latin Extended-A/B, IPA, spacing modifiers
    (0x0370, 0x052F),  # Greek, Cyrillic, Cyrillic Supplement
    (0x1E00, 0x1FFF),  # Latin Extended Additional (Vietnamese), Greek Extended
    (0x2000, 0x22FF),  # punctuation, super/subscripts, currency, letterlike, arrows, maths
    (0x2580, 0x259F),  # block elements (the redaction bar)
)
# Bidi classes that keep a text on one left-to-right run (strong L, European numbers, neutrals).
_PLAIN_BIDI = frozenset({"L", "EN", "ES", "ET", "CS", "ON", "WS"})


@functools.cache
def _is_plain_char(char: str) -> bool:
    code = ord(char)
    if not any(low <= code <= high for low, high in _PLAIN_BLOCKS):
        return False
    if unicodedata.category(char)[0] in {"M", "C"}:
        return False  # a combining mark needs GPOS placement; controls and joiners, HarfBuzz
    return unicodedata.bidirectional(char) in _PLAIN_BIDI


@functools.lru_cache(maxsize=16384)
def needs_shaping(text: str) -> bool:
    """Tell whether `text` needs HarfBuzz and the bidi algorithm to be drawn right.

    False only for texts whose every character is a precomposed letter, digit, space or
    symbol of a script set one glyph after another left to right (Latin, Greek, Cyrillic):
    those fpdf2 draws correctly, and several times faster, without shaping. A combining
    diacritic, a right-to-left or joining script, an Indic or Ethiopic letter: shaped.
    """
    if text.isascii():
        return not text.isprintable()  # a control character keeps the shaped path
    return not all(_is_plain_char(char) for char in text)


# Naskh letters are small on the body for a given type size; enlarge them to match Latin.
SIZE_FACTOR = {fonts.ARABIC: 1.15}


def text_style(text: str, lang: str) -> TextStyle:
    """Decide the paragraph direction, primary font and shaping language of a message."""
    base = lang.replace("_", "-").split("-", maxsplit=1)[0].lower()
    direction = "rtl" if base in RTL_LANGS else _first_strong_direction(text) or "ltr"
    return TextStyle(
        direction=direction, family=dominant_family(text), language=_HB_LANG.get(base)
    )


def normalise_spans(spans: tuple[tuple[int, int], ...], length: int) -> list[tuple[int, int]]:
    """Clamp, sort and merge redaction spans over a text of `length` characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def redact(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """Replace each redacted passage by one bar character standing alone as a word.

    The bar is drawn as a solid box of one fixed width whatever the passage held, so the
    paper shows neither the length nor the digit groups of what was removed; nothing of the
    removed characters (joiners and marks included) remains in the text.
    """
    if not spans:
        return text
    out: list[str] = []
    cursor = 0
    for start, end in normalise_spans(spans, len(text)):
        before = text[cursor:start]
        out.append(before)
        if out and out[-1] and not out[-1][-1].isspace():
            out.append(" ")
        out.append(REDACTION_BAR)
        cursor = end
        # A mark or joiner right after the passage belonged to its last letter: it goes too.
        while (
            cursor < len(text)
            and (
                unicodedata.category(text[cursor]) in {"Mn", "Me"}
                or fonts.is_undrawn(text[cursor])
            )
            and not text[cursor].isspace()
        ):
            cursor += 1
        if cursor < len(text) and not text[cursor].isspace():
            out.append(" ")
    out.append(text[cursor:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Geometry:
    """Page measures in mm (and type sizes in pt) for one paper size."""

    page_size: str
    width: float
    height: float
    scale: float  # relative to A4

    def mm(self, a4_mm: float) -> float:
        """Scale an A4 measure to this paper size."""
        return a4_mm * self.scale

    def pt(self, a4_pt: float) -> float:
        """Scale an A4 type size to this paper size (never below a legible 6.5 pt)."""
        return max(6.5, round(a4_pt * self.scale * 2) / 2)

    @property
    def margin(self) -> float:
        return self.mm(12)


def geometry(page_size: str) -> Geometry:
    """Return the geometry of "A4" or "A5" paper."""
    if page_size.upper() == "A5":
        return Geometry("A5", 148.0, 210.0, 148.0 / 210.0)
    if page_size.upper() == "A4":
        return Geometry("A4", 210.0, 297.0, 1.0)
    raise ValueError(f"unsupported page size {page_size!r} (A4 or A5)")


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """A message ready to print: redacted text, how to set it, and what cannot be printed."""

    item: PrintItem  # names with unprintable symbols already left out
    text: str  # redacted: the removed characters are gone, bars stand in their place
    style: TextStyle
    left_out: str = ""  # symbols (emoji) no font draws, left out of the paper
    held: str = ""  # letters no font draws: this message is held back, not printed

    @property
    def rtl(self) -> bool:
        return self.style.direction == "rtl"

    def printed_strings(self) -> tuple[str, ...]:
        """Return every string of this item that ends up on paper."""
        item = self.item
        optional = (
            item.addressee_father_name,
            item.addressee_birth_date,
            item.detainee_number,
            item.channel_note,
        )
        return (
            item.reference,
            item.addressee_name,
            item.addressee_name_latin,
            item.sender_name,
            item.sender_name_latin,
            item.relationship,
            self.text,
            *(value for value in optional if value),
        )


def _clean(value: str | None) -> str | None:
    return None if value is None else printable.without_symbols(value)


def prepare(item: PrintItem) -> PreparedItem:
    """Redact `item`, leave out unprintable symbols, decide direction and font.

    Redaction comes first: its spans index the text as written, and a redacted emoji is
    gone with its passage.
    """
    text = redact(item.text, item.redactions)
    entry = PreparedItem(item=item, text=text, style=text_style(text, item.lang))
    missing = fonts.missing_chars(entry.printed_strings())
    if not missing:
        return entry  # the common case: every character has a glyph
    text = printable.without_symbols(text)
    cleaned = dataclasses.replace(
        item,
        addressee_name=printable.without_symbols(item.addressee_name),
        addressee_name_latin=printable.without_symbols(item.addressee_name_latin),
        addressee_father_name=_clean(item.addressee_father_name),
        sender_name=printable.without_symbols(item.sender_name),
        sender_name_latin=printable.without_symbols(item.sender_name_latin),
        relationship=printable.without_symbols(item.relationship),
        channel_note=_clean(item.channel_note),
    )
    entry = PreparedItem(item=cleaned, text=text, style=text_style(text, item.lang))
    left = fonts.missing_chars(entry.printed_strings())
    symbols = "".join(c for c in missing if printable.is_symbol(c) and c not in left)
    return dataclasses.replace(entry, left_out=symbols, held=left)
