"""Staff commands and buttons refuse everybody without the role, the same way, and change nothing.

A stranger, a family member and a delegate try every staff command and forge every staff
button, for a message that exists (held by a reviewer, or waiting) and for a made-up one.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.i18n.catalog import translator
from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser
from relay import audit, people, review, roles
from relay.models import Role
from relay.store import Store
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID

COMMANDS = [
    "/queue",
    "/next",
    "/release",
    "/grant 4242 reviewer ar",
    f"/grant {ADMIN_ID} admin",
    "/revoke 4242 reviewer",
    "/staff",
    "/stats",
]
REV_VERBS = ["ok", "red", "red2", "ret", "ret2", "esc", "esc2", "ovr2", "rel", "add", "card"]
FAKE_ID = "m_00000000deadbeef"


def forged(mid: str) -> list[str]:
    return [
        "rev:next:",
        f"rev:tog:{mid}.1",
        f"rev:rr:{mid}.other",
        *[f"rev:{verb}:{mid}" for verb in REV_VERBS],
        f"adm:rvk:{ADMIN_ID}.admin.",
        "adm:stats:",
        "adm:no:",
    ]


async def snapshot(store: Store) -> list[tuple[str, str, str | None, str | None]]:
    async with store.tx() as tx:
        rows = await tx.all("SELECT id, state, claimed_by, lease_until FROM messages ORDER BY id")
        grants = await tx.all("SELECT person_id, role, site_code, languages FROM roles")
    return [(r[0], r[1], r[2], r[3]) for r in rows] + [
        (g[0], g[1], g[2], g[3]) for g in sorted(grants, key=tuple)
    ]


async def refused_count(store: Store) -> int:
    async with store.tx() as tx:
        row = await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'refused'")
    assert row is not None
    return int(row["n"])


async def answer_of(client: SandboxClient, query_id: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = await client.callback_answer(query_id)
        if answer["answered"]:
            return str(answer["text"])
        await asyncio.sleep(0.02)
    raise TimeoutError(query_id)


@pytest.mark.parametrize("who", ["stranger", "family", "delegate"])
async def test_non_staff_are_refused_alike_and_nothing_changes(
    bot: BotStarter, client: SandboxClient, who: str
) -> None:
    # Given a waiting message and one held by a reviewer
    running = await bot()
    store = running.services.store
    fam = ScriptedUser(client, 6001, "Fam", "ar")
    await fam.onboard("فاطمة حسن", "Fatima Hassan")
    form = AddresseeForm(full_name="John Smith", site_code="ALP")
    # (in Arabic: the queue routes by the language a text is written in)
    await fam.write(form, "ابني العزيز، نحن جميعا بخير.")
    await fam.write(form, "ابني العزيز، أختك تزوجت.")
    await roles.grant(
        store,
        actor_id="test",
        target=address_of(6100),
        role=Role.REVIEWER,
        languages=("ar",),
        bootstrap=True,
    )
    reviewer = await people.find(store, address_of(6100))
    assert reviewer is not None
    held = await review.claim_next(store, reviewer_id=reviewer.id, lease_s=900)
    assert held is not None
    # And the person who tries: a stranger, the family itself, or a delegate
    user_id, lang = {"stranger": (6200, "fr"), "family": (6001, "ar"), "delegate": (6300, "en")}[
        who
    ]
    if who == "delegate":
        await roles.grant(
            store,
            actor_id="test",
            target=address_of(6300),
            role=Role.DELEGATE,
            site_code="ALP",
            bootstrap=True,
        )
    user = ScriptedUser(client, user_id, "Who", lang)
    await user.setup()
    before, refused_before = await snapshot(store), await refused_count(store)
    sentence = translator(lang).gettext("Sorry, you are not allowed to do this.")
    # When they type every staff command
    for command in COMMANDS:
        mark = await user.say(command)
        reply = await user.wait_reply(mark)
        # Then each is refused with the same sentence
        assert (command, reply.text) == (command, translator(lang).directed(sentence))
    # When they forge every staff button, for a real message and a made-up one
    anchor = await user.mark()
    for mid in (held.message_id, FAKE_ID):
        for data in forged(mid):
            query = await client.press(user_id, anchor, data, force=True)
            assert (data, await answer_of(client, query)) == (data, sentence)
    # Then every attempt was audited as refused, nothing else changed, nothing more was said
    attempts = len(COMMANDS) + 2 * len(forged(FAKE_ID))
    assert await refused_count(store) - refused_before == attempts
    assert await snapshot(store) == before
    extra = [e for e in await user.transcript() if e.from_bot and e.message_id > anchor]
    assert extra == []
    if who == "stranger":
        assert await people.find(store, address_of(user_id)) is None
    entries = await audit.entries(store, limit=attempts)
    assert {e.action for e in entries} == {"refused"}
