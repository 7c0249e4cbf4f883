"""Characters no shipped font prints: a finding, so that the reviewer sees them at their place.

What the paper will do with them is relay.export.printable's: symbols (emoji, pictographs,
flags) are left out of the paper letter and the family may remove them in the preview;
letters of a script no font covers hold the message back at export. Both are flags, never a
redaction: a symbol carries no words and leaves the paper by itself (a redaction would put a
black mark where a rose was, and the same message read in a linked family's chat keeps its
emoji), and words in the family's own script are for the reviewer to read, not to remove.

Runs on the ORIGINAL text (normalising would fold some of these characters away), one span
per run of such characters with their joiners, selectors and skin tones (one family emoji
is one span).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relay.export import fonts, printable
from relay.rules.detectors import Doc, Span, register


def _joins(char: str) -> bool:
    """Whether ``char`` only joins or modifies its neighbour (ZWJ, selectors, skin tones)."""
    return char == "\u200d" or printable.is_modifier(char)


class UnprintableDetector:
    """Runs of characters no font of the chain draws: ``kind`` symbols or letters."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        kind = str(params.get("kind", "symbols"))
        if kind not in ("symbols", "letters"):
            raise ValueError(f"kind must be symbols or letters, not {kind!r}")
        self.symbols = kind == "symbols"
        self.covered = fonts.covered_code_points()  # read the fonts once, at load

    def _missing(self, char: str) -> bool:
        return (
            ord(char) not in self.covered
            and not fonts.is_undrawn(char)
            and printable.is_symbol(char) == self.symbols
        )

    def find(self, doc: Doc) -> list[Span]:
        text = doc.original
        if text.isascii():
            return []  # the Latin face draws every printable ASCII character
        missing = {c for c in set(text) if self._missing(c)}
        if not missing:
            return []
        out: list[Span] = []
        start = -1
        for i, char in enumerate(text):
            if char in missing:
                if start < 0:
                    start = i
                continue
            if start >= 0 and _joins(char):
                continue  # part of the symbol being read (a ZWJ sequence, a skin tone)
            if start >= 0:
                out.append(_trimmed(text, start, i))
                start = -1
        if start >= 0:
            out.append(_trimmed(text, start, len(text)))
        return out


def _trimmed(text: str, start: int, end: int) -> Span:
    while end > start + 1 and text[end - 1] == "\u200d":
        end -= 1  # a joiner with nothing unprintable after it belongs to what follows
    return start, end


@register("unprintable")
def _unprintable(params: Mapping[str, Any]) -> UnprintableDetector:
    return UnprintableDetector(params)
