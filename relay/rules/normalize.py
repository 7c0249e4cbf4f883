"""Text normalisation for matching, with an exact offset map back to the original text.

The matching view of a text is built character by character so that every output character
knows the span ``[start, end)`` of the original characters it came from:

- NFKC, then ``str.casefold``;
- combining marks (Latin accents, ё->е but not й, ї, ў which are letters of their own,
  Arabic harakat, U+0670, variation selectors, CGJ) are dropped and their span is attached
  to the preceding output character, so that a finding never splits a base letter from
  its marks;
- invisible and bidi control characters (every ``Cf`` character: ZWSP, ZWNJ, ZWJ, LRM,
  RLM, LRE..PDF, LRI..PDI, BOM, soft hyphen, tags...) and tatweel are dropped; ZWNJ is
  meaningful in Persian spelling but carries no meaning for matching;
- Arabic and Persian letter variants are unified (ي/ى/ی, ك/ک, ة->ه, أ/إ/آ/ٱ->ا, ؤ->و, ئ->ي);
- every decimal digit (Arabic-Indic, Persian, Devanagari, fullwidth...) becomes ASCII;
- runs of white space become one space.

Look-alike letters are folded per word, toward the script that dominates the word (see
``fold_word``; the look-alikes and scripts are Unicode's, see confusables.py): "wеаpоn"
with Cyrillic е/а/о becomes Latin "weapon", while a real Cyrillic word such as "сосна" is
left alone, so that Cyrillic lexicons still match it.
Folding is one character to one character, so it shares the offset map.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from relay.rules import confusables

# Characters dropped although they are not ``Cf``: Hangul fillers render as nothing.
_EXTRA_IGNORABLE = frozenset("\u115f\u1160\u3164\uffa0")

_ARABIC_FOLD = {
    "\u0649": "\u064a",  # alef maksura -> yeh
    "\u06cc": "\u064a",  # Persian yeh -> Arabic yeh
    "\u06d2": "\u064a",  # yeh barree
    "\u06a9": "\u0643",  # Persian keheh -> kaf
    "\u06aa": "\u0643",  # swash kaf
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u06c0": "\u0647",  # heh with yeh above
    "\u06c1": "\u0647",  # heh goal
    "\u06d5": "\u0647",  # ae
    "\u0623": "\u0627",  # alef with hamza above
    "\u0625": "\u0627",  # alef with hamza below
    "\u0622": "\u0627",  # alef with madda
    "\u0671": "\u0627",  # alef wasla
    "\u0624": "\u0648",  # waw with hamza
    "\u0626": "\u064a",  # yeh with hamza
    "\u066b": ".",  # Arabic decimal separator: coordinates and amounts are written with it
    "\u066c": ",",  # Arabic thousands separator
}

# Ethiopic letters that sound alike in Amharic and are spelled either way by families
# (ሠራዊት/ሰራዊት, ሐዋላ/ሀዋላ, ፀሐይ/ጸሀይ): folded to one series of seven orders each. Tigrinya
# keeps ሐ/ሀ and ዐ/አ apart in speech; folding them only widens what a lexicon term matches.
_ETHIOPIC_FOLD = {
    chr(src + order): chr(dst + order)
    for src, dst in (
        (0x1220, 0x1230),
        (0x1210, 0x1200),
        (0x1280, 0x1200),
        (0x12D0, 0x12A0),
        (0x1340, 0x1338),
    )
    for order in range(7)
}
_LETTER_FOLD = {**_ARABIC_FOLD, **_ETHIOPIC_FOLD}

_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class CharInfo:
    """How one original character contributes to the normalised text."""

    out: str  # what it becomes ("" when dropped)
    attach: bool  # dropped combining mark: extend the previous output char's span
    invisible: bool  # dropped invisible/bidi control character (obfuscation evidence)


# Letters that look like a base letter plus a mark but are letters of their own: folding
# "й" to "и" would merge distinct Russian and Ukrainian words. (ё is folded to е on purpose:
# Russian writers commonly type е for ё.)
_KEEP_MARKED = frozenset("йїўґ")

_CACHE: dict[str, CharInfo] = {}


def _compute(ch: str) -> CharInfo:
    """Normalise one character; see the module docstring for the steps."""
    cat = unicodedata.category(ch)
    if cat == "Cs":  # lone surrogate: keep it as an opaque non-letter
        return CharInfo(ch, attach=False, invisible=False)
    if cat == "Cf" or ch in _EXTRA_IGNORABLE:
        return CharInfo("", attach=False, invisible=True)
    if ch == "\u0640":
        # Tatweel stretches Arabic words for looks (greetings are often decorated with it):
        # dropped for matching, but not evidence of obfuscation.
        return CharInfo("", attach=True, invisible=False)
    if cat in {"Mn", "Me"}:
        return CharInfo("", attach=True, invisible=False)
    if ch.isspace():
        return CharInfo(" ", attach=False, invisible=False)
    dec = unicodedata.decimal(ch, None)
    if dec is not None:
        return CharInfo(str(dec), attach=False, invisible=False)
    folded = unicodedata.normalize("NFKC", ch).casefold()
    if folded in _KEEP_MARKED:
        return CharInfo(folded, attach=False, invisible=False)
    parts: list[str] = []
    for c in unicodedata.normalize("NFD", folded):
        if unicodedata.category(c) in ("Mn", "Me", "Cf") or c == "\u0640":
            continue  # (Arabic presentation forms may decompose to tatweel + shadda)
        d = unicodedata.decimal(c, None)
        if d is not None:
            parts.append(str(d))
        elif c.isspace():
            parts.append(" ")
        else:
            parts.append(_LETTER_FOLD.get(c, c))
    # NFC again so that Hangul syllables split by NFD come back together.
    out = unicodedata.normalize("NFC", "".join(parts))
    return CharInfo(out, attach=not out and cat.startswith("M"), invisible=False)


def char_info(ch: str) -> CharInfo:
    """Return the (cached) normalisation of one character."""
    info = _CACHE.get(ch)
    if info is None:
        info = _compute(ch)
        _CACHE[ch] = info  # idempotent; a race only computes the same value twice
    return info


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised view of ``original``; ``starts[i]:ends[i]`` is the source of ``text[i]``."""

    original: str
    text: str
    starts: tuple[int, ...] | None  # None: identity map (fast path, same length)
    ends: tuple[int, ...] | None
    invisible: tuple[int, ...]  # original indices of dropped invisible characters
    mixed: bool = False  # whether the text mixes scripts (before folding)
    mixed_words: bool = False  # whether a word of it may (a cheap gate, see confusables)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` (start < end) to the original text."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


