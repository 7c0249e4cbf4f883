"""Which languages we speak, and their gettext catalogs (Babel), read from ``locales/*.po``.

Catalogs are read from the .po files and compiled in memory, so a fresh checkout needs no
build step; ``python -m bot.i18n.check`` still compiles each one with ``pybabel compile`` to
prove it is valid.
"""

from __future__ import annotations

import functools
import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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
# Three-letter codes some phones send for languages we speak under a two-letter code: Dari
# is written Persian, Pashto and Swahili have regional codes.
ALIASES = {"prs": "fa", "pbt": "ps", "pbu": "ps", "pst": "ps", "swh": "sw", "swc": "sw"}


def negotiate(language_code: str | None) -> str | None:
    """Return the supported language for a client's language code (``pt-BR``, ``prs``)."""
    if not language_code:
        return None
    base = language_code.replace("_", "-").split("-", maxsplit=1)[0].lower()
    base = ALIASES.get(base, base)
    return base if base in SUPPORTED else None


def supported(lang: str | None) -> str:
    """Return ``lang`` when we speak it, English otherwise."""
    return lang if lang is not None and lang in SUPPORTED else DEFAULT


@dataclass(frozen=True, slots=True)
class Language:
    """The words of one language: its catalog, and whether its script runs right to left.

    The bot's ``Translator`` and the console's ``Words`` add what each front end writes.
    """

    lang: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    @property
    def rtl(self) -> bool:
        return self.lang in RTL


def _load(path: Path) -> gettext.NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.cache
def catalog(lang: str) -> gettext.NullTranslations:
    """Return the compiled catalog of a supported language (none for English, the source)."""
    po = LOCALES_DIR / supported(lang) / "LC_MESSAGES" / "messages.po"
    return _load(po) if po.is_file() else gettext.NullTranslations()


def missing_catalogs(locales_dir: Path | None = None) -> list[str]:
    """Return the supported languages whose catalog is not installed (English needs none)."""
    root = LOCALES_DIR if locales_dir is None else locales_dir
    return [
        code
        for code in SUPPORTED
        if code != DEFAULT and not (root / code / "LC_MESSAGES" / "messages.po").is_file()
    ]


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message
