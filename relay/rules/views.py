"""Second views of the matching text, for the lexicons only: what a disguised word spells.

The matching view (normalize.py) keeps digits as digits and words as they are split, so that
numbers, phone numbers and sums are still seen as such. People who want a word past the
lexicons write it with digits or symbols for letters ("art1llery", "w34pon", "$hoot"), in
letters of another script that all look Latin ("ԝеароп"), or split it ("arti<TAB>llery",
"artil-<newline>lery", "arti.llery", "arti llery"). These views undo that:

- ``letter_views``: the text with digits and symbols used as letters folded (inside words
  that also hold letters; a number alone stays a number) and whole words of look-alike
  letters folded to Latin. Folding is one character to one character, so these views share
  the matching view's offsets. "1" reads as "i" in one view and as "l" in the other (in
  Cyrillic words, "3" as "з" and as "е", "4" as "ч" and as "а").
- ``join_gaps``: the text with the separators between letters removed ("arti llery" ->
  "artillery"), and ``joined_map`` from its positions back to the view it was made from.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from relay.rules import confusables

# Digits and symbols written for letters (one character for one): Latin "leet" and its
# Cyrillic counterpart (3 for з, 4 for ч, 6 for б, 0 for о).
_LATIN_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                          "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l",
                          "€": "e", "+": "t"})
_LATIN_L = str.maketrans({"1": "l", "!": "l"})
_CYRILLIC = str.maketrans({"0": "о", "3": "з", "4": "ч", "6": "б", "@": "а", "$": "ѕ"})
_CYRILLIC_2 = str.maketrans({"3": "е", "4": "а"})
_SUBST = "0-9@$!|€+"
# A word holding letters and substitutes; "!", "|" and "+" only between letters, so that
# "war!" and "3+4" stay what they are.
_TOKEN_RE = re.compile(r"(?:[^\W_]|[@$€]|[!|+](?=[^\W_]))+")
_GATE_RE = re.compile(rf"[^\W\d_][{_SUBST}]|[{_SUBST}][^\W\d_]")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")


def _has_letter(tok: str) -> bool:
    return any(c.isalpha() for c in tok)


def _fold_token(tok: str, second: bool) -> str:
    if tok.isalpha() or not _has_letter(tok):
        return tok
    if any(confusables.script(c) == "CYRILLIC" for c in tok):
        return tok.translate(_CYRILLIC_2).translate(_CYRILLIC) if second else tok.translate(
            _CYRILLIC)
    if second:
        tok = tok.translate(_LATIN_L)
    return tok.translate(_LATIN_I)


_WHOLE: dict[str, str] = {}  # word -> its Latin look-alike, or the word itself


def letter_views(text: str, plausible: Callable[[str], bool]) -> list[str]:
    """Return the views of ``text`` (same length) that differ from it; often none.

    A word of look-alike letters is folded to Latin only where ``plausible`` says the
    folded word could be a lexicon term (most Cyrillic words are made of such letters).
    """
    base = text
    if not text.isascii():
        def whole(m: re.Match[str]) -> str:
            word = m.group(0)
            if word.isascii():
                return word
            folded = _WHOLE.get(word)
            if folded is None:
                if len(_WHOLE) >= 50_000:
                    _WHOLE.clear()  # bounded: words repeat, but not without end
                folded = confusables.to_latin(word)
                if confusables.scripts_of(folded) != {confusables.LATIN}:
                    folded = word
                _WHOLE[word] = folded
            return folded if folded is not word and plausible(folded) else word

        base = _WORD_RE.sub(whole, text)
    out: list[str] = []
    if _GATE_RE.search(base):
        first = _TOKEN_RE.sub(lambda m: _fold_token(m.group(0), False), base)
        out.append(first)
        if "1" in base or "!" in base or "3" in base or "4" in base:
            second = _TOKEN_RE.sub(lambda m: _fold_token(m.group(0), True), base)
            if second != first:
                out.append(second)
    elif base != text:
        out.append(base)
    return [v for v in out if v != text]


# Separators inside split words, between two letters: a single space (tabs and line breaks
# are spaces in the matching view), a hyphen before a line break, a dot, hyphen, underscore
# or middle dot.
_GAP_RE = re.compile(r"(?<=[^\W\d_])(?:[.\-_·*/] ?| )(?=[^\W\d_])")


def join_gaps(view: str) -> str:
    """Return ``view`` with every in-word gap removed (the map is built only when needed)."""
    return _GAP_RE.sub("", view)


@dataclass(frozen=True, slots=True)
class Joined:
    """``view`` with its gaps removed; piece ``k`` starts at ``jstarts[k]`` in the joined text."""

    jstarts: tuple[int, ...]
    vstarts: tuple[int, ...]
    plain: tuple[bool, ...]  # whether the gap before piece k is a plain space

    def segment(self, j: int) -> int:
        return bisect_right(self.jstarts, j) - 1

    def to_view(self, j: int) -> int:
        k = self.segment(j)
        return self.vstarts[k] + (j - self.jstarts[k])


def joined_map(view: str, hard_gaps: frozenset[int] = frozenset()) -> Joined:
    """Return the map from ``join_gaps(view)`` back to ``view``."""
    jstarts = [0]
    vstarts = [0]
    plain = [False]
    removed = 0
    for m in _GAP_RE.finditer(view):
        removed += m.end() - m.start()
        jstarts.append(m.end() - removed)
        vstarts.append(m.end())
        plain.append(m.group(0) == " " and m.start() not in hard_gaps)
    return Joined(tuple(jstarts), tuple(vstarts), tuple(plain))
