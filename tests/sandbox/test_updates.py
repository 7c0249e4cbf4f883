"""getUpdates semantics: offset confirms, timeout long-polls, limit and allowed_updates filter."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import Conflict

from sandbox import SandboxClient, SandboxServer

from .conftest import BOT_ID, TOKEN


async def polling(sandbox: SandboxServer, *, generation: int) -> None:
    """Wait until the sandbox holds the bot's ``generation``-th long poll."""

    def held() -> bool:
        bot = sandbox.state.bots.get(BOT_ID)
        return bot is not None and bot.poll_generation >= generation

    for _ in range(1000):  # a condition checked every 10 ms, for at most 10 s
        if held():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the sandbox never held poll {generation}")


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    sandbox: SandboxServer, client: SandboxClient, ptb_bot: Bot
) -> None:
    await client.user(7, "Omar")
    # Given a long poll waiting up to 5 s with nothing queued,
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=5))
    await polling(sandbox, generation=1)
    assert poll.done() is False
    # when the user writes, the poll answers with that update, before its own timeout.
    await client.send_text(7, "hi")
    updates = await asyncio.wait_for(poll, 4.5)
    assert [(u.update_id, u.message.text if u.message else None) for u in updates] == [(1, "hi")]


async def test_offset_confirms_and_limit_caps(client: SandboxClient, ptb_bot: Bot) -> None:
    await client.user(7, "Omar")
    for text in ("a", "b", "c"):
        await client.send_text(7, text)
    first = await ptb_bot.get_updates(limit=2)
    assert [u.update_id for u in first] == [1, 2]
    # Without a new offset nothing is confirmed: the same updates come again.
    again = await ptb_bot.get_updates()
    assert [u.update_id for u in again] == [1, 2, 3]
    rest = await ptb_bot.get_updates(offset=3)
    assert [(u.update_id, u.message.text if u.message else None) for u in rest] == [(3, "c")]
    empty = await ptb_bot.get_updates(offset=4, timeout=0)
    assert empty == ()


async def test_empty_long_poll_waits_for_its_timeout(ptb_bot: Bot) -> None:
    started = time.monotonic()
    updates = await ptb_bot.get_updates(timeout=1)
    elapsed = time.monotonic() - started
    assert updates == ()
    assert 0.9 <= elapsed < 2.0


async def test_allowed_updates_drops_other_kinds(client: SandboxClient, ptb_bot: Bot) -> None:
    await client.user(7, "Omar")
    await client.send_text(7, "before")
    updates = await ptb_bot.get_updates(allowed_updates=["callback_query"])
    assert updates == ()
    await client.send_text(7, "ignored")
    assert await ptb_bot.get_updates() == ()


async def test_newer_poll_ends_older_one_with_conflict(
    sandbox: SandboxServer, ptb_bot: Bot
) -> None:
    # Two instances of the same bot polling, as after a botched deploy.
    root = sandbox.api_root
    other = Bot(TOKEN, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
    async with other:
        older = asyncio.create_task(ptb_bot.get_updates(timeout=3))
        await polling(sandbox, generation=1)
        newer = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict) as caught:
            await asyncio.wait_for(older, 2)
        assert caught.value.message == (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running"
        )
        assert await newer == ()
