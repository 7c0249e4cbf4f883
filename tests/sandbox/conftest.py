"""Fixtures: a sandbox on an ephemeral loopback port, its control client and a PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from sandbox import SandboxClient, SandboxServer

TOKEN = "123:abc"
BOT_ID = 123
USER_ID = 42


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(host="127.0.0.1", port=0) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.api_root) as c:
        yield c


@pytest.fixture
async def ptb_bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    root = sandbox.api_root
    bot = Bot(TOKEN, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
    async with bot:  # initialize() calls getMe, which also makes the bot known
        yield bot


@pytest.fixture
async def user(client: SandboxClient, ptb_bot: Bot) -> int:
    """Create the simulated user 42 who has already written to the bot (chat started)."""
    await client.user(USER_ID, "Amal", last_name="Haddad", language_code="ar")
    await client.send_text(USER_ID, "hello")
    return USER_ID