class _Table(dict[int, str]):
    """``str.translate`` table filled on demand from ``char_info``."""

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        out = char_info(ch).out
        if len(out) != 1:
            _NOT_ONE_TO_ONE.add(ch)
        self[key] = out
        return out


_TABLE = _Table()
_NOT_ONE_TO_ONE: set[str] = set()


def _fast_path(text: str) -> str | None:
    """Return the normalised text if every character maps to exactly one character."""
    # translate runs in C; the per-character work happens once per distinct character.
    out = text.translate(_TABLE)
    if not _NOT_ONE_TO_ONE.isdisjoint(text) or "  " in out:
        return None  # something was dropped or expanded, or white space collapses
    return out


def normalize(text: str) -> Normalized:
    """Build the matching view of ``text`` with its offset map back to ``text``."""
    fast = _fast_path(text)
    if fast is not None:
        mixed, in_word = confusables.script_mix(fast)
        return Normalized(text, _fold_mixed_words(fast, in_word), None, None, (), mixed, in_word)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    invisible: list[int] = []
    for i, ch in enumerate(text):
        info = char_info(ch)
        o = info.out
        if not o:
            if info.invisible:
                invisible.append(i)
            elif info.attach and ends and ends[-1] == i:
                ends[-1] = i + 1
            continue
        if o == " " and out and out[-1] == " ":
            ends[-1] = i + 1  # collapse white space, keep the span contiguous
            continue
        if len(o) == 1:  # the common case, without the inner loop
            out.append(o)
            starts.append(i)
            ends.append(i + 1)
            continue
        for c in o:
            out.append(c)
            starts.append(i)
            ends.append(i + 1)
    joined = "".join(out)
    mixed, in_word = confusables.script_mix(joined)
    return Normalized(
        text,
        _fold_mixed_words(joined, in_word),
        tuple(starts),
        tuple(ends),
        tuple(invisible),
        mixed,
        in_word,
    )


# Folded words, by word: words repeat across letters, and folding looks up each letter.
_FOLD_CACHE: dict[str, str] = {}
_FOLD_CACHE_MAX = 50_000


def _fold_mixed_words(text: str, mixed: bool) -> str:
    """Fold look-alike letters in words that mix letters of two scripts."""
    if not mixed:
        return text  # no word can mix scripts (most texts: one script, digits, punctuation)
    return _WORD_RE.sub(_fold_word, text)


def _fold_word(m: re.Match[str]) -> str:
    word = m.group(0)
    if word.isascii():
        return word
    out = _FOLD_CACHE.get(word)
    if out is None:
        if len(_FOLD_CACHE) >= _FOLD_CACHE_MAX:
            _FOLD_CACHE.clear()
        out = _FOLD_CACHE[word] = fold_word(word)
    return out


def fold_word(word: str) -> str:
    """Fold a word mixing scripts toward the script it is written in, when every letter can.

    "wеаpоn" with Cyrillic е/а/о (or Armenian, Cherokee, Lisu look-alikes) becomes Latin
    "weapon"; "зброя" with a Latin o becomes Cyrillic; a word of one script is left alone,
    and so is a mixed word some letter of which has no look-alike in the target script.
    """
    scripts = confusables.scripts_of(word)
    if len(scripts) < 2:
        return word
    counts: dict[str, int] = {}
    for c in word:
        sc = confusables.script(c)
        if sc not in confusables.NEUTRAL:
            counts[sc] = counts.get(sc, 0) + 1
    latin = counts.pop(confusables.LATIN, 0)
    target = max(sorted(counts), key=counts.__getitem__)
    # Toward the script most letters are written in ("мінoмет" is Cyrillic, although all its
    # letters have Latin twins); on a tie toward Latin ("wеаpоn").
    order = [target, confusables.LATIN] if counts[target] > latin else [confusables.LATIN, target]
    for script in order:
        folded = (
            confusables.to_latin(word)
            if script == confusables.LATIN
            else confusables.to_script(word, script)
        )
        if confusables.scripts_of(folded) == {script}:
            return folded  # a word of that script with look-alikes slipped in
    return word


def script_of(ch: str) -> str:
    """Return a coarse script name of a letter ("latin", "cyrillic", "greek", ...)."""
    o = ord(ch)
    if o < 0x250 and ch.isalpha():
        return "latin"
    if 0x370 <= o < 0x400:
        return "greek"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x600 <= o < 0x700 or 0x750 <= o < 0x780 or 0xFB50 <= o < 0xFE00 or 0xFE70 <= o < 0xFF00:
        return "arabic"
    return "other"
