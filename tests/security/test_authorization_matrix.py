"""Delegate and family actions tried by everybody who should not: refused alike, nothing moves.

(Staff review and admin actions are covered the same way in tests/e2e/test_staff_auth.py.)
"""

from __future__ import annotations

import asyncio

from bot.sandbox import SandboxClient
from bot.simulate import AddresseeForm, ScriptedUser
from relay import delivery, messages, people, roles
from relay.models import Role
from relay.reference import new_reference
from relay.store import Store
from tests.e2e.conftest import BotStarter
from tests.e2e.test_staff_auth import answer_of
from tests.relay.delivery_helpers import approve_all

FAMILY_A, FAMILY_B, STRANGER = 7_100_000_001, 7_100_000_002, 7_100_000_003
REVIEWER, DELEGATE_ALP, DELEGATE_BRV = 7_200_000_001, 7_200_000_002, 7_200_000_003
FAKE_MID = "m_00000000deadbeef"


async def state(store: Store) -> list[tuple[str, str, str | None]]:
    async with store.tx() as tx:
        rows = await tx.all("SELECT id, state, batch_id FROM messages ORDER BY id")
        outbox = await tx.one("SELECT COUNT(*) FROM outbox")
    assert outbox is not None
    return [(r[0], r[1], r[2]) for r in rows] + [("outbox", str(outbox[0]), None)]


async def answer_after(user: ScriptedUser, mark: int) -> str:
    entry = await user.wait_reply(mark)
    return entry.text or entry.caption or ""


async def button_answer(
    client: SandboxClient, user: ScriptedUser, query_id: str, anchor: int
) -> str:
    """Return what a button press was answered: its alert, or else a chat message."""
    answer = await answer_of(client, query_id)
    if answer:
        return answer
    return await answer_after(user, anchor)


async def test_delegate_actions_by_everyone_else(bot: BotStarter, client: SandboxClient) -> None:
    # Given a family whose message was approved and printed in an ALP batch
    running = await bot()
    store = running.services.store
    reviewer = await roles.grant(
        store,
        actor_id="config",
        target_telegram_id=REVIEWER,
        role=Role.REVIEWER,
        languages=("en",),
        bootstrap=True,
    )
    delegate = await roles.grant(
        store,
        actor_id="config",
        target_telegram_id=DELEGATE_ALP,
        role=Role.DELEGATE,
        site_code="ALP",
        bootstrap=True,
    )
    await roles.grant(
        store,
        actor_id="config",
        target_telegram_id=DELEGATE_BRV,
        role=Role.DELEGATE,
        site_code="BRV",
        bootstrap=True,
    )
    family = ScriptedUser(client, FAMILY_A, "Mary", "en")
    await family.onboard("Mary Smith")
    ref = await family.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    person = await people.find(store, FAMILY_A)
    assert person is not None
    mid = await messages.find_reference(store, person.id, ref)
    await approve_all(store, reviewer)
    batch = await delivery.export_batch(
        store, actor_id=delegate, site="ALP", sites=running.services.sites
    )
    before = await state(store)
    unknown_ref = new_reference()
    # When everybody without the ALP delegate role tries each delegate action, on the real
    # objects and on made-up ones
    actors = {
        "stranger": ScriptedUser(client, STRANGER, "S", "en"),
        "other family": ScriptedUser(client, FAMILY_B, "B", "en"),
        "reviewer": ScriptedUser(client, REVIEWER, "R", "en"),
        "delegate of BRV": ScriptedUser(client, DELEGATE_BRV, "D", "en"),
    }
    pairs = [
        ("/export ALP", "/export ALP"),
        (f"/handover {batch.id}", "/handover B00000000"),
        (f"/reply {ref}", f"/reply {unknown_ref}"),
    ]
    buttons = [(f"del:ok:{mid}", f"del:ok:{FAKE_ID}") for FAKE_ID in [FAKE_MID]] + [
        (f"del:to:{mid}.BRV", f"del:to:{FAKE_MID}.BRV"),
        (f"del:ref:{mid}", f"del:ref:{FAKE_MID}"),
    ]
    for who, user in actors.items():
        await user.setup()
        for real, fake in pairs:
            answers = []
            for text in (real, fake):
                mark = await user.say(text)
                answers.append(await answer_after(user, mark))
            # Then the answer is the same whether the object exists or not, and says nothing
            assert answers[0] == answers[1], (who, real, answers)
            assert ref not in answers[0]
            assert "Smith" not in answers[0]
        anchor = await user.mark()
        for real, fake in buttons:
            answers = []
            for data in (real, fake):
                query = await client.press(user.user_id, anchor, data, force=True)
                answers.append(await button_answer(client, user, query, anchor))
            assert answers[0] == answers[1], (who, real, answers)
    # And nothing moved: states, batches, notifications
    await asyncio.sleep(0.3)
    assert await state(store) == before
    # While the ALP delegate does see the difference (the check above could fail)
    allowed = ScriptedUser(client, DELEGATE_ALP, "A", "en")
    await allowed.setup()
    seen = []
    for text in (f"/handover {batch.id}", "/handover B00000000"):
        mark = await allowed.say(text)
        seen.append(await answer_after(allowed, mark))
    assert seen[0] != seen[1]
    assert ref in seen[0]


async def test_a_family_cannot_act_on_another_familys_message(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot()
    store = running.services.store
    owner = ScriptedUser(client, FAMILY_A, "Mary", "en")
    other = ScriptedUser(client, FAMILY_B, "Eve", "en")
    await owner.onboard("Mary Smith")
    await other.onboard("Eve Jones")
    ref = await owner.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    person = await people.find(store, FAMILY_A)
    assert person is not None
    mid = await messages.find_reference(store, person.id, ref)
    before = await state(store)
    anchor = await other.mark()
    for verb in ("cancel2", "edit", "cancel"):
        answers = []
        for target in (mid, FAKE_MID):
            mark = await other.mark()
            await client.press(FAMILY_B, anchor, f"msg:{verb}:{target}", force=True)
            answers.append(await answer_after(other, mark))
        assert answers[0] == answers[1], (verb, answers)
        assert ref not in answers[0]
    await asyncio.sleep(0.3)
    assert await state(store) == before
    # And the other family's /status shows nothing of it
    mark = await other.say("/status")
    assert ref not in await answer_after(other, mark)
