"""Birth dates as families type them, and dates in the reader's calendar and digits."""

from __future__ import annotations

import datetime as dt

import pytest

from relay.calendars import (
    format_birth_date,
    format_date,
    format_gregorian,
    parse_date,
    printed_birth_date,
)
from relay.errors import InvalidInput

TODAY = dt.date(2026, 3, 1)
BORN = dt.date(1980, 12, 25)


@pytest.mark.parametrize(
    ("typed", "solar"),
    [
        pytest.param("25.12.1980", False, id="day-month-year"),
        pytest.param("25/12/1980", False, id="day-month-year-slashes"),
        pytest.param("1980/12/25", False, id="year-month-day"),
        pytest.param("1980-12-25", False, id="iso"),
        pytest.param("٢٥/١٢/١٩٨٠", False, id="arabic-indic-digits"),
        pytest.param("\u200f25.12.1980", False, id="direction-mark-from-keyboard"),
        pytest.param("1359/10/04", True, id="solar-hijri"),
        pytest.param("۱۳۵۹/۱۰/۰۴", True, id="solar-hijri-persian-digits"),
        pytest.param("۴/۱۰/۱۳۵۹", True, id="solar-hijri-day-first"),
        pytest.param("1359-10-4", True, id="solar-hijri-dashes"),
    ],
)
def test_birth_dates_are_read_as_families_write_them(typed: str, solar: bool) -> None:
    parsed = parse_date(typed, TODAY)
    assert (parsed.gregorian, parsed.solar_hijri, parsed.iso) == (BORN, solar, "1980-12-25")


def test_solar_hijri_new_year_is_the_march_equinox() -> None:
    assert parse_date("1400/01/01", TODAY).gregorian == dt.date(2021, 3, 21)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        pytest.param("31.02.1990", "impossible_date", id="february-31"),
        pytest.param("29.02.1990", "impossible_date", id="not-a-leap-year"),
        pytest.param("1359/12/30", "impossible_date", id="solar-esfand-30-not-leap"),
        pytest.param("1359/07/31", "impossible_date", id="solar-mehr-has-30-days"),
        pytest.param("32.01.1990", "bad_date", id="day-32"),
        pytest.param("12.13.1990", "bad_date", id="month-13"),
        pytest.param("12.1980", "bad_date", id="no-day"),
        pytest.param("yesterday", "bad_date", id="words"),
        pytest.param("01.01.1850", "date_out_of_range", id="before-1900"),
        pytest.param("02.03.2026", "date_out_of_range", id="tomorrow"),
        pytest.param("1410/01/01", "date_out_of_range", id="solar-future"),
    ],
)
def test_bad_dates_say_what_is_wrong(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date(typed, TODAY)
    assert caught.value.code == code


def test_leap_days_exist_where_they_do() -> None:
    assert parse_date("29.02.1980", TODAY).gregorian == dt.date(1980, 2, 29)
    # 1399 is a Solar Hijri leap year: Esfand has 30 days
    assert parse_date("1399/12/30", TODAY).gregorian == dt.date(2021, 3, 20)


@pytest.mark.parametrize(
    ("lang", "country", "shown"),
    [
        pytest.param("fa", None, "۴ دی ۱۳۵۹", id="persian-iranian-months"),
        pytest.param("fa", "AF", "۴ جدی ۱۳۵۹", id="dari-afghan-months"),
        pytest.param("ps", None, "۴ مرغومی ۱۳۵۹", id="pashto-afghan-months"),
        pytest.param("ar", None, "25 ديسمبر 1980", id="arabic-default"),
        pytest.param("ar", "SY", "٢٥ كانون الأول ١٩٨٠", id="arabic-levantine"),
        pytest.param("ar", "IQ", "٢٥ كانون الأول ١٩٨٠", id="arabic-iraqi"),
        pytest.param("ar", "EG", "٢٥ ديسمبر ١٩٨٠", id="arabic-egyptian"),
        pytest.param("en", None, "December 25, 1980", id="english"),
        pytest.param("am", None, "25 ዲሴምበር 1980", id="amharic"),
        pytest.param("uk", None, "25 грудня 1980\u202fр.", id="ukrainian"),
    ],
)
def test_dates_are_shown_in_the_readers_calendar(
    lang: str, country: str | None, shown: str
) -> None:
    assert format_date(BORN, lang, country) == shown


def test_a_datetime_is_shown_as_its_day() -> None:
    moment = dt.datetime(2026, 3, 21, 9, 0, tzinfo=dt.UTC)
    assert format_date(moment, "fa") == "۱ فروردین ۱۴۰۵"


def test_gregorian_in_the_readers_words_and_digits() -> None:
    assert format_gregorian(BORN, "fa") == "۲۵ دسامبر ۱۹۸۰"


def test_stored_birth_dates_keep_the_gregorian_date_beside_a_solar_hijri_one() -> None:
    assert format_birth_date("1980-12-25", "fa") == "۴ دی ۱۳۵۹ (\u200e1980-12-25\u200e)"
    assert format_birth_date("1980-12-25", "fr") == "25 décembre 1980"
    assert format_birth_date("25/12/80", "fa") == "25/12/80"  # typed before dates were checked
    assert printed_birth_date("1980-12-25", "ps") == "۴ مرغومی ۱۳۵۹ (\u200e1980-12-25\u200e)"
    assert printed_birth_date("1980-12-25", "ar") == "1980-12-25"
    assert printed_birth_date(None, "fa") is None
