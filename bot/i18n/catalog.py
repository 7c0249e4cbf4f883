"""The bot's words: a reader's catalog with their calendar, digits and writing direction.

The catalogs and the list of languages are shared with the console (``words.catalog``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from babel import Locale
from babel.dates import format_datetime

from relay import calendars
from words.catalog import (
    DEFAULT,
    LOCALES_DIR,
    N_,
    NATIVE_NAMES,
    RTL,
    SUPPORTED,
    Language,
    catalog,
    missing_catalogs,
    negotiate,
    supported,
)

__all__ = [
    "DEFAULT",
    "LOCALES_DIR",
    "NATIVE_NAMES",
    "N_",
    "RTL",
    "SUPPORTED",
    "Translator",
    "missing_catalogs",
    "negotiate",
    "translator",
]
RLM = "\u200f"


@dataclass(frozen=True, slots=True)
class Translator(Language):
    """The words of one language, with its calendar and digits, for the bot's messages."""

    def date(self, moment: dt.datetime | dt.date, country_code: str | None = None) -> str:
        """Write a date in this reader's calendar, month names and digits."""
        return calendars.format_date(moment, self.lang, country_code)

    def birth_date(self, iso: str, country_code: str | None = None) -> str:
        """Write a stored birth date in the reader's calendar, the Gregorian date beside it."""
        return calendars.format_birth_date(iso, self.lang, country_code)

    def datetime(self, moment: dt.datetime) -> str:
        text = format_datetime(moment, format="medium", locale=Locale.parse(self.lang))
        return calendars.native_digits(text, self.lang)

    def directed(self, text: str) -> str:
        """Start every line with a right-to-left mark in RTL languages.

        Telegram picks a paragraph's direction from its first strong character; a line that
        starts with a reference or a number would otherwise read left to right.
        """
        if not self.rtl:
            return text
        return "\n".join(RLM + line if line else line for line in text.split("\n"))


@functools.cache
def translator(lang: str | None) -> Translator:
    """Return the translator for a supported language (English otherwise)."""
    code = supported(lang)
    return Translator(code, catalog(code))
