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
from functools import cache

from relay.rules import confusables

# Digits and symbols written for letters (one character for one): Latin "leet" and its
# Cyrillic counterpart (3 for з, 4 for ч, 6 for б, 0 for о).
_LATIN_I = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "€": "e",
        "+": "t",
    }
)
_LATIN_L = str.maketrans({"1": "l", "!": "l"})
_CYRILLIC = str.maketrans({"0": "о", "3": "з", "4": "ч", "6": "б", "@": "а", "$": "ѕ"})
_CYRILLIC_2 = str.maketrans({"3": "е", "4": "а"})
_SUBST = "0-9@$!|€+"
# A word holding letters and substitutes; "!", "|" and "+" only between letters, so that
# "war!" and "3+4" stay what they are.
_TOKEN_RE = re.compile(r"(?:[^\W_]|[@$€]|[!|+](?=[^\W_]))+")
_SUBST_RUN_RE = re.compile(rf"[{_SUBST}]+")


def _leet_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the words where a run of digits or symbols touches a letter ("w34pon")."""
    n = len(text)
    out: list[tuple[int, int]] = []
    for m in _SUBST_RUN_RE.finditer(text):
        s, e = m.span()
        if out and s < out[-1][1]:
            continue
        if not ((s > 0 and text[s - 1].isalpha()) or (e < n and text[e].isalpha())):
            continue
        tok = _TOKEN_RE.match(text, _token_start(text, s))
        if tok is not None and tok.end() > s:
            out.append(tok.span())
    return out


_LETTERS_RE = re.compile(r"[^\W\d_]+")


def _worth_folding(tok: str, plausible: Callable[[str], bool]) -> bool:
    """Whether a word with digits or symbols may spell a term ("2nd", "de89" may not)."""
    if sum(c.isalpha() for c in tok) < 3:
        return False
    return any(
        plausible(w)
        for second in (False, True)
        for w in _LETTERS_RE.findall(_fold_token(tok, second))
    )


def _token_start(text: str, i: int) -> int:
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "@$€"):
        i -= 1
    return i


def _has_letter(tok: str) -> bool:
    return any(c.isalpha() for c in tok)


def _fold_token(tok: str, second: bool) -> str:
    if tok.isalpha() or not _has_letter(tok):
        return tok
    if any(confusables.script(c) == "CYRILLIC" for c in tok):
        return (
            tok.translate(_CYRILLIC_2).translate(_CYRILLIC) if second else tok.translate(_CYRILLIC)
        )
    if second:
        tok = tok.translate(_LATIN_L)
    return tok.translate(_LATIN_I)


@cache
def _whole_re() -> re.Pattern[str]:
    """Words of three or more letters, every one of which has a Latin look-alike."""
    chars = "".join(sorted(confusables.twins()))
    return re.compile(r"(?<![^\W_])[" + re.escape(chars) + r"]{3,}(?![^\W_])")


_EDGES = "".join(chr(c) for c in range(0x80) if not chr(c).isalnum())


def _whole_words(text: str) -> list[str]:
    """The words of ``text`` made only of look-alikes, as the Latin words they look like."""
    # Split in C and look each word up: cheaper than a regex over the text.
    out: list[str] = []
    for token in text.split():
        folded = _WHOLE.get(token)
        if folded is None:
            if len(_WHOLE) >= 50_000:
                _WHOLE.clear()  # bounded: words repeat, but not without end
            word = token.strip(_EDGES)
            folded = ""
            if len(word) >= 3 and not word.isascii() and _TWINS.issuperset(word):
                latin = confusables.to_latin(word)
                folded = latin if confusables.only_latin(latin) else ""
            _WHOLE[token] = folded
        if folded:
            out.append(folded)
    return out


_TWINS = confusables.twins()
_WHOLE: dict[str, str] = {}  # token -> the Latin word it looks like, or ""


def letter_views(text: str, plausible: Callable[[str], bool], mixed: bool = False) -> list[str]:
    """Return the views of ``text`` (same length) that differ from it; often none.

    A word of look-alike letters is folded to Latin only where ``plausible`` says the
    folded word could be a lexicon term (most Cyrillic words are made of such letters).
    """
    base = text
    # Whole words of look-alikes are looked for where scripts mix (``mixed``: the original
    # text did, as an English letter with "ԁіϲtаtоr" in it does); a Cyrillic text is
    # Cyrillic.
    if mixed and any(map(plausible, _whole_words(text))):

        def whole(m: re.Match[str]) -> str:
            word = m.group(0)
            folded = confusables.to_latin(word)
            return folded if confusables.only_latin(folded) and plausible(folded) else word

        base = _whole_re().sub(whole, text)
    out: list[str] = []
    spans = [(s, e) for s, e in _leet_spans(base) if _worth_folding(base[s:e], plausible)]
    if spans:
        for second in (False, True):
            parts: list[str] = []
            pos = 0
            for s, e in spans:
                parts += [base[pos:s], _fold_token(base[s:e], second)]
                pos = e
            parts.append(base[pos:])
            view = "".join(parts)
            if view not in out:
                out.append(view)
    elif base != text:
        out.append(base)
    return [v for v in out if v != text]


# Separators inside split words, between two letters: a single space (tabs and line breaks
# are spaces in the matching view), a hyphen before a line break, a dot, hyphen, underscore
# or middle dot.
_GAP_RE = re.compile(r"(?<=[^\W\d_])(?:[.\-_·*/]|- | )(?=[^\W\d_])")


_DROP_GAPS = str.maketrans("", "", " .-_·*/")


def join_gaps(view: str) -> str:
    """Return ``view`` with every in-word gap removed (the map is built only when needed)."""
    return _GAP_RE.sub("", view)


def join_chain(chain: str) -> str:
    """Join a chain of letters and gaps (letters between dots, hyphens, "- "...)."""
    return chain.translate(_DROP_GAPS)


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
