"""Checks on what people type, before anything is stored.

Refused (with a code the bot turns into a localized sentence): control characters, bidi
embeddings/overrides/isolates, zero-width spaces and other invisible formatting, private-use
and unassigned code points, lone surrogates, empty or oversized text. Kept on purpose: ZWNJ
and ZWJ (part of Persian and Indic spelling), LRM/RLM (inserted by some phone keyboards),
newlines and tabs.
"""

from __future__ import annotations

import unicodedata

from relay.errors import InvalidInput

MAX_MESSAGE_CHARS = 4000
MAX_NAME_CHARS = 120
_ALLOWED_FORMAT = {"\u200c", "\u200d", "\u200e", "\u200f"}
_ALLOWED_CONTROL = {"\n", "\t", "\r"}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); no name
# starts with one, so a name that does is refused (and manifests neutralise them anyway).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def bad_characters(text: str) -> str:
    """Return the characters of ``text`` that we refuse (each once, in order)."""
    seen: dict[str, None] = {}
    for ch in text:
        category = unicodedata.category(ch)
        refused = (
            (category == "Cc" and ch not in _ALLOWED_CONTROL)
            or (category == "Cf" and ch not in _ALLOWED_FORMAT)
            or category in {"Cs", "Co", "Cn"}
        )
        if refused:
            seen[ch] = None
    return "".join(seen)


def clean_text(text: str, *, max_chars: int = MAX_MESSAGE_CHARS, field: str = "text") -> str:
    """Return ``text`` trimmed, or raise InvalidInput saying what is wrong with it."""
    bad = bad_characters(text)
    if bad:
        raise InvalidInput(
            "bad_characters", f"{field}: {len(bad)} refused characters", count=len(bad)
        )
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidInput("empty", field)
    if len(cleaned) > max_chars:
        raise InvalidInput("too_long", field, limit=max_chars, length=len(cleaned))
    return cleaned


def clean_name(text: str, *, field: str = "name") -> str:
    """Return a person's name trimmed to single spaces, or raise InvalidInput."""
    cleaned = " ".join(clean_text(text, max_chars=MAX_NAME_CHARS, field=field).split())
    if not any(ch.isalpha() for ch in cleaned):
        raise InvalidInput("not_a_name", field)
    if "\n" in text.strip():
        raise InvalidInput("not_a_name", field)
    if cleaned.startswith(FORMULA_STARTS):
        raise InvalidInput("name_start", field)
    return cleaned


def spreadsheet_safe(cell: str) -> str:
    """Return ``cell`` so that a spreadsheet shows it as text, never runs it as a formula."""
    # OWASP's advice: a leading apostrophe makes the cell text in Excel and LibreOffice.
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def is_latin(text: str) -> bool:
    """Return whether every letter of ``text`` is a Latin letter."""
    return all("LATIN" in unicodedata.name(ch, "") for ch in text if ch.isalpha())


def word_count(text: str) -> int:
    """Count words as a family would (split on white space)."""
    return len(text.split())
