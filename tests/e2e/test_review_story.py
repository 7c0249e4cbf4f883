"""Staff review, end to end: an admin grants reviewers in the bot; reviewers approve, redact,
return and escalate; families are told in their language. Real bot, sandbox, store, rules."""

from __future__ import annotations

import asyncio
import json

from bot.handlers.review_render import staff_error
from bot.i18n.catalog import translator
from bot.texts import category_reason, return_reason
from bot.transport import address_of
from demo.simulate import REF, AddresseeForm, ScriptedUser, Transcript, button_with
from relay import audit, messages, people, roles
from relay.models import MessageState, Role
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import (
    ADMIN_ID,
    grant,
    message_id_of,
    next_card,
    press_then,
    staff_user,
    type_then,
)

PHONE_TEXT = "Call me on +963 944 123 456, we are all well"
SON_AR = AddresseeForm(full_name="أحمد حسن", latin_name="Ahmad Hassan", site_code="ALP")


async def family(client: SandboxClient, user_id: int, lang: str) -> ScriptedUser:
    user = ScriptedUser(client, user_id, "Fam", lang)
    names = {"ar": ("فاطمة حسن", "Fatima Hassan"), "fa": ("مریم احمدی", "Maryam Ahmadi")}
    await user.onboard(*names.get(lang, ("Mary Smith", None)))
    return user


def bot_texts_after(entries: Transcript, mark: int) -> list[str]:
    return [e.text or e.caption or "" for e in entries if e.from_bot and e.message_id > mark]


async def test_approve_with_proposed_redaction_tells_family_why_and_never_echoes_it(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a running bot, an Arabic-speaking family who wrote a phone number
    await bot()
    fam = await family(client, 5001, "ar")
    ref = await fam.write(SON_AR, PHONE_TEXT)
    # And a reviewer granted by the admin in the bot
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5101, "reviewer", "ar,en")
    reviewer = await staff_user(client, 5101)
    # When the reviewer takes the next message
    card = await next_card(reviewer)
    # Then the card shows the reference and the phone number marked as finding 1
    assert (card.text or "").startswith(f"{ref} · ALP · ar · message")
    assert "Call me on ⟦+963 944 123 456⟧1, we are all well" in (card.text or "")
    assert "1. remove ☑ — " + category_reason(translator("en"), "contact") in (card.text or "")
    assert card.protect_content is True
    mid = message_id_of(card)
    assert f"rev:tog:{mid}.1" in [b["callback_data"] for row in card.buttons or [] for b in row]
    # When they approve with the proposed redaction: two taps
    before = await fam.mark()
    confirm = await press_then(reviewer, card, "rev:red:", "rev:red2:")
    assert confirm.text == "Approve " + ref + " with 1 passage removed?"
    done = await press_then(reviewer, confirm, "rev:red2:", "rev:next:")
    assert done.text == f"{ref}: approved. 1 passage removed."
    # Then the family reads, in Arabic, that one passage was removed and why
    tr = translator("ar")
    expected = tr.directed(
        "\n".join(
            [
                tr.gettext("Your message {ref} was approved.").format(ref=ref),
                tr.ngettext(
                    "One passage was removed before printing.",
                    "{n} passages were removed before printing.",
                    1,
                ).format(n=1),
                tr.gettext("Why: {why}").format(why=category_reason(tr, "contact")),
            ]
        )
    )
    told = await fam.wait_text(r"RCM-", before, edited_ok=False)
    assert told.text == expected
    # And the phone number appears in no later bot message, even on /status
    mark = await fam.say("/status")
    await fam.wait_text(ref, mark, edited_ok=False)
    later = bot_texts_after(await fam.transcript(), before)
    assert len(later) >= 2
    assert [t for t in later if "944" in t or "123 456" in t] == []


