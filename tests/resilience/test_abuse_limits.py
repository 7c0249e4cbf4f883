"""Abuse limits: messages per day and requests per minute, told politely in the user's
language; one user flooding the bot does not slow anybody else down."""

from __future__ import annotations

import asyncio
import re
import statistics
import time

from bot.i18n.catalog import translator
from demo.simulate import AddresseeForm, ScriptedUser, button_with
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.resilience.conftest import eventually

FORM = AddresseeForm(full_name="John Smith", site_code="ALP")


async def test_messages_per_day_is_enforced_politely(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot(messages_per_day=2)
    family = ScriptedUser(client, 8601, "Ines", "fr", timeout=20)
    await family.onboard("Ines Martin")
    # Given two messages sent today
    await family.write(FORM, "Lettre un.")
    mark = await family.say("/new")
    pick = await family.wait_button("new:to:a_", mark)
    addressee = (button_with(pick, "new:to:a_") or "").split(":")[2]
    await family.write(addressee, "Lettre deux.")
    # When a third is sent
    mark = await family.say("/new")
    pick = await family.wait_button("new:to:a_", mark)
    mark = await family.press(pick, f"new:to:{addressee}")
    await family.wait_button("new:cancel", mark)
    mark = await family.say("Lettre trois.")
    photo = await family.wait_button("new:skip", mark)
    mark = await family.press(photo, "new:skip")
    preview = await family.wait_button("new:send", mark)
    mark = await family.press(preview, "new:send")
    # Then it is refused in French, and only two messages exist
    limit = translator("fr").gettext(
        "You have reached today's limit of messages. Please try again tomorrow."
    )
    assert limit != "You have reached today's limit of messages. Please try again tomorrow."
    await family.wait_text(re.escape(limit), mark)
    async with running.services.store.tx() as tx:
        row = await tx.one("SELECT COUNT(*) FROM messages")
    assert row is not None
    assert row[0] == 2


async def status_latency(user: ScriptedUser) -> float:
    mark = await user.say("/status")
    began = time.monotonic()
    await user.wait_reply(mark)
    return time.monotonic() - began


async def test_a_flooding_user_is_refused_politely_and_slows_nobody(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot(requests_per_minute=20)
    flooder = ScriptedUser(client, 8701, "Flo", "es", timeout=20)
    other = ScriptedUser(client, 8702, "Oli", "uk", timeout=20)
    await flooder.setup()
    await other.onboard("Olha Shevchenko")
    before = [await status_latency(other) for _ in range(5)]

    # When one user sends 300 messages as fast as the sandbox takes them
    started = asyncio.Event()

    async def flood() -> None:
        for i in range(300):
            await client.send_text(8701, f"/status {i}")
            if i == 20:
                started.set()

    flooding = asyncio.create_task(flood())
    await started.wait()  # the flood is under way
    during = []
    for _ in range(5):
        during.append(await status_latency(other))
    await flooding
    # Then the other user's /status is answered about as fast as before (a generous bound:
    # this checks isolation, not speed)
    p50_before, p50_during = statistics.median(before), statistics.median(during)
    assert p50_during < max(5 * p50_before, 2.0), (before, during)
    # and the flooder is told, in Spanish, to wait; most of the flood gets no work done
    wait = translator("es").gettext("Too many requests. Please wait a minute.")
    assert wait != "Too many requests. Please wait a minute."

    async def told() -> list[str]:
        return [e.text or "" for e in await flooder.transcript() if e.from_bot]

    async def warned() -> bool:
        return wait in await told()

    await eventually(warned, 20, "the flooder to be told to wait")
    texts = await told()
    assert wait in texts
    print(
        f"\np50 /status before={p50_before:.3f}s during={p50_during:.3f}s"
        f" flooder answers={len(texts)}"
    )
    # at most the allowed requests were served, and the flooder was warned once, not per update
    assert len([t for t in texts if t != wait]) <= 20
    assert texts.count(wait) == 1
