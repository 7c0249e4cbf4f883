"""The console's words: the same gettext catalogs as the bot, read from ``bot/i18n/locales/``.

The console never imports ``bot``, so it loads the catalogs itself (the .po files, compiled
in memory, as the bot does).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SUPPORTED = ("en", "fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so")
RTL = frozenset({"ar", "fa", "ps"})
# The catalogs ship inside the bot package (a data folder, read as files, not imported).
LOCALES_DIR = Path(__file__).resolve().parents[1] / "bot" / "i18n" / "locales"


@dataclass(frozen=True, slots=True)
class Words:
    """The words of one language, for templates and views."""

    lang: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    @property
    def direction(self) -> str:
        return "rtl" if self.lang in RTL else "ltr"

    def when(self, moment: dt.datetime) -> str:
        """Format a moment the way this language writes it."""
        return format_datetime(moment, format="short", locale=Locale.parse(self.lang))


def _load(path: Path) -> gettext.NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.cache
def words(lang: str | None) -> Words:
    """Return the words of a supported language (English otherwise)."""
    code = lang if lang in SUPPORTED else "en"
    assert code is not None
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    return Words(code, _load(po) if po.is_file() else gettext.NullTranslations())


def label_gettext(language: str) -> Callable[[str], str]:
    """Translator factory for the export worker (printed labels in a batch's language)."""
    return words(language).gettext


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message
