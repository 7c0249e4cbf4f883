"""Which characters of a text the shipped fonts cannot print, known before anyone relies on it.

Two kinds, treated differently (issue 12):

- *symbols* (emoji, pictographs, flags, dingbats) carry no words: they are left out of the
  paper, the family is told so in the preview and may remove them; never a reason to stop.
- *letters* (and digits, marks) of a script no shipped font covers carry words: the message
  cannot be printed as written; export holds that one message back, with its reason, and
  prints the others.

The preview, the review card and the export all ask this module, so the family, the
reviewer and the delegate are told the same thing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from relay.export import fonts

# Code points that only modify a neighbouring symbol: zero width joiner sequences, emoji
# and text presentation selectors, skin tone modifiers, the keycap mark, tag characters of
# subdivision flags. Removed together with the symbol they belong to.
_ZWJ = "\u200d"
_SELECTORS = frozenset({"\ufe0e", "\ufe0f", "\u20e3"})


def _is_modifier(char: str) -> bool:
    code = ord(char)
    return char in _SELECTORS or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F


def is_symbol(char: str) -> bool:
    """Tell whether a character carries no words (emoji, pictograph, sign, flag letter)."""
    return unicodedata.category(char) in {"So", "Sk", "Sm", "Sc"} or _is_modifier(char)


@dataclass(frozen=True, slots=True)
class Printability:
    """What of a text cannot be printed: symbols (left out) and letters (hold the message)."""

    symbols: str  # distinct, in order of appearance
    letters: str

    @property
    def ok(self) -> bool:
        return not self.symbols and not self.letters

    def codes(self) -> str:
        """Return the characters as code points (U+1F339 style) (for logs and audit: no text)."""
        return " ".join(f"U+{ord(c):04X}" for c in self.symbols + self.letters)


def check(text: str) -> Printability:
    """Return which characters of `text` no shipped font draws, split by kind."""
    missing = fonts.missing_chars((text,))
    symbols = "".join(c for c in missing if is_symbol(c))
    letters = "".join(c for c in missing if not is_symbol(c))
    return Printability(symbols=symbols, letters=letters)


def without_symbols(text: str) -> str:
    """Remove the unprintable symbols of `text` with their joiners and selectors.

    Letters of uncovered scripts are kept: removing words is the family's choice, not ours.
    A space left doubled by a removal is closed up.
    """
    removable = frozenset(c for c in fonts.missing_chars((text,)) if is_symbol(c))
    if not removable:
        return text

    def gone(char: str) -> bool:
        return char in removable

    out: list[str] = []
    dropped = False  # the previous drawn character was removed
    for index, char in enumerate(text):
        if gone(char):
            dropped = True
            continue
        if dropped and (_is_modifier(char) or char == _ZWJ):
            continue  # belongs to the removed symbol
        if char == _ZWJ and index + 1 < len(text) and gone(text[index + 1]):
            continue  # joins the next, removed, symbol
        if _is_modifier(char) and char not in _SELECTORS:
            continue  # a lone skin tone or tag has nothing left to modify
        dropped = False
        out.append(char)
    cleaned = "".join(out)
    while "  " in cleaned:
        cleaned = cleaned.replace("  ", " ")
    lines = [line.rstrip(" ") for line in cleaned.split("\n")]
    return "\n".join(lines).strip(" ")
