"""Locale negotiation and gettext catalogs (Babel), loaded from ``bot/i18n/locales/*.po`` at start.

Catalogs are read from the .po files and compiled in memory, so a fresh checkout needs no
build step; ``scripts/check`` still compiles each one with ``pybabel compile`` to prove it is
valid.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from relay import calendars

SUPPORTED = ("en", "fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so")
# Languages whose script runs right to left (Arabic script: Arabic, Persian/Dari, Pashto).
RTL = frozenset({"ar", "fa", "ps"})
DEFAULT = "en"
# Inside the package, so that a wheel ships them (package-data in pyproject.toml).
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# Language names in their own language, for the picker.
NATIVE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "fa": "فارسی / دری",
    "ps": "پښتو",
    "ru": "Русский",
    "uk": "Українська",
    "sw": "Kiswahili",
    "am": "አማርኛ",
    "ti": "ትግርኛ",
    "so": "Soomaali",
}
RLM = "\u200f"
# Three-letter codes some phones send for languages we speak under a two-letter code: Dari
# is written Persian, Pashto and Swahili have regional codes.
ALIASES = {"prs": "fa", "pbt": "ps", "pbu": "ps", "pst": "ps", "swh": "sw", "swc": "sw"}


def negotiate(language_code: str | None) -> str | None:
    """Return the supported language for a Telegram ``language_code``, or None."""
    if not language_code:
        return None
    base = language_code.replace("_", "-").split("-", maxsplit=1)[0].lower()
    base = ALIASES.get(base, base)
    return base if base in SUPPORTED else None


@dataclass(frozen=True, slots=True)
class Translator:
    """The words of one language."""

    lang: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    @property
    def rtl(self) -> bool:
        return self.lang in RTL

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


def _load(path: Path) -> gettext.NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def missing_catalogs(locales_dir: Path | None = None) -> list[str]:
    """Return the supported languages whose catalog is not installed (English needs none)."""
    root = LOCALES_DIR if locales_dir is None else locales_dir
    return [
        code
        for code in SUPPORTED
        if code != DEFAULT and not (root / code / "LC_MESSAGES" / "messages.po").is_file()
    ]


@functools.cache
def translator(lang: str | None) -> Translator:
    """Return the translator for a supported language (English otherwise)."""
    code = lang if lang in SUPPORTED else DEFAULT
    assert code is not None
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    catalog: gettext.NullTranslations = _load(po) if po.is_file() else gettext.NullTranslations()
    return Translator(code, catalog)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message
