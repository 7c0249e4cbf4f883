"""End-to-end harness: the sandbox Bot API on loopback, the real bot, scripted users."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import RunningBot, start_bot
from relay.settings import Settings
from sandbox import SandboxClient, SandboxServer
from tests.conftest import Database

TOKEN = "123456:TESTTOKEN"
BOT_ID = 123456


def e2e_settings(data_dir: Path, api_root: str, **overrides: object) -> Settings:
    """Settings of a bot talking to the sandbox, with its own data dir."""
    base = Settings(
        bot_token=TOKEN,
        telegram_api_url=api_root,
        data_dir=data_dir,
        admin_ids=(900001,),
        requests_per_minute=600,
        messages_per_day=50,
    )
    return base.with_overrides(**overrides) if overrides else base


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(port=0) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.api_root, bot_id=BOT_ID) as c:
        await c.ensure_bot(BOT_ID)
        yield c


BotStarter = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def bot(
    sandbox: SandboxServer, tmp_path: Path, database: Database
) -> AsyncIterator[BotStarter]:
    """Start (and restart) the real bot against the sandbox (on each store); stopped at the end."""
    running: list[RunningBot] = []

    async def start(**overrides: object) -> RunningBot:
        on = {"database_url": database.url, "vault_url": database.vault_url}
        settings = e2e_settings(tmp_path / "data", sandbox.api_root, **on, **overrides)
        instance = await start_bot(settings, poll_timeout_s=1)
        running.append(instance)
        return instance

    yield start
    for instance in running:
        if instance.poller._runner is not None and not instance.poller._runner.done():
            await instance.stop()
