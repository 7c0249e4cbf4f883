"""The family side under pressure: many families, double taps, restarts, odd input."""

from __future__ import annotations

import asyncio
import json
import re

from bot.handlers.compose_state import COMPOSE, Step
from bot.i18n.catalog import translator
from bot.transport import address_of, inbox
from demo.simulate import REF, AddresseeForm, ScriptedUser, button_with
from relay import outbox, people
from relay.models import Role
from relay.review import Decision, Verdict, claim_next, decide
from relay.roles import grant
from relay.store import Store
from sandbox import SandboxClient, SandboxServer
from tests.e2e.conftest import BotStarter
from tests.quiet import quiet
from tests.resilience.conftest import family_messages

FORM = AddresseeForm(full_name="John Smith", father_name="Peter", site_code="ALP")


async def count(store: object, sql: str, *params: object) -> int:
    async with store.tx() as tx:  # type: ignore[attr-defined]
        row = await tx.one(sql, params)
    return int(row[0])


async def test_twenty_families_at_once(bot: BotStarter, client: SandboxClient) -> None:
    # Given the bot and twenty families in different languages
    running = await bot()
    langs = ["ar", "fa", "uk", "ru", "fr", "es", "en"]
    families = [
        ScriptedUser(client, 5000 + i, f"F{i}", langs[i % 7], timeout=40) for i in range(20)
    ]

    async def story(f: ScriptedUser) -> str:
        await f.onboard("Sara Lee")
        return await f.write(FORM, f"We are all well, love from family {f.user_id}.")

    # When they all write at the same time
    refs = await asyncio.gather(*(story(f) for f in families))
    # Then each got its own reference and exactly one message each exists
    assert len(set(refs)) == 20
    assert await count(running.services.store, "SELECT COUNT(*) FROM messages") == 20
    families_with_one = "SELECT COUNT(DISTINCT family_id) FROM messages"
    assert await count(running.services.store, families_with_one) == 20


async def test_double_tapped_send_makes_one_message(
    bot: BotStarter, client: SandboxClient, sandbox: SandboxServer
) -> None:
    running = await bot()
    family = ScriptedUser(client, 6001, "Ana", "es")
    await family.onboard("Ana Ruiz")
    # Walk to the preview, then press Send twice without waiting
    await family.begin_new_addressee()
    for answer in ("Juan Ruiz", None, None, None):
        await family.answer(answer)
    rel = await family.wait_button("new:rel:", 0)
    mark = await family.press(rel, "new:rel:son")
    sites = await family.wait_button("new:site:", mark)
    mark = await family.press(sites, "new:site:CDR")
    confirm = await family.wait_button("new:ok", mark)
    mark = await family.press(confirm, "new:ok")
    await family.wait_button("new:cancel", mark)
    mark = await family.say("Estamos bien.")
    photo = await family.wait_button("new:skip", mark)
    mark = await family.press(photo, "new:skip")
    preview = await family.wait_button("new:send", mark)
    data = button_with(preview, "new:send")
    assert data is not None
    await asyncio.gather(
        client.press(6001, preview.message_id, data),
        client.press(6001, preview.message_id, data),
    )
    await family.wait_text(r"RCM-[\s\S]*/status", mark)
    await quiet(sandbox, running.services.store)
    # A forged replay of the same button later changes nothing either
    await client.press(6001, preview.message_id, data, force=True)
    await family.wait_text("RCM-", mark)
    await quiet(sandbox, running.services.store)
    assert await count(running.services.store, "SELECT COUNT(*) FROM messages") == 1
    texts = [e.text or "" for e in await family.transcript() if e.from_bot]
    refs = {m.group(0) for t in texts for m in REF.finditer(t)}
    assert len(refs) == 1


