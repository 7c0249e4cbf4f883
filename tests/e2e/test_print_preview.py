"""Printability and length told early: the family's preview and the review card say what
cannot be printed, the family may remove it, and length comes with numbers (issue 12)."""

from __future__ import annotations

import datetime as dt

from bot.handlers.delegate_render import held_text
from bot.i18n.catalog import translator
from bot.notify import render
from demo.simulate import AddresseeForm, ScriptedUser, button_with
from relay import notices
from relay.print_held import HeldBack
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID, grant, message_id_of, next_card, staff_user
from tests.relay.delivery_helpers import state_of

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
        "Їх повернуто родинам, щоб їх переписали, а рецензенти, які їх схвалили, "
        "отримають сповіщення.",
        "• RCM-7K3F-9Q2V (U+10000)",
        "• RCM-AB12-CD34 (U+E000)",
    ]


def test_family_reads_why_a_held_back_letter_came_back_and_can_edit_it() -> None:
    # Given the notice the export queues for a message no font can print (Georgian)
    payload = {
        "type": "status",
        "message_id": "m_1",
        "kind": "message",
        "state": "returned",
        "detail": {"reason": "unprintable", "chars": "U+10D0 U+10D1"},
        "reference": "RCM-7K3F-9Q2V",
        "chars": "ა ბ",
    }
    out = render(
        translator("uk"), notices.decode(payload), dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    )
    # Then the family reads, in Ukrainian, that it came back, why, which letters, and what to do
    assert out.text.splitlines() == [
        "Ваше повідомлення RCM-7K3F-9Q2V повернуто вам.",
        "Деякі літери повідомлення неможливо надрукувати на паперовому бланку, тож у такому "
        "вигляді його не можна передати.",
        "Літери, які неможливо надрукувати: ა ბ",
        translator("uk").gettext("You can edit it and send it again."),
    ]
    assert out.markup is not None
    assert out.markup.inline_keyboard[0][0].callback_data == "msg:edit:m_1"


def test_reviewer_is_told_the_held_message_went_back_to_the_family() -> None:
    payload = {"type": "print_held", "reference": "RCM-7K3F-9Q2V", "chars": "U+10D0"}
    out = render(
        translator("en"), notices.decode(payload), dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    )
    assert out.text == (
        "Message RCM-7K3F-9Q2V, which you approved, was held back from print: it has letters "
        "that no font can print (U+10D0). It was returned to the family, who can write those "
        "words again and send it anew."
    )


async def test_a_letter_no_font_prints_goes_back_to_the_family_who_write_it_again(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a Ukrainian family whose approved letter has Georgian words (no font prints them)
    running = await bot()
    store = running.services.store
    family = ScriptedUser(client, 7303, "Оксана", "uk")
    await family.onboard("Оксана Шевченко")
    ref = await family.write(TO_ALP, "Тату, ми вчимо нове слово: გამარჯობა!")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 7403, "delegate", "ALP")
    await grant(admin, 7404, "reviewer", "uk,en,ru")  # Georgian mixed in: any guess
    reviewer = await staff_user(client, 7404)
    card = await next_card(reviewer)
    mid = message_id_of(card)
    await reviewer.press_then(card, "rev:ok:", "rev:next:")
    assert await state_of(store, mid) == ("approved", "ALP", None)
    # When the delegate exports ALP, where nothing else waits
    delegate = await staff_user(client, 7403)
    before = await family.mark()
    mark = await delegate.say("/export ALP")
    answer = await delegate.wait_text(ref, mark)
    # Then nothing is printed, the delegate reads why and which letter, ...
    assert (answer.text or "").splitlines() == [
        "No message of this batch can be printed: each has letters that no font can print. "
        "Nothing was printed; they were returned to their families to be written again.",
        f"• {ref} (U+10D2 U+10D0 U+10DB U+10E0 U+10EF U+10DD U+10D1)",
    ]
    # ... and the family is told in Ukrainian, with the letters, and may write it again
    returned = await family.wait_button("msg:edit:", before)
    assert "Літери, які неможливо надрукувати: გ ა მ რ ჯ ო ბ" in (returned.text or "")
    assert await state_of(store, mid) == ("returned", "ALP", None)
    mark = await family.press(returned, "msg:edit:")
    await family.wait_button("new:cancel", mark)
    preview = await family.type_then("Тату, ми вчимо нове слово: гамарджоба!", "new:send")
    await family.press(preview, "new:send")
    # (the preview itself turns into the answer that names the reference)
    sent = await family.wait_until(
        lambda entries: next(
            (e for e in entries if e.message_id == preview.message_id and ref in (e.text or "")),
            None,
        )
    )
    assert (sent.text or "").startswith("Надіслано.")
    # Then it is back in the review queue, as a new version
    assert await state_of(store, mid) == ("submitted", "ALP", None)
    async with store.tx() as tx:
        row = await tx.one("SELECT version FROM messages WHERE id = ?", (mid,))
    assert row is not None
    assert row["version"] == 2
