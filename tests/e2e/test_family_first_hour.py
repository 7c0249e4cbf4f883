"""The family flow's rough edges, as a first-time user meets them."""

from __future__ import annotations

import io

from PIL import Image

from bot.i18n.catalog import translator
from demo.simulate import AddresseeForm, ScriptedUser, Transcript, button_with
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter


def labels(entry: TranscriptEntry) -> list[str]:
    return [button["text"] for row in entry.buttons or [] for button in row]


def datas(entry: TranscriptEntry) -> list[str]:
    return [button.get("callback_data", "") for row in entry.buttons or [] for button in row]


async def test_help_lists_every_family_command(bot: BotStarter, client: SandboxClient) -> None:
    await bot()
    family = ScriptedUser(client, 7101, "Fam", "en")
    await family.onboard("Mary Smith")
    mark = await family.say("/help")
    menu = await family.wait_reply(mark)
    commands = [line.split(":")[0] for line in (menu.text or "").splitlines()[1:]]
    assert commands == [
        "/new",
        "/status",
        "/link",
        "/claim",
        "/language",
        "/privacy",
        "/forget",
        "/help",
    ]


async def test_the_first_addressee_button_does_not_say_another_person(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    family = ScriptedUser(client, 7102, "Fam", "fr")
    await family.onboard("Aminata Diallo")
    # Given nobody written to yet, the one button asks for the person's details
    mark = await family.say("/new")
    pick = await family.wait_button("new:to:new", mark)
    assert labels(pick)[0] == "Saisir les informations de la personne"
    cancel = await family.press(pick, "new:cancel")
    await family.wait_text("Annulé", cancel)
    # When a first message is sent, the button then offers someone other than them
    await family.write(AddresseeForm(full_name="Moussa Diallo", site_code="CDR"), "Tout va bien.")
    mark = await family.say("/new")
    pick = await family.wait_button("new:to:new", mark)
    assert labels(pick)[:2] == ["Moussa Diallo (CDR)", "+ Une autre personne"]


async def test_changing_the_text_goes_back_to_the_preview_not_the_photo(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    family = ScriptedUser(client, 7103, "Fam", "en")
    await family.onboard("Mary Smith")
    await family.begin_new_addressee()
    await family.answer("John Smith")
    await family.answer(None)  # father's name
    await family.answer(None)  # date of birth
    rel = await family.answer(None)  # detainee number
    mark = await family.press(rel, "new:rel:son")
    sites = await family.wait_button("new:site:ALP", mark)
    mark = await family.press(sites, "new:site:ALP")
    confirm = await family.wait_button("new:ok", mark)
    mark = await family.press(confirm, "new:ok")
    await family.wait_text("Write your message", mark)
    photo_step = await family.type_then("We are all well.", "new:skip")
    mark = await family.press(photo_step, "new:skip")
    preview = await family.wait_button("new:edit", mark)
    # When the text is changed from the preview
    mark = await family.press(preview, "new:edit")
    await family.wait_text("Write your message", mark, edited_ok=False)
    mark = await family.say("We are all well. The harvest was good.")
    # Then the next step is the preview with the new text, not the photo step again
    after = await family.wait_reply(mark)
    assert (button_with(after, "new:send") or "").startswith("new:send:")
    assert "The harvest was good." in (after.text or "")


async def test_a_refused_answer_keeps_the_steps_buttons(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    family = ScriptedUser(client, 7104, "Fam", "uk")
    await family.onboard("Олена Коваль", "Olena Koval")
    await family.begin_new_addressee()
    latin_step = await family.answer("Андрій Коваль")
    assert "new:skip:" in datas(latin_step)
    # When the Latin spelling is typed in Cyrillic again
    mark = await family.say("Андрій")

    def refusal(entries: Transcript) -> TranscriptEntry | None:
        return next((e for e in entries if e.from_bot and e.message_id > mark), None)

    refused = await family.wait_until(refusal)
    # Then the refusal says why and carries Skip, Back and Cancel like the step itself
    assert "(A-Z)" in (refused.text or "")
    assert datas(refused) == ["new:skip:", "new:back:", "new:cancel:"]
    # And Skip on the refusal moves on to the next step
    mark = await family.press(refused, "new:skip")
    father = await family.wait_reply(mark)
    assert datas(father) == ["new:skip:", "new:back:", "new:cancel:"]
    assert father.text != latin_step.text
    # And a photo sent too early is refused with the same buttons
    mark = await client.send_photo(7104, png())
    early = await family.wait_reply(mark)
    assert early.text == translator("uk").gettext(
        "A photo can only be added while writing a message, after the text."
    )
    assert datas(early) == ["new:skip:", "new:back:", "new:cancel:"]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


async def test_a_too_long_answer_is_told_its_length_and_the_limit(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    family = ScriptedUser(client, 7105, "Fam", "uk")
    await family.onboard("Олена Коваль", "Olena Koval")
    await family.begin_new_addressee()
    # When a name far longer than a name can be is typed
    mark = await family.say("Андрій " * 30)

    def refusal(entries: Transcript) -> TranscriptEntry | None:
        return next((e for e in entries if e.from_bot and e.message_id > mark), None)

    refused = await family.wait_until(refusal)
    # Then the answer gives the numbers, in the family's language and plural
    limits = translator("uk").ngettext(
        "This text has {length} character; at most {limit} fit. Please shorten it.",
        "This text has {length} characters; at most {limit} fit. Please shorten it.",
        209,
    )
    assert "символів" in limits
    assert "209" in (refused.text or "")
    assert "символів" in (refused.text or "")
