"""Twelve languages through the sandbox: the first answer, a Solar Hijri birth date, a place
searched in the family's own script."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.handlers.family import notice
from bot.i18n.catalog import RTL, SUPPORTED, negotiate, translator
from demo.simulate import ScriptedUser, button_with
from relay.calendars import format_date
from relay.roles import LANG_CODES
from relay.rules.lexicon import LANGUAGES
from relay.text_input import is_latin
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter


def _labels(entry_buttons: list[list[dict[str, str]]] | None) -> list[str]:
    return [b.get("text", "") for row in entry_buttons or [] for b in row]


async def test_start_is_answered_in_each_of_the_twelve_languages(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    assert len(SUPPORTED) == 12
    english = notice(translator("en"))

    async def first_answer(index: int, lang: str) -> None:
        user = ScriptedUser(client, 7100 + index, "Family", lang)
        await user.setup()
        mark = await user.say("/start")
        answer = await user.wait_button("consent:yes", mark)
        tr = translator(lang)
        # The notice and its button are the catalog's words, direction marks included
        assert answer.text == tr.directed(notice(tr))
        assert tr.gettext("I agree") in _labels(answer.buttons)
        if lang != "en":
            assert notice(tr) != english
            assert tr.gettext("I agree") != "I agree"
        # Right-to-left languages start each line with a right-to-left mark
        assert (answer.text or "").startswith("\u200f") == (lang in RTL)

    await asyncio.gather(*(first_answer(i, lang) for i, lang in enumerate(SUPPORTED)))


async def _to_birth_date(user: ScriptedUser, name: str, latin: str) -> None:
    await user.onboard(name, latin)
    await user.begin_new_addressee()
    await user.answer(name)
    if not is_latin(name):  # the Latin spelling is asked for
        await user.answer(latin)
    await user.answer(None)  # no father's name


async def test_a_persian_family_types_a_solar_hijri_birth_date(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a Persian-speaking family at the birth date step
    await bot()
    fa = translator("fa")
    family = ScriptedUser(client, 7201, "Maryam", "fa")
    await _to_birth_date(family, "علی رضایی", "Ali Rezaei")
    # When they type the date as they write it: Solar Hijri, Persian digits
    confirm = await family.answer("۱۳۵۹/۱۰/۰۴")
    # Then it is read back in both calendars, in Persian digits, before it is kept
    expected = fa.gettext(
        "Date of birth: {local}. In the Gregorian calendar: {gregorian}. Is that right?"
    ).format(local="۴ دی ۱۳۵۹", gregorian="۲۵ دسامبر ۱۹۸۰")
    assert confirm.text == fa.directed(expected)
    assert button_with(confirm, "new:ok") == "new:ok:"
    assert button_with(confirm, "new:back") == "new:back:"
    # When they confirm, the detainee number is asked next
    mark = await family.press(confirm, "new:ok")
    number = await family.wait_reply(mark)
    assert number.text == fa.directed(fa.gettext("Their detainee number, if you know it:"))
    # And the preview shows the Solar Hijri date with the stored Gregorian date beside it
    await family.answer(None)
    mark = await family.press(await family.wait_button("new:rel:", 0), "new:rel:son")
    sites = await family.wait_button("new:site:", mark)
    mark = await family.press(sites, "new:site:DLT")
    place = await family.wait_button("new:ok", mark)
    assert place.text == fa.directed(
        fa.gettext("Place of detention: {site}. Is this the right place?").format(
            site="بازداشتگاه دلتا (DLT)"
        )
    )
    mark = await family.press(place, "new:ok")
    await family.wait_button("new:cancel", mark)
    mark = await family.say("سلام، همه خوب هستیم.")
    photo = await family.wait_button("new:skip", mark)
    mark = await family.press(photo, "new:skip")
    preview = await family.wait_button("new:send", mark)
    born = fa.gettext("Born: {date}").format(date="۴ دی ۱۳۵۹ (\u200e1980-12-25\u200e)")
    assert fa.directed(born) in (preview.text or "").split("\n")


async def test_an_impossible_date_is_answered_as_impossible(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    family = ScriptedUser(client, 7202, "Ana", "es")
    await _to_birth_date(family, "Juan Ruiz", "Juan Ruiz")
    answer = await family.answer("31.02.1990")
    impossible = "This day does not exist in the calendar. Please check the day and the month."
    assert answer.text == translator("es").gettext(impossible)
    # Nothing moved: the next date typed is still taken as the birth date
    mark = await family.say("25.12.1980")
    following = await family.wait_reply(mark)
    assert following.text == translator("es").gettext("Their detainee number, if you know it:")


async def _search_place(user: ScriptedUser, typed: str) -> str:
    await user.answer(None)  # no birth date
    await user.answer(None)  # no detainee number
    mark = await user.press(await user.wait_button("new:rel:", 0), "new:rel:son")
    await user.wait_button("new:site:", mark)
    confirm = await user.answer(typed)
    assert button_with(confirm, "new:ok") == "new:ok:"
    return confirm.text or ""


async def test_places_are_found_in_arabic_and_ukrainian(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    ar, uk = translator("ar"), translator("uk")
    question = "Place of detention: {site}. Is this the right place?"
    # An Arabic family types "prison" in Arabic, without the hamza of the official spelling
    arabic = ScriptedUser(client, 7301, "Fatima", "ar")
    await _to_birth_date(arabic, "أحمد حداد", "Ahmad Haddad")
    text = await _search_place(arabic, "سجن الفا")
    assert text == ar.directed(ar.gettext(question).format(site="سجن ألفا المركزي (ALP)"))
    # A Ukrainian family types part of the Ukrainian name in lower case
    ukrainian = ScriptedUser(client, 7302, "Oksana", "uk")
    await _to_birth_date(ukrainian, "Тарас Шевченко", "Taras Shevchenko")
    text = await _search_place(ukrainian, "ізолятор «браво")
    assert text == uk.gettext(question).format(site="Слідчий ізолятор «Браво» (BRV)")


def test_every_language_is_known_to_roles_lexicons_and_calendars() -> None:
    assert set(SUPPORTED) == LANG_CODES == set(LANGUAGES)
    # Each has a catalog, a lexicon and a Babel locale for its dates
    for lang in SUPPORTED:
        assert format_date(dt.date(2026, 3, 1), lang) != ""


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("ps", "ps"),
        ("am-ET", "am"),
        ("ti_ER", "ti"),
        ("so", "so"),
        ("sw-KE", "sw"),
        ("fa-AF", "fa"),
        ("prs", "fa"),
        ("pbt", "ps"),
        ("om", None),
        ("", None),
    ],
)
def test_telegram_language_codes_are_negotiated(code: str, lang: str | None) -> None:
    assert negotiate(code) == lang
