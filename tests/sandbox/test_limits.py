"""Telegram's limits: text length, callback data size, empty text, flood control."""

from __future__ import annotations

import datetime as dtm

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from sandbox import SandboxClient
from sandbox.limits import LimitConfig, RateLimiter


async def test_text_over_4096_chars_is_refused(ptb_bot: Bot, user: int) -> None:
    ok = await ptb_bot.send_message(user, "x" * 4096)
    assert len(ok.text or "") == 4096
    with pytest.raises(BadRequest) as caught:
        await ptb_bot.send_message(user, "x" * 4097)
    assert caught.value.message == "Message is too long"


async def test_empty_text_is_refused(ptb_bot: Bot, user: int) -> None:
    with pytest.raises(BadRequest) as caught:
        await ptb_bot.send_message(user, "   ")
    assert caught.value.message == "Message text is empty"


async def test_callback_data_over_64_bytes_is_refused(ptb_bot: Bot, user: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]])
    ok = await ptb_bot.send_message(user, "64 bytes", reply_markup=markup)
    assert ok.reply_markup == markup
    too_big = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 65)]])
    with pytest.raises(BadRequest) as caught:
        await ptb_bot.send_message(user, "65 bytes", reply_markup=too_big)
    assert caught.value.message == "Button_data_invalid"


async def test_text_limits_can_be_switched_off(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.set_limits(text_limits=False)
    sent = await ptb_bot.send_message(user, "y" * 5000)
    assert len(sent.text or "") == 5000


async def test_burst_to_one_chat_gets_retry_after(
    client: SandboxClient, ptb_bot: Bot, user: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # opt in to PTB's future timedelta type
    config = await client.set_limits(rate_limits=True)
    assert (config["chat_rate"], config["chat_burst"]) == (1.0, 3.0)
    # Given the small burst allowance is used up,
    for i in range(3):
        await ptb_bot.send_message(user, f"n{i}")
    # the next message in the same second is refused with a whole-second retry_after.
    with pytest.raises(RetryAfter) as caught:
        await ptb_bot.send_message(user, "n3")
    retry_after = caught.value.retry_after
    assert isinstance(retry_after, dtm.timedelta)
    assert retry_after >= dtm.timedelta(seconds=1)
    counters = await client.counters()
    assert (counters["too_many_requests"], counters["messages_per_chat"]) == (1, {"42": 3})


async def test_bot_cannot_start_a_conversation_or_write_to_a_blocker(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.user(99, "Silent")
    with pytest.raises(Forbidden) as caught:
        await ptb_bot.send_message(99, "hello")
    assert caught.value.message == "Forbidden: bot can't initiate conversation with a user"
    await client.block(user)
    with pytest.raises(Forbidden) as blocked:
        await ptb_bot.send_message(user, "hello")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(BadRequest) as unknown:
        await ptb_bot.send_message(12345, "hello")
    assert unknown.value.message == "Chat not found"


def test_token_buckets_refill_with_time() -> None:
    clock = [100.0]
    limiter = RateLimiter(
        LimitConfig(rate_limits=True, global_rate=30, global_burst=30, chat_rate=1, chat_burst=2),
        clock=lambda: clock[0],
    )
    assert [limiter.check(1, 5) for _ in range(3)] == [None, None, 1]
    clock[0] += 1.0  # one token back for the chat
    assert [limiter.check(1, 5), limiter.check(1, 5)] == [None, 1]
    # The global bucket: 30 chats, one message each, then the 31st waits.
    results = [limiter.check(1, chat) for chat in range(100, 131)]
    assert results.count(None) == 29  # one global token went to chat 5 just before
    assert results[-2:] == [1, 1]
