"""`rcm demo --interactive`: after switching person, that person's replies are shown."""

from __future__ import annotations

import asyncio

import pytest

from demo.people import REVIEWER_ID
from demo.repl import Chats, _command, who
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter


async def fresh_until(chats: Chats, client: SandboxClient, text: str) -> list[str]:
    """Poll the current chat until a shown message contains ``text``."""
    async with asyncio.timeout(30):
        while True:
            shown = await chats.fresh(client)
            if any(text in line for line in shown):
                return shown
            await asyncio.sleep(0.05)


async def test_each_chat_keeps_its_own_seen_messages(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    chats = Chats()
    # Given a first person who talked to the bot (their chat holds message ids 1, 2, ...)
    await client.user(3001, "You", language_code="fr")
    assert await chats.switch(client, 3001, "fr") == 0
    await client.send_text(3001, "/start")
    first = await fresh_until(chats, client, "Croix-Rouge")
    assert first[0].startswith("  bot> ")
    # When another person is played and writes (their ids start at 1 again)
    await client.user(3002, "Other", language_code="es")
    assert await chats.switch(client, 3002, "es") == 0
    assert chats.prompt() == "[user 3002, a family (es)] > "
    await client.send_text(3002, "/start")
    # Then their answer is shown, in their language
    second = await fresh_until(chats, client, "Cruz Roja")
    assert all("Croix-Rouge" not in line for line in second)
    # And going back to the first chat shows nothing old again
    assert await chats.switch(client, 3001, "fr") >= 1
    assert await chats.fresh(client) == []


def test_the_prompt_names_staff_by_role() -> None:
    assert who(REVIEWER_ID, "en") == "Rana, reviewer"
    assert who(4242, "uk") == "user 4242, a family (uk)"


async def test_a_mistyped_command_is_not_sent_to_the_bot(
    bot: BotStarter, client: SandboxClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot()
    chats = Chats()
    await client.user(3001, "You", language_code="en")
    await chats.switch(client, 3001, "en")
    await _command(client, chats, ":user abc")
    assert capsys.readouterr().out == ":user abc: not understood; :help lists the commands\n"
    assert await client.transcript(3001) == []
    assert chats.user == 3001
