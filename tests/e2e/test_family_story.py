"""A family goes from /start to a submitted message and sees its status, in each language."""

from __future__ import annotations

import pytest

from bot.handlers.family import notice
from bot.i18n.catalog import translator
from demo.simulate import REF, AddresseeForm, ScriptedUser
from relay.reference import parse_reference
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter

FAMILIES = [
    pytest.param(
        "ar",
        "فاطمة حسن",
        "Fatima Hassan",
        "أحمد حسن",
        "Ahmad Hassan",
        "ابني العزيز، نحن بخير والحمد لله. أختك نجحت في المدرسة.",
        "ALP",
        id="ar",
    ),
    pytest.param(
        "fa",
        "مریم احمدی",
        "Maryam Ahmadi",
        "علی احمدی",
        "Ali Ahmadi",
        "پسرم عزیزم، همه خوب هستیم. مادربزرگ سلام می‌رساند.",
        "DLT",
        id="fa",
    ),
    pytest.param(
        "uk",
        "Олена Коваль",
        "Olena Koval",
        "Андрій Коваль",
        "Andrii Koval",
        "Любий сину, у нас все добре. Бабуся передає привіт.",
        "BRV",
        id="uk",
    ),
    pytest.param(
        "ru",
        "Ирина Смирнова",
        "Irina Smirnova",
        "Павел Смирнов",
        "Pavel Smirnov",
        "Дорогой сын, мы все здоровы. Сестра родила дочку.",
        "BRV",
        id="ru",
    ),
    pytest.param(
        "fr",
        "Aminata Diallo",
        None,
        "Moussa Diallo",
        None,
        "Mon cher fils, nous allons bien. Ta sœur a réussi son examen.",
        "CDR",
        id="fr",
    ),
    pytest.param(
        "es",
        "Lucía Gómez",
        None,
        "Carlos Gómez",
        None,
        "Querido hijo, estamos bien. Tu hermana se casó en mayo.",
        "CDR",
        id="es",
    ),
    pytest.param(
        "en",
        "Mary Smith",
        None,
        "John Smith",
        None,
        "Dear son, we are all well. Your sister started school.",
        "ALP",
        id="en",
    ),
]


@pytest.mark.parametrize(("lang", "name", "latin", "to", "to_latin", "text", "site"), FAMILIES)
async def test_family_submits_and_sees_status(
    bot: BotStarter,
    client: SandboxClient,
    lang: str,
    name: str,
    latin: str | None,
    to: str,
    to_latin: str | None,
    text: str,
    site: str,
) -> None:
    # Given a running bot and a family whose phone is set to their language
    await bot()
    family = ScriptedUser(client, 1000 + sum(map(ord, lang)), "Fam", lang)
    # When they onboard and write a message
    await family.onboard(name, latin)
    reference = await family.write(
        AddresseeForm(full_name=to, latin_name=to_latin, father_name=None, site_code=site), text
    )
    # Then the reference is valid and /status shows it waiting for review
    assert parse_reference(reference) == reference
    mark = await family.say("/status")
    status = await family.wait_text(REF.pattern, mark, edited_ok=False)
    assert reference in (status.text or "")
    assert status.protect_content is True
    # And the notice came first, whole, in the family's language.
    first = next(e for e in await family.transcript() if e.from_bot)
    assert first.text == translator(lang).directed(notice(translator(lang)))
    if lang != "en":
        assert first.text != notice(translator("en"))
