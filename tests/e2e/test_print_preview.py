"""Printability and length told early: the family's preview and the review card say what
cannot be printed, the family may remove it, and length comes with numbers (issue 12)."""

from __future__ import annotations

from bot.handlers.delegate_render import held_text
from bot.i18n.catalog import translator
from demo.simulate import AddresseeForm, ScriptedUser, button_with
from relay.print_held import HeldBack
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID, grant, next_card, staff_user

TO_CDR = AddresseeForm(full_name="Jean Martin", site_code="CDR")
TO_ALP = AddresseeForm(full_name="John Smith", site_code="ALP")
LONG_FR = " ".join(["Nous"] + ["allons très bien"] * 10) + " 🌹"  # 32 words with the rose


async def _preview(family: ScriptedUser, form: AddresseeForm, text: str) -> TranscriptEntry:
    """Walk /new to the preview of `text` (no photo) and return it."""
    await family.begin_new_addressee()
    prompt = await family.answer(form.full_name)
    for answer in (form.father_name, form.birth_date, form.detainee_number):
        prompt = await family.answer(answer)
    mark = await family.press(prompt, f"new:rel:{form.relationship}")
    sites = await family.wait_button("new:site:", mark)
    mark = await family.press(sites, f"new:site:{form.site_code}")
    confirm = await family.wait_button("new:ok", mark)
    mark = await family.press(confirm, "new:ok")
    await family.wait_button("new:cancel", mark)
    mark = await family.say(text)
    photo = await family.wait_button("new:skip", mark)
    mark = await family.press(photo, "new:skip")
    return await family.wait_button("new:send", mark)


async def test_preview_names_unprintable_signs_offers_to_remove_them_and_counts_words(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a French family writing 32 words and a rose to a site that allows 25
    await bot()
    family = ScriptedUser(client, 7301, "Marie", "fr")
    await family.onboard("Marie Martin")
    preview = await _preview(family, TO_CDR, LONG_FR)
    text = preview.text or ""
    # Then the preview says what will be left out of the paper, and the length in numbers
    assert "🖨 Ces signes ne peuvent pas être imprimés et seront omis de la lettre papier : 🌹" in (
        text
    )
    assert "Vous avez écrit 32 mots ; ce lieu en autorise 25." in text
    # (said once: the rules' unprintable finding is not listed again among the findings)
    assert "«🌹»" not in text
    assert button_with(preview, "new:strip") == "new:strip:"
    # When the family removes them, then the new preview has neither the rose nor the offer
    mark = await family.press(preview, "new:strip")
    again = await family.wait_button("new:send", mark)
    assert "🌹" not in (again.text or "")
    assert "Vous avez écrit 31 mots ; ce lieu en autorise 25." in (again.text or "")
    assert button_with(again, "new:strip") is None


async def test_review_card_shows_what_cannot_be_printed(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a family who sends a message ending with an emoji (never a blocker)
    await bot()
    family = ScriptedUser(client, 7302, "Mary", "en")
    await family.onboard("Mary Smith")
    ref = await family.write(TO_ALP, "We are all well and miss you 🌹")
    # When a reviewer opens it
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 7402, "reviewer", "en")
    card = await next_card(await staff_user(client, 7402))
    # Then the card says the same as the family's preview did
    assert (card.text or "").startswith(ref)
    assert "🖨 These signs cannot be printed and will be left out of the paper letter: 🌹" in (
        card.text or ""
    )


def test_delegate_is_told_which_messages_were_held_back_and_why() -> None:
    held = [HeldBack("RCM-7K3F-9Q2V", "\U00010000"), HeldBack("RCM-AB12-CD34", "\ue000")]
    assert held_text(translator("uk"), held).splitlines() == [
        "2 повідомлення затримано: у них є літери, які не може надрукувати жоден шрифт. "
        "Вони лишаються схваленими, і ті, хто їх схвалив, отримають повідомлення.",
        "• RCM-7K3F-9Q2V (U+10000)",
        "• RCM-AB12-CD34 (U+E000)",
    ]
