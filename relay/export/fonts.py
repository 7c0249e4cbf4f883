"""Font chain of the print batches and the check that every printed character has a glyph.

With text shaping on, fpdf2 silently drops a character that no font of the chain covers,
so the export checks every printed string against the cmaps first and refuses to print an
empty box (DESIGN.md, "Delivery and replies").
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fontTools.ttLib import (
    TTCollection,
    TTFont,
)

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger("relay.export")

FONT_DIR = Path(__file__).with_name("fonts")
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))

# Family names are lower case on purpose: fpdf2 matches a fallback family by removing the
# upper-case style letters "B" and "I" from its font keys.
LATIN = "notosans"
ARABIC = "notonaskharabic"
ETHIOPIC = "notosansethiopic"
DEVANAGARI = "notosansdevanagari"
MYANMAR = "notosansmyanmar"
MONO = "notosansmono"  # carries U+2588 FULL BLOCK, the redaction bar

REDACTION_BAR = "\u2588"


@dataclass(frozen=True, slots=True)
class FontFace:
    """One font file of the chain; `number` picks a face inside a .ttc collection."""

    family: str
    path: Path
    style: str = ""
    number: int = 0


BUNDLED: tuple[FontFace, ...] = (
    FontFace(LATIN, FONT_DIR / "NotoSans-Regular.ttf"),
    FontFace(ARABIC, FONT_DIR / "NotoNaskhArabic-Regular.ttf"),
    FontFace(ETHIOPIC, FONT_DIR / "NotoSansEthiopic-Regular.ttf"),
    FontFace(DEVANAGARI, FONT_DIR / "NotoSansDevanagari-Regular.ttf"),
    FontFace(MYANMAR, FONT_DIR / "NotoSansMyanmar-Regular.ttf"),
    FontFace(MONO, FONT_DIR / "NotoSansMono-Regular.ttf"),
)
BOLD = FontFace(LATIN, FONT_DIR / "NotoSans-Bold.ttf", style="B")

# Characters that are never drawn as glyphs of their own: HarfBuzz applies joiners and
# variation selectors, the bidi algorithm consumes the marks; whitespace is spacing only.
_IGNORED_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def is_undrawn(char: str) -> bool:
    """Tell whether a character is not drawn as a glyph (controls, joiners, bidi marks, spaces)."""
    code = ord(char)
    if char.isspace() or unicodedata.category(char) in _IGNORED_CATEGORIES:
        return True
    return 0xFE00 <= code <= 0xFE0F or 0x180B <= code <= 0x180F or 0xE0100 <= code <= 0xE01EF


def _discover_system_faces() -> tuple[FontFace, ...]:
    """Find optional system Noto CJK fonts (too large to ship) at run time."""
    found: list[FontFace] = []
    for root in SYSTEM_FONT_DIRS:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("NotoSansCJK*-Regular.tt[fc]")):
            found.append(FontFace(f"system{len(found)}cjk", path))
            break  # one CJK face covers Han, Kana and Hangul
    return tuple(found)


@functools.cache
def font_chain() -> tuple[FontFace, ...]:
    """Return the regular faces in fallback order: bundled Noto first, then system extras."""
    extra = _discover_system_faces()
    if extra:
        log.info("export: %d optional system font(s) added to the chain", len(extra))
    return BUNDLED + extra


@functools.cache
def cmap_of(face: FontFace) -> frozenset[int]:
    """Read the code points a face maps (once per process)."""
    if face.path.suffix.lower() in {".ttc", ".otc"}:
        font = TTCollection(str(face.path), lazy=True).fonts[face.number]
    else:
        font = TTFont(str(face.path), lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


@functools.cache
def covered_code_points() -> frozenset[int]:
    """Return every code point some face of the chain can draw."""
    return frozenset().union(*(cmap_of(face) for face in font_chain()))


def missing_chars(strings: Iterable[str]) -> str:
    """Return, once each and in order of appearance, the drawn characters no font covers."""
    covered = covered_code_points()
    missing: dict[str, None] = {}
    for text in strings:
        for char in text:
            if ord(char) not in covered and not is_undrawn(char) and char not in missing:
                missing[char] = None
    return "".join(missing)


def face_for(char: str) -> FontFace | None:
    """Return the first face of the chain that draws `char`."""
    code = ord(char)
    return next((face for face in font_chain() if code in cmap_of(face)), None)


def faces_needed(strings: Iterable[str]) -> tuple[FontFace, ...]:
    """Return the chain faces some character of `strings` falls to, in chain order."""
    seen: set[str] = set()
    for text in strings:
        seen.update(text)
    families = {LATIN}
    for char in seen:
        if is_undrawn(char):
            continue
        face = face_for(char)
        if face is not None:
            families.add(face.family)
    return tuple(face for face in font_chain() if face.family in families)


def register_fonts(pdf: FPDF, faces: Iterable[FontFace]) -> tuple[str, ...]:
    """Add the faces (and the Latin bold) to `pdf`, set them as fallbacks; return families."""
    families: list[str] = []
    for face in faces:
        pdf.add_font(face.family, face.style, str(face.path), collection_font_number=face.number)
        families.append(face.family)
    pdf.add_font(BOLD.family, BOLD.style, str(BOLD.path))
    # exact_match=False: a bold label in a script without a bold face falls back to regular.
    pdf.set_fallback_fonts(families, exact_match=False)
    return tuple(families)