async def test_returned_message_is_edited_resent_and_approved(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a family's message that a reviewer returns with a reason and a note
    await bot()
    fam = await family(client, 5002, "ar")
    ref = await fam.write(SON_AR, "Tell the others in your cell that the plan is ready.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5102, "reviewer", "ar,en")  # an Arabic family writing in English
    reviewer = await staff_user(client, 5102)
    card = await next_card(reviewer)
    mid = message_id_of(card)
    reasons = await press_then(reviewer, card, "rev:ret:", "rev:rr:")
    confirm = await press_then(reviewer, reasons, f"rev:rr:{mid}.not_family_news", "rev:ret2:")
    confirm = await type_then(reviewer, "Please write family news only.", "rev:ret2:")
    assert "Please write family news only." in (confirm.text or "")
    before = await fam.mark()
    done = await press_then(reviewer, confirm, "rev:ret2:", "rev:next:")
    assert done.text == f"{ref}: returned to the sender."
    # Then the family is told why, in Arabic, with a way to edit and resend
    tr = translator("ar")
    returned = await fam.wait_button("msg:edit:", before)
    assert return_reason(tr, "not_family_news") in (returned.text or "")
    assert "Please write family news only." in (returned.text or "")
    # When the family edits and sends again
    mark = await fam.press(returned, "msg:edit:")
    await fam.wait_button("new:cancel", mark)
    preview = await type_then(fam, "We are all well, your sister passed her exams.", "new:send")
    mark = await fam.press(preview, "new:send")
    await fam.wait_text(ref, mark)
    # Then a reviewer sees the new text and approves it, and the family is told
    card = await next_card(reviewer)
    assert "your sister passed her exams" in (card.text or "")
    assert message_id_of(card) == mid
    before = await fam.mark()
    await press_then(reviewer, card, "rev:ok:", "rev:next:")
    told = await fam.wait_text(r"RCM-", before, edited_ok=False)
    assert told.text == tr.directed(tr.gettext("Your message {ref} was approved.").format(ref=ref))


async def test_persian_message_waits_for_a_reader_then_is_handed_out(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a Persian message and a reviewer who reads Arabic and English only
    await bot()
    fam = await family(client, 5003, "fa")
    ref = await fam.write(
        AddresseeForm(full_name="علی احمدی", latin_name="Ali Ahmadi", site_code="DLT"),
        "پسرم عزیزم، همه خوب هستیم.",
    )
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5103, "reviewer", "ar,en")
    reviewer = await staff_user(client, 5103)
    # Then the reviewer has nothing to review, and /queue shows it with no reader
    mark = await reviewer.say("/next")
    nothing = await reviewer.wait_reply(mark)
    assert nothing.text == "Nothing to review in your languages right now."
    mark = await reviewer.say("/queue")
    queue = await reviewer.wait_reply(mark)
    assert (queue.text or "").splitlines()[1:] == [
        "DLT · fa: 1 waiting, oldest 0 days, 0 overdue, 0 readers ⚠"
    ]
    # And the family's /status says it waits for a reader of Persian
    tr = translator("fa")
    waiting = tr.gettext(
        "Waiting for a reviewer who reads this language: {language}. It will not be dropped."
    )
    mark = await fam.say("/status")
    status = await fam.wait_text(ref, mark, edited_ok=False)
    assert tr.directed(waiting.format(language=tr.gettext("Persian"))) in (status.text or "")
    # When the admin grants a reader of Persian
    await grant(admin, 5104, "reviewer", "fa")
    reader = await staff_user(client, 5104)
    card = await next_card(reader)
    # Then it is handed out to them
    assert (card.text or "").startswith(f"{ref} · DLT · fa · message")
    mark = await fam.say("/status")
    status = await fam.wait_text(ref, mark, edited_ok=False)
    assert tr.directed(waiting.format(language=tr.gettext("Persian"))) not in (status.text or "")


async def test_block_finding_needs_a_senior_and_four_eyes(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given two messages naming a militia (a blocking finding), a reviewer and two seniors
    running = await bot()
    fam = await family(client, 5005, "en")
    form = AddresseeForm(full_name="John Smith", site_code="ALP")
    ref1 = await fam.write(form, "Dear son, the militia took the grain but we are all well.")
    ref2 = await fam.write(form, "Dear son, a militia came to the village, we are all well.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5105, "reviewer", "en")
    await grant(admin, 5106, "senior", "en")
    await grant(admin, 5107, "senior", "en")
    plain, senior, other = [await staff_user(client, i) for i in (5105, 5106, 5107)]
    en = translator("en")
    # When the plain reviewer tries to approve the first one
    card = await next_card(plain)
    assert "⟦militia⟧1" in (card.text or "")
    mid1 = message_id_of(card)
    mark = await plain.press(card, "rev:ok:")
    refusal = await plain.wait_reply(mark)
    # Then the refusal says why, and the message is still theirs, in review
    assert refusal.text == staff_error(en, "needs_senior")
    # When they escalate it with a note (two taps)
    await plain.press(card, "rev:esc:")
    confirm = await type_then(plain, "Militia named; please decide.", "rev:esc2:")
    done = await press_then(plain, confirm, "rev:esc2:", "rev:next:")
    assert done.text == f"{ref1}: escalated to a senior reviewer."
    # Then a senior gets it first, sees the note, and judges it harmless with a note
    card = await next_card(senior)
    assert message_id_of(card) == mid1
    assert "Escalated. Note: Militia named; please decide." in (card.text or "")
    mark = await senior.press(card, "rev:ok:")
    ask = await senior.wait_reply(mark)
    assert ask.text == staff_error(en, "note_required")
    confirm = await type_then(senior, "Harmless: about the harvest.", "rev:ovr2:")
    done = await press_then(senior, confirm, "rev:ovr2:", "rev:next:")
    # But one senior alone does not override: it waits for a second one
    assert done.text == (
        f"{ref1}: your judgement is recorded. A second senior reviewer decides (four eyes)."
    )
    # When the same senior asks for more, they are never handed back their own judgement
    card = await next_card(senior)
    mid2 = message_id_of(card)
    assert mid2 != mid1
    await senior.press(card, "rev:ok:")
    confirm = await type_then(senior, "Village news only.", "rev:ovr2:")
    await press_then(senior, confirm, "rev:ovr2:", "rev:next:")
    mark = await senior.say("/next")
    nothing = await senior.wait_reply(mark)
    assert nothing.text == "Nothing to review in your languages right now."
    # Then a second senior sees the first one's judgement and confirms both
    for ref in (ref1, ref2):
        card = await next_card(other)
        assert (card.text or "").startswith(ref)
        assert "A senior reviewer proposes to leave the blocking finding in" in (card.text or "")
        await other.press(card, "rev:ok:")
        confirm = await type_then(other, "Agreed: family news.", "rev:ovr2:")
        done = await press_then(other, confirm, "rev:ovr2:", "rev:next:")
        assert done.text == f"{ref}: approved."
    store = running.services.store
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT id, state FROM messages WHERE id IN (?, ?) ORDER BY id", (mid1, mid2)
        )
    assert {r["id"]: r["state"] for r in rows} == {
        mid1: MessageState.APPROVED,
        mid2: MessageState.APPROVED,
    }
    # And the audit log names both seniors of each override
    first, second = [await people.find(store, address_of(i)) for i in (5106, 5107)]
    assert first is not None
    assert second is not None
    both = json.dumps({"first": first.id, "second": second.id}, separators=(",", ":"))
    entries = await audit.entries(store, limit=500)
    overrides = [(e.object, e.detail) for e in entries if e.action == "message.override"]
    assert sorted(overrides) == sorted([(mid1, both), (mid2, both)])


async def test_five_reviewers_pressing_next_at_once_never_see_one_message_twice(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given 30 queued messages (submitted through the service: the bot is not the subject
    # here) and five reviewers
    running = await bot()
    svc = running.services
    person = await people.ensure(svc.store, address_of(7001), "en")
    await people.record_consent(svc.store, person.id, "7001")
    addressee = await messages.add_addressee(
        svc.store,
        person.id,
        messages.NewAddressee("John Smith", "John Smith", None, None, None, "ALP", "son"),
    )
    for i in range(30):
        await messages.submit(
            svc.store,
            person_id=person.id,
            addressee_id=addressee,
            text=f"We are all well, day {i}.",
            lang="en",
            submit_key=f"k{i}",
            checker=svc.checker,
            sites=svc.sites,
            per_day=100,
        )
    ids = list(range(7101, 7106))
    for user_id in ids:
        await roles.grant(
            svc.store,
            actor_id="test",
            target=address_of(user_id),
            role=Role.REVIEWER,
            languages=("en",),
            bootstrap=True,
        )
    reviewers = [await staff_user(client, user_id) for user_id in ids]
    # When each types /next ten times, all at once
    await asyncio.gather(*[r.say("/next") for r in reviewers for _ in range(10)])

    def ten_answers(entries: Transcript) -> TranscriptEntry | None:
        answers = [e for e in entries if e.from_bot]
        return answers[-1] if len(answers) == 10 else None

    held: list[str] = []
    for r in reviewers:
        await r.wait_until(ten_answers)
        shown = set()
        for entry in await r.transcript():
            if entry.from_bot:
                found = REF.match(entry.text or "")
                assert found is not None
                assert button_with(entry, "rev:ok:") is not None
                shown.add(found.group(0))
        # Then each reviewer was shown one message, ten times (the one they hold) ...
        assert len(shown) == 1
        held += shown
    # ... and no message was shown to two reviewers
    assert len(set(held)) == 5


async def test_reviewer_removes_a_typed_passage(bot: BotStarter, client: SandboxClient) -> None:
    # Given a message the rules find nothing in
    await bot()
    fam = await family(client, 5008, "en")
    ref = await fam.write(
        AddresseeForm(full_name="John Smith", site_code="ALP"),
        "Dear son, we are well. Uncle Karim from cell 4 sends love.",
    )
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5108, "reviewer", "en")
    reviewer = await staff_user(client, 5108)
    card = await next_card(reviewer)
    assert "The rules found nothing." in (card.text or "")
    # When the reviewer types a passage that is not there, then one that is
    mark = await reviewer.press(card, "rev:add:")
    await reviewer.wait_reply(mark)  # the prompt
    mark = await reviewer.say("cell 5")
    refusal = await reviewer.wait_reply(mark)
    assert refusal.text == staff_error(translator("en"), "passage_not_found")
    card = await type_then(reviewer, "from cell 4", "rev:red:")
    assert "✂ you remove: «from cell 4»" in (card.text or "")
    confirm = await press_then(reviewer, card, "rev:red:", "rev:red2:")
    before = await fam.mark()
    done = await press_then(reviewer, confirm, "rev:red2:", "rev:next:")
    # Then it is approved with that passage removed, and the family is told so
    assert done.text == f"{ref}: approved. 1 passage removed."
    told = await fam.wait_text(r"RCM-", before, edited_ok=False)
    assert told.text == (
        f"Your message {ref} was approved.\nOne passage was removed before printing."
    )
