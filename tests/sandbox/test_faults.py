"""Fault injection and protocol errors as a real client sees them."""

from __future__ import annotations

import time

import aiohttp
import pytest
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, RetryAfter

from sandbox import SandboxClient, SandboxServer
from sandbox.limits import FaultInjector


async def test_error_500_reaches_ptb_as_network_error(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.set_faults(error_500=1.0, methods=["sendMessage"])
    with pytest.raises(NetworkError) as caught:
        await ptb_bot.send_message(user, "x")
    assert caught.value.message == "Internal Server Error"
    # Faults are limited to the listed methods.
    me = await ptb_bot.get_me()
    assert me.username == "sandbox_123_bot"
    counters = await client.counters()
    assert counters["faults"] == {"error_500": 1}
    assert [e.text for e in await client.transcript(user) if e.from_bot] == []


async def test_dropped_connection_reaches_ptb_as_network_error(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.set_faults(drop=1.0, methods=["sendMessage"])
    with pytest.raises(NetworkError) as caught:
        await ptb_bot.send_message(user, "lost")
    assert "httpx.RemoteProtocolError" in caught.value.message
    assert [e.text for e in await client.transcript(user) if e.from_bot] == []


async def test_drop_after_applies_the_call_but_loses_the_answer(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.set_faults(drop_after=1.0, methods=["sendMessage"])
    with pytest.raises(NetworkError):
        await ptb_bot.send_message(user, "sent twice?")
    assert [e.text for e in await client.transcript(user) if e.from_bot] == ["sent twice?"]


async def test_injected_429_and_delay(
    client: SandboxClient, ptb_bot: Bot, user: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # opt in to PTB's future timedelta type
    await client.set_faults(too_many_requests=1.0, retry_after=2, methods=["sendMessage"])
    with pytest.raises(RetryAfter):
        await ptb_bot.send_message(user, "x")
    await client.set_faults(too_many_requests=0.0, delay=1.0, delay_seconds=0.3)
    started = time.monotonic()
    await ptb_bot.send_message(user, "slow")
    assert time.monotonic() - started >= 0.3
    counters = await client.counters()
    assert counters["faults"] == {"too_many_requests": 1, "delay": 1}
    assert counters["too_many_requests"] == 1


async def test_faults_never_touch_the_control_api(client: SandboxClient) -> None:
    await client.set_faults(error_500=1.0, drop=1.0)
    health = await client.health()
    assert health == {"bots": []}


async def test_unknown_method_and_bad_token(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.api_root}/bot123:abc/sendTelepathy") as resp:
            assert (resp.status, await resp.json()) == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found"},
            )
        async with http.post(f"{sandbox.api_root}/botnotatoken/getMe") as resp:
            assert (resp.status, await resp.json()) == (
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
        # Method names are case-insensitive, as on Telegram.
        async with http.get(f"{sandbox.api_root}/bot123:abc/GETME") as resp:
            body = await resp.json()
            assert (resp.status, body["result"]["id"]) == (200, 123)
        async with http.post(
            f"{sandbox.api_root}/bot123:abc/sendMessage", json={"text": "hi"}
        ) as resp:
            assert (resp.status, (await resp.json())["description"]) == (
                400,
                "Bad Request: chat_id is empty",
            )


async def test_bad_token_reaches_ptb_as_invalid_token(sandbox: SandboxServer) -> None:
    bot = Bot("nope", base_url=f"{sandbox.api_root}/bot")
    with pytest.raises(InvalidToken):
        await bot.initialize()


def test_seeded_faults_are_reproducible() -> None:
    def draws(seed: int) -> list[str | None]:
        injector = FaultInjector()
        injector.configure(seed=seed, error_500=0.3, drop=0.2)
        return [injector.plan("sendMessage").action for _ in range(50)]

    first, second = draws(7), draws(7)
    assert first == second
    assert {"500", "drop", None} == set(first)
