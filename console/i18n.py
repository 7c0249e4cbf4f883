"""The console's words: the same catalogs as the bot's (``words.catalog``), for templates."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale
from babel.dates import format_datetime
from words.catalog import N_, RTL, SUPPORTED, Language, catalog, supported

__all__ = ["N_", "RTL", "SUPPORTED", "Words", "label_gettext", "words"]


@dataclass(frozen=True, slots=True)
class Words(Language):
    """The words of one language, for templates and views."""

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    def when(self, moment: dt.datetime) -> str:
        """Format a moment the way this language writes it."""
        return format_datetime(moment, format="short", locale=Locale.parse(self.lang))


@functools.cache
def words(lang: str | None) -> Words:
    """Return the words of a supported language (English otherwise)."""
    code = supported(lang)
    return Words(code, catalog(code))


def label_gettext(language: str) -> Callable[[str], str]:
    """Translator factory for the export worker (printed labels in a batch's language)."""
    return words(language).gettext
