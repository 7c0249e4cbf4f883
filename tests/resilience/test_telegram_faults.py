"""Faults on Telegram's side: 429 with retry_after, 500s, slow answers, dropped connections.

A fifth of the Bot API calls (getUpdates and every send) fail, seeded. Families still finish
their message and hear of its approval; the bot never stops; nobody is told "something went
wrong" because of Telegram's trouble; nothing is said twice except when Telegram took a
send but its answer was lost (drop_after).
"""

from __future__ import annotations

import asyncio
from collections import Counter

from relay import outbox
from sandbox import SandboxClient, SandboxServer
from tests.e2e.conftest import BotStarter
from tests.quiet import quiet
from tests.resilience.conftest import (
    ERROR_SENTENCE,
    PatientFamily,
    approvals_told,
    approve_waiting,
    bot_texts,
    eventually,
    make_reviewer,
)

LANGS = ["en", "fr", "ar", "uk", "fa", "es"]


async def test_a_fifth_of_calls_failing_loses_nothing(
    bot: BotStarter, client: SandboxClient, sandbox: SandboxServer
) -> None:
    running = await bot()
    store = running.services.store
    families = [PatientFamily(client, 8200 + i, LANGS[i], step_timeout=60) for i in range(6)]
    # Given a fifth of all Bot API calls failing one way or another, seeded
    await client.set_faults(
        error_500=0.04,
        error_502=0.02,
        too_many_requests=0.04,
        retry_after=1,
        delay=0.04,
        delay_seconds=1.5,
        drop=0.04,
        drop_after=0.02,
        seed=1234,
    )

    # When each family writes a message and a reviewer approves it
    async def story(f: PatientFamily) -> str:
        await f.onboard()
        ref = await f.submit(f"We are all well, love from {f.user_id}.", attempts=1)
        assert ref is not None
        return ref

    refs = await asyncio.gather(*(story(f) for f in families))
    reviewer = await make_reviewer(store, 8299, LANGS)
    approved = await approve_waiting(store, reviewer)
    assert sorted(approved) == sorted(refs)
    running.services.wake_outbox()

    async def all_told() -> bool:
        for f, ref in zip(families, refs, strict=True):
            told = approvals_told(await client.transcript(f.user_id), f.lang, [ref])
            if told[ref] == 0:
                return False
        return True

    await eventually(all_told, 90, "every approval to be told")
    await quiet(sandbox, store, presses=False)  # retries of dropped answers landed, if any
    counters = await client.counters()
    await client.set_faults(
        error_500=0.0, error_502=0.0, too_many_requests=0.0, delay=0.0, drop=0.0, drop_after=0.0
    )

    # Then the faults really happened, on getUpdates and on sends
    faults = counters["faults"]
    assert sum(faults.values()) >= 20, faults
    assert faults.get("drop", 0) >= 1
    assert faults.get("too_many_requests", 0) >= 1
    assert faults.get("error_500", 0) >= 1
    # the bot is still running, and its outbox is empty
    assert running.poller._runner is not None
    assert not running.poller._runner.done()
    assert running.dispatcher._task is not None
    assert not running.dispatcher._task.done()
    assert (await outbox.counts(store)).get("pending", 0) == 0
    assert [f.redrives for f in families] == [0] * len(families)  # no step was ever lost
    # nobody was told something went wrong, and nothing was said twice beyond lost answers
    repeats = 0
    for f, ref in zip(families, refs, strict=True):
        entries = await client.transcript(f.user_id)
        texts = bot_texts(entries)
        assert not [t for t in texts if ERROR_SENTENCE in t], f.user_id
        assert approvals_told(entries, f.lang, [ref])[ref] >= 1
        repeats += sum(n - 1 for n in Counter(texts).values())
    assert repeats <= faults.get("drop_after", 0), (repeats, faults)
    # and the bot answers at once once Telegram is well again
    user = families[0].user
    mark = await user.say("/status")
    answer = await user.wait_reply(mark)
    assert refs[0] in (answer.text or "")