async def test_a_stale_preview_sends_nothing_and_the_latest_sends_what_it_shows(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot()
    family = ScriptedUser(client, 6002, "Ana", "es")
    await family.onboard("Ana Ruiz")
    await family.write(FORM, "First letter: we are well.")
    # Given a preview of a second letter, then the text changed from it
    mark = await family.say("/new")
    pick = await family.wait_button("new:to:a_", mark)
    mark = await family.press(pick, "new:to:a_")
    await family.wait_button("new:cancel", mark)
    photo = await family.type_then("Second letter: the old text.", "new:skip")
    mark = await family.press(photo, "new:skip")
    old = await family.wait_button("new:send", mark)
    mark = await family.press(old, "new:edit")
    await family.wait_button("new:cancel", mark)
    mark = await family.say("Second letter: the new text.")
    latest = await family.wait_button("new:send", mark)
    assert "the new text" in (latest.text or "")
    old_data, new_data = button_with(old, "new:send"), button_with(latest, "new:send")
    assert old_data is not None
    assert new_data is not None
    assert old_data != new_data
    # When Send is pressed on the preview that showed the old text
    mark = await family.press(old, "new:send")
    # Then nothing is sent: the family is told and shown the message as it is now
    await family.wait_text("no es válido|ya no", mark)
    again = await family.wait_button("new:send", mark)
    assert "the new text" in (again.text or "")
    assert await count(running.services.store, "SELECT COUNT(*) FROM messages") == 1
    # And Send on the latest preview sends the text that it showed
    await family.press(again, "new:send")
    await family.wait_until(
        lambda entries: next(
            (e for e in entries if e.message_id == again.message_id and "RCM-" in (e.text or "")),
            None,
        )
    )
    stored = await family_messages(running.services.store, 6002)
    assert sorted(m.text for m in stored) == [
        "First letter: we are well.",
        "Second letter: the new text.",
    ]


async def test_restart_between_submission_and_notification(
    bot: BotStarter, client: SandboxClient, sandbox: SandboxServer
) -> None:
    # Given a family whose message was submitted
    running = await bot()
    family = ScriptedUser(client, 6101, "Olena", "uk")
    await family.onboard("Олена Коваль", "Olena Koval")
    reference = await family.write(FORM, "Любий сину, у нас все добре.")
    store = running.services.store
    # When the outbox stops, a reviewer approves (the notification is queued), and one more
    # notification is claimed as "in flight" when the process dies
    await running.dispatcher.stop()
    reviewer = await grant(
        store,
        actor_id="t",
        target=address_of(7001),
        role=Role.REVIEWER,
        languages=("uk", "en"),
        bootstrap=True,
    )
    item = await claim_next(store, reviewer_id=reviewer, lease_s=600)
    assert item is not None
    await decide(
        store, reviewer_id=reviewer, message_id=item.message_id, decision=Decision(Verdict.APPROVE)
    )
    in_flight = await outbox.claim_due(store, 10)
    assert len(in_flight) == 1
    await running.poller.stop()
    await running.app.stop()
    await running.app.shutdown()
    await store.close()
    # Then after a restart the family is told exactly once
    running_again = await bot()
    sentence = translator("uk").gettext("Your message {ref} was approved.").format(ref=reference)
    await family.wait_text(re.escape(sentence), 0, edited_ok=False)
    await quiet(sandbox, running_again.services.store)
    told = [e for e in await family.transcript() if e.from_bot and sentence in (e.text or "")]
    assert len(told) == 1


async def test_update_stored_before_a_crash_is_handled_after_restart(
    bot: BotStarter, client: SandboxClient, sandbox: SandboxServer
) -> None:
    # Given an update that reached the inbox but whose handling never ran (a crash)
    running = await bot()
    family = ScriptedUser(client, 6201, "Ali", "fa")
    await family.onboard("علی رضایی", "Ali Rezaei")
    store = running.services.store
    await running.stop()
    update = {
        "update_id": 999_000_001,
        "message": {
            "message_id": 77,
            "date": 1_790_000_000,
            "text": "/status",
            "chat": {"id": 6201, "type": "private", "first_name": "Ali"},
            "from": {"id": 6201, "is_bot": False, "first_name": "Ali", "language_code": "fa"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }
    restarted_store = await Store.open(
        store.path, store.keys, url=store.url, vault_url=store.vault_url
    )
    await inbox.store_updates(restarted_store, [(999_000_001, json.dumps(update).encode())])
    await restarted_store.close()
    before = len(await family.transcript())
    # When the bot starts again
    running = await bot()
    # Then the stored /status is answered, and the inbox has nothing pending
    await family.wait_reply((await family.transcript())[before - 1].message_id)
    await quiet(sandbox, running.services.store)
    assert await inbox.pending(running.services.store) == []


ODD_INPUTS = [
    ("sticker", None),
    ("voice", None),
    ("document", None),
    ("location", None),
    ("text", "x" * 4096),
    ("text", "hello\u202eevil\u202c"),
    ("text", "zero\u200bwidth"),
    ("text", "bell\x07"),
]


async def test_unexpected_input_is_answered_and_stores_nothing(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot()
    family = ScriptedUser(client, 6301, "Mia", "fr")
    await family.onboard("Mia Durand")
    store = running.services.store
    # At the text step, and outside any step
    await family.begin_new_addressee()
    for kind, text in ODD_INPUTS:
        if kind == "sticker":
            mark = await client.send_sticker(6301)
        elif kind == "voice":
            mark = await client.send_voice(6301, b"OggS voice")
        elif kind == "document":
            mark = await client.send_document(6301, b"%PDF-1.4", "x.pdf", "application/pdf")
        elif kind == "location":
            mark = await client.send_location(6301, 36.2, 37.1)
        else:
            assert text is not None
            mark = await client.send_text(6301, text)
        answer = await family.wait_reply(mark)
        assert answer.text, kind
    # A button step refuses typed text too
    assert await count(store, "SELECT COUNT(*) FROM addressees") == 0
    assert await count(store, "SELECT COUNT(*) FROM messages") == 0
    # And the bot keeps serving the next user
    other = ScriptedUser(client, 6302, "Ben", "en")
    await other.onboard("Ben Okafor")
    reference = await other.write(FORM, "All fine here.")
    assert REF.fullmatch(reference)


async def test_linked_people_write_in_the_chat(bot: BotStarter, client: SandboxClient) -> None:
    running = await bot()
    store = running.services.store
    mother = ScriptedUser(client, 6401, "Amal", "ar")
    son = ScriptedUser(client, 6402, "Omar", "ar")
    await mother.onboard("أمل خليل", "Amal Khalil")
    await son.onboard("عمر خليل", "Omar Khalil")
    # The mother shares her invitation; the son opens it and accepts
    mark = await mother.say("/link")
    invite = await mother.wait_text(r"start=inv_", mark, edited_ok=False)
    code = (invite.text or "").split("start=inv_")[1].split()[0]
    mark = await son.say(f"/start inv_{code}")
    offer = await son.wait_button("link:accept", mark)
    mark = await son.press(offer, "link:accept")
    await son.wait_text("/new", mark)
    # The son writes to his mother; a reviewer approves; it arrives in her chat
    mark = await son.say("/new")
    pick = await son.wait_button("new:to:a_", mark)
    addressee = button_with(pick, "new:to:a_")
    assert addressee is not None
    await son.write(addressee.split(":")[2], "أمي العزيزة، أنا بخير.")
    reviewer = await grant(
        store,
        actor_id="t",
        target=address_of(7002),
        role=Role.REVIEWER,
        languages=("ar",),
        bootstrap=True,
    )
    item = await claim_next(store, reviewer_id=reviewer, lease_s=600)
    assert item is not None
    await decide(
        store, reviewer_id=reviewer, message_id=item.message_id, decision=Decision(Verdict.APPROVE)
    )
    running.services.wake_outbox()
    arrived = await mother.wait_text("أنا بخير", 0, edited_ok=False)
    assert arrived.protect_content is True


async def test_a_replayed_step_is_asked_again_not_applied_twice(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a family who typed the addressee's name, moving the draft to the next step...
    running = await bot()
    family = ScriptedUser(client, 6501, "Ana", "en")
    await family.onboard("Ana Ruiz")
    await family.begin_new_addressee()
    await family.answer("Juan Ruiz")
    store = running.services.store
    person = await people.find(store, address_of(6501))
    assert person is not None
    draft = (await COMPOSE.load(store, person.id)).value
    assert draft.step == Step.AD_FATHER
    applied = draft.applied
    assert applied is not None
    await running.stop()
    # ...and the process died before that update was marked done: it is replayed at start
    update = {
        "update_id": applied,
        "message": {
            "message_id": 9999,
            "date": 1_790_000_000,
            "text": "Juan Ruiz",
            "chat": {"id": 6501, "type": "private", "first_name": "Ana"},
            "from": {"id": 6501, "is_bot": False, "first_name": "Ana", "language_code": "en"},
        },
    }
    reopened = await Store.open(store.path, store.keys, url=store.url, vault_url=store.vault_url)
    async with reopened.tx() as tx:
        await tx.execute("DELETE FROM inbox WHERE id = ?", (applied,))
    await inbox.store_updates(reopened, [(applied, json.dumps(update).encode())])
    await reopened.close()
    before = await family.mark()
    running = await bot()
    # Then the step is asked again, and the name did not become the father's name
    prompt = await family.wait_reply(before)
    father = translator("en").gettext("Their father's name (helps to find the right person):")
    assert prompt.text == father
    draft = (await COMPOSE.load(running.services.store, person.id)).value
    assert draft.step == Step.AD_FATHER
    assert draft.ad.father_name is None
