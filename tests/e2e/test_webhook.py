"""Webhook mode: updates are stored before Telegram gets its 200, checked by secret, once each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bot.app import start_bot
from bot.transport import inbox
from bot.webhook import SECRET_HEADER, WebhookOptions
from demo.simulate import ScriptedUser
from sandbox import SandboxClient, SandboxServer
from tests.e2e.conftest import e2e_settings
from tests.quiet import quiet

USER = 8_300_001


def status_update(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "text": "/start",
            "chat": {"id": USER, "type": "private", "first_name": "Web"},
            "from": {"id": USER, "is_bot": False, "first_name": "Web", "language_code": "fr"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_stores_then_answers_once(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, unused_tcp_port: int
) -> None:
    # Given the bot in webhook mode (Telegram is played by us posting updates)
    # Telegram calls a public HTTPS URL; a reverse proxy forwards it to our local port.
    options = WebhookOptions(url="https://rcm.example.org/tg", port=unused_tcp_port)
    local = f"http://127.0.0.1:{unused_tcp_port}/tg"
    running = await start_bot(e2e_settings(tmp_path / "data", sandbox.api_root), webhook=options)
    try:
        info = await running.app.bot.get_webhook_info()
        assert info.url == options.url
        user = ScriptedUser(client, USER, "Web", "fr")
        await user.setup()
        # (the sandbox, like Telegram, lets a bot write only to users who wrote to it first;
        # in webhook mode the sandbox keeps this message instead of calling us with it)
        opened = await user.say("bonjour")
        async with aiohttp.ClientSession() as http:
            # When a call comes without the secret, it is refused and nothing is stored
            async with http.post(local, json=status_update(1)) as refused:
                assert refused.status == 401
            assert await inbox.pending(running.services.store) == []
            # When Telegram delivers an update, and retries it (same id)
            headers = {SECRET_HEADER: options.secret}
            for _ in range(2):
                async with http.post(local, json=status_update(2), headers=headers) as ok:
                    assert ok.status == 200
        # Then the family is answered once, in French
        answer = await user.wait_reply(opened)
        assert answer.text is not None
        await quiet(sandbox, running.services.store, queued=False)
        bot_messages = [e for e in await user.transcript() if e.from_bot]
        assert len(bot_messages) == 1
        assert await inbox.pending(running.services.store) == []
    finally:
        await running.stop()


async def test_sandbox_delivers_to_the_webhook_with_the_secret(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, unused_tcp_port: int
) -> None:
    # Given the bot in webhook mode on loopback, the sandbox calling it the way Telegram does
    local = f"http://127.0.0.1:{unused_tcp_port}/tg"
    options = WebhookOptions(url=local, port=unused_tcp_port)
    running = await start_bot(e2e_settings(tmp_path / "data", sandbox.api_root), webhook=options)
    try:
        user = ScriptedUser(client, USER, "Web", "fr")
        await user.setup()
        # When the family writes /start twice
        first = await user.say("/start")
        first_answer = await user.wait_reply(first)
        second = await user.say("/start")
        second_answer = await user.wait_reply(second)
        # Then each was delivered once, with the secret (a call without it gets 401), and
        # answered once: nothing is left queued in the sandbox or the inbox
        assert first_answer.message_id != second_answer.message_id
        assert sandbox.webhooks.delivered == 2
        assert sandbox.webhooks.failed_calls == 0
        bot_state = sandbox.state.bots[running.app.bot.id]
        assert bot_state.updates == []
        assert bot_state.extra_settings["secret_token"] == options.secret
        assert await inbox.pending(running.services.store) == []
    finally:
        await running.stop()


async def _until(done: Callable[[], bool], within: float = 30.0) -> None:
    """Wait on a condition (polled: the sandbox's counters have no event)."""
    async with asyncio.timeout(within):
        while not done():  # noqa: ASYNC110 - a counter to watch, not an event we own
            await asyncio.sleep(0.05)


async def test_sandbox_retries_a_webhook_that_refuses_until_it_answers(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, unused_tcp_port: int
) -> None:
    # Given a webhook registered with a secret the bot does not know (every call gets 401)
    local = f"http://127.0.0.1:{unused_tcp_port}/tg"
    options = WebhookOptions(url=local, port=unused_tcp_port)
    running = await start_bot(e2e_settings(tmp_path / "data", sandbox.api_root), webhook=options)
    try:
        await running.app.bot.set_webhook(local, secret_token="not-the-secret-at-all")
        user = ScriptedUser(client, USER, "Web", "fr")
        await user.setup()
        said = await user.say("/start")
        # When the calls have failed a few times
        await _until(lambda: sandbox.webhooks.failed_calls >= 3)
        assert len(sandbox.state.bots[running.app.bot.id].updates) == 1
        # Then once the right secret is set again the update arrives, and is answered once
        await running.app.bot.set_webhook(local, secret_token=options.secret)
        answer = await user.wait_reply(said)
        assert answer.text is not None
        assert sandbox.webhooks.delivered == 1
    finally:
        await running.stop()
