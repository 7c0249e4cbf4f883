"""Scripts and look-alike letters, from Unicode's own data (no hand-kept code-point tables).

Both come from ``confusable_homoglyphs``, which ships Unicode's ``confusables.txt`` and
``Scripts.txt`` as JSON inside the package: the script of a character
(``categories.alias``), and for each character the characters that look like it.

From them this module derives, once at import:

- ``latin_twin``: every letter of another script that looks like one Latin letter (Cyrillic
  а, г, ԝ, Greek ν, ϲ, Armenian ո, Lisu ꓲ, Cherokee Ꮃ...), as the Latin letter, in the
  matching view's terms (case-folded, NFKC). Upper-case look-alikes count too (Cyrillic
  Н looks like H), because the matching view is case-folded.
- ``twin_in(script)``: for a script, the letter of that script that looks like a given
  Latin letter, so that a Cyrillic word with Latin look-alikes slipped in folds back to
  Cyrillic.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from confusable_homoglyphs import categories as _categories
from confusable_homoglyphs import confusables as _confusables

# Scripts that share a character with every other, or are written together with another:
# not evidence of mixing.
NEUTRAL = frozenset({"COMMON", "INHERITED", "Unknown"})
# Scripts written together in one word as a matter of course (Japanese mixes kana and
# kanji, Korean may mix Hangul and Hanja): treated as one script.
_SCRIPT_GROUP = {"HIRAGANA": "HAN", "KATAKANA": "HAN", "HANGUL": "HAN", "BOPOMOFO": "HAN"}

LATIN = "LATIN"


@cache
def script(ch: str) -> str:
    """Return the Unicode script of ``ch`` (upper case ISO 15924 alias), grouped for CJK."""
    name = str(_categories.alias(ch))
    return _SCRIPT_GROUP.get(name, name)


def _view(ch: str) -> str:
    """What ``ch`` becomes in the matching view (see normalize.py), for single characters."""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return "".join(
        c
        for c in unicodedata.normalize("NFD", folded)
        if unicodedata.category(c) not in ("Mn", "Me")
    )


def _build() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    data: dict[str, list[dict[str, str]]] = _confusables.confusables_data
    twin: dict[str, str] = {}
    upper_twin: dict[str, str] = {}
    for ch, glyphs in data.items():
        if len(ch) != 1 or script(ch) in NEUTRAL or script(ch) == LATIN:
            continue
        key = _view(ch)
        if len(key) != 1 or not key.isalpha() or script(key) in (LATIN, *NEUTRAL):
            continue  # NFKC already made it Latin (fullwidth, mathematical letters)
        for g in glyphs:
            c = g["c"]
            if len(c) == 1 and c.isascii() and c.isalpha():
                # A lower-case look-alike wins over the look-alike of the capital.
                target = twin if ch == ch.lower() and c == c.lower() else upper_twin
                target.setdefault(key, c.lower())
                break
    for key, c in upper_twin.items():
        twin.setdefault(key, c)
    canon: dict[str, dict[str, str]] = {}
    for key, c in sorted(twin.items(), key=lambda kv: (kv[0] != kv[0].lower(), kv[0])):
        canon.setdefault(script(key), {}).setdefault(c, key)
    return twin, canon


_TWIN, _CANON = _build()
_LATIN_TABLE = str.maketrans(_TWIN)


def twins() -> frozenset[str]:
    """Every letter that has a Latin look-alike (matching-view form)."""
    return frozenset(_TWIN)


def latin_twin(ch: str) -> str | None:
    """Return the Latin letter that ``ch`` (a matching-view letter) looks like, if any."""
    return _TWIN.get(ch)


def to_latin(word: str) -> str:
    """Replace every letter that has a Latin look-alike by it."""
    return word.translate(_LATIN_TABLE)


@cache
def _table_for(target: str) -> dict[int, str]:
    canon = _CANON.get(target, {})
    table: dict[int, str] = {}
    for c, native in canon.items():
        table[ord(c)] = native  # a Latin letter
    for other, lat in _TWIN.items():
        if script(other) != target and lat in canon:
            table[ord(other)] = canon[lat]  # a Greek letter in a Cyrillic word
    return table


def to_script(word: str, target: str) -> str:
    """Replace letters of other scripts that look like a letter of ``target`` by that letter."""
    return word.translate(_table_for(target))


class _ScriptTable(dict[int, str]):
    """``str.translate`` table: each character to one private-use character per script
    (neutral ones to nothing), filled on demand, so that the scripts of a text are found
    in C (translate, then set)."""

    def __missing__(self, key: int) -> str:
        name = script(chr(key))
        out = (
            ""
            if name in NEUTRAL
            else _SCRIPT_CODES.setdefault(name, chr(0xF0000 + len(_SCRIPT_CODES)))
        )
        self[key] = out
        return out


_SCRIPT_CODES: dict[str, str] = {}
_SCRIPTS = _ScriptTable()
_LATIN_CODE = _SCRIPTS[ord("a")]


# A Latin letter touching a non-ASCII character (in the matching view accents are gone, so
# this is mostly another script's letter or typographic punctuation).
_TOUCH_RE = re.compile(r"[a-z][^\x00-\x7f]|[^\x00-\x7f][a-z]")


def script_mix(text: str) -> tuple[bool, bool]:
    """Whether the matching-view ``text`` mixes scripts, and whether a word of it may.

    The second is a cheap gate: False when no Latin letter touches a non-ASCII character
    and the text has at most one script besides Latin, for then no word holds two scripts.
    """
    if text.isascii():
        return False, False
    codes = set("".join(set(text)).translate(_SCRIPTS))
    if len(codes) < 2:
        return False, False
    return True, len(codes - {_LATIN_CODE}) > 1 or _TOUCH_RE.search(text) is not None


def n_scripts(word: str) -> int:
    """How many scripts the letters of ``word`` belong to (neutral ones left out)."""
    return len(set(word.translate(_SCRIPTS)))


def only_latin(word: str) -> bool:
    """Whether every letter of ``word`` is Latin (and there is one)."""
    return set(word.translate(_SCRIPTS)) == {_LATIN_CODE}


def scripts_of(word: str) -> set[str]:
    """Return the scripts of the letters of ``word``, neutral ones left out."""
    return {s for s in map(script, word) if s not in NEUTRAL}
