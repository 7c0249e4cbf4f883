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
    return "".join(c for c in unicodedata.normalize("NFD", folded)
                   if unicodedata.category(c) not in ("Mn", "Me"))


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


def scripts_of(word: str) -> set[str]:
    """Return the scripts of the letters of ``word``, neutral ones left out."""
    return {s for s in map(script, word) if s not in NEUTRAL}
