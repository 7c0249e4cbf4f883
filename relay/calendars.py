"""Dates as families write and read them: Gregorian or Solar Hijri, in their own digits.

Conversions between calendars come from ``jdatetime`` (a maintained Jalali library) and month
names of the Gregorian calendar from Babel (CLDR); this module only holds the month names CLDR
lacks (the Solar Hijri names used in Afghanistan) and decides which calendar a reader uses.
Dates are always stored in the Gregorian calendar (ISO ``yyyy-mm-dd``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import jdatetime
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date

from relay.errors import InvalidInput

# Readers of these languages count years in the Solar Hijri calendar (Iran, Afghanistan).
SOLAR_HIJRI_LANGUAGES = frozenset({"fa", "ps"})
# Dari (Persian as written in Afghanistan) and Pashto use the Afghan (zodiac) month names.
_DARI_MONTHS = (
    "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
    "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
)  # fmt: skip
_PASHTO_MONTHS = (
    "وری", "غویی", "غبرگولی", "چنگاښ", "زمری", "وږی",
    "تله", "لړم", "لیندۍ", "مرغومی", "سلواغه", "کب",
)  # fmt: skip
# Digits of the numbering systems CLDR names for our locales.
_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}
_EARLIEST = dt.date(1900, 1, 1)
LRM = "\u200e"
_SEP = r"[./\-\s\u060c\u066b\u066c,]+"  # dot, slash, dash, space, Arabic comma and separators
_DAY_FIRST = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})")
_YEAR_FIRST = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})")


@dataclass(frozen=True, slots=True)
class TypedDate:
    """A date as a family typed it: the Gregorian day, and the calendar they wrote it in."""

    gregorian: dt.date
    solar_hijri: bool

    @property
    def iso(self) -> str:
        return self.gregorian.isoformat()


def _western_digits(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in text
        if ch not in "\u200e\u200f\u061c"  # direction marks some keyboards add
    )


def parse_date(text: str, today: dt.date) -> TypedDate:
    """Read a birth date typed as d.m.yyyy or yyyy/m/d, Gregorian or Solar Hijri (13xx-14xx).

    Any decimal digits are accepted (Persian, Arabic-Indic...). Raises InvalidInput
    ``bad_date`` when the text is not a date, ``impossible_date`` when it names a day that
    does not exist (31.02.1990), and ``date_out_of_range`` before 1900 or after today.
    """
    digits = _western_digits(text.strip())
    if match := _DAY_FIRST.fullmatch(digits):
        day, month, year = (int(x) for x in match.groups())
    elif match := _YEAR_FIRST.fullmatch(digits):
        year, month, day = (int(x) for x in match.groups())
    else:
        raise InvalidInput("bad_date")
    solar = 1300 <= year < 1500  # no Gregorian birth year is that early; no Hijri year later
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise InvalidInput("bad_date")
    try:
        if solar:
            value = jdatetime.date(year, month, day).togregorian()
        else:
            value = dt.date(year, month, day)
    except ValueError:
        raise InvalidInput("impossible_date") from None
    if not _EARLIEST <= value <= today:
        raise InvalidInput("date_out_of_range")
    return TypedDate(value, solar)


def _locale(lang: str, country_code: str | None) -> Locale:
    if country_code:
        try:
            return Locale.parse(f"{lang}_{country_code.upper()}")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(lang)


def native_digits(text: str, lang: str, country_code: str | None = None) -> str:
    """Write the digits of ``text`` the way readers of ``lang`` (in that country) write them."""
    system = _locale(lang, country_code).default_numbering_system
    digits = _DIGITS.get(system)
    if digits is None:
        return text
    return text.translate(str.maketrans("0123456789", digits))


def solar_hijri_month(month: int, lang: str, country_code: str | None = None) -> str:
    """Return the name of a Solar Hijri month (1-12) for readers of ``lang``."""
    if lang == "ps":
        return _PASHTO_MONTHS[month - 1]
    if (country_code or "").upper() == "AF":
        return _DARI_MONTHS[month - 1]
    return str(jdatetime.date.j_months_fa[month - 1])


def format_date(moment: dt.date, lang: str, country_code: str | None = None) -> str:
    """Write a day in the reader's calendar, month names and digits."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if lang in SOLAR_HIJRI_LANGUAGES:
        local = jdatetime.date.fromgregorian(date=day)
        month = solar_hijri_month(local.month, lang, country_code)
        return native_digits(f"{local.day} {month} {local.year}", lang, country_code)
    return format_gregorian(day, lang, country_code)


def format_gregorian(day: dt.date, lang: str, country_code: str | None = None) -> str:
    """Write a day in the Gregorian calendar, in the reader's words and digits."""
    text = babel_format_date(day, format="long", locale=_locale(lang, country_code))
    return native_digits(text, lang, country_code)


def format_birth_date(iso: str, lang: str, country_code: str | None = None) -> str:
    """Write a stored (Gregorian ISO) date in the reader's calendar.

    A Solar Hijri reader sees the ISO date beside the local one, as on the printed form, so
    that anyone who reads the message (a delegate, a prison officer) reads the same day.
    """
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso  # written before dates were checked: show it as it was typed
    if lang not in SOLAR_HIJRI_LANGUAGES:
        return format_gregorian(day, lang, country_code)
    # Left-to-right marks keep the ISO date whole in a right-to-left line (the PDF's bidi
    # otherwise prints it as 25-12-1980).
    return f"{format_date(day, lang, country_code)} ({LRM}{iso}{LRM})"


def printed_birth_date(iso: str | None, lang: str) -> str | None:
    """Return the birth date as printed: ISO, with the Solar Hijri date before it for fa/ps."""
    if iso is None or lang not in SOLAR_HIJRI_LANGUAGES:
        return iso
    return format_birth_date(iso, lang)
