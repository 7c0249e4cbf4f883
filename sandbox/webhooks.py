"""Webhook delivery, the way Telegram does it: POST each update to the registered URL.

Like Telegram, an update stays queued until the webhook answers 2xx, and is retried (with a
growing pause) otherwise; each call carries the ``X-Telegram-Bot-Api-Secret-Token`` header
given to setWebhook; up to ``max_connections`` calls run at once, but one user's updates go
one at a time and in order. Like Telegram's own local Bot API server (``--local``), plain
``http://`` URLs are accepted on loopback; the sandbox delivers only to loopback addresses
(a public URL is remembered, never called: the tests have no network).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.state import BotState, Update, World

log = logging.getLogger("sandbox.webhooks")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 1.0


def deliverable(url: str) -> bool:
    """Say whether the sandbox calls this URL (loopback only)."""
    return bool(url) and urlsplit(url).hostname in LOOPBACK


def _sender(update: Update) -> Any:
    payload = update.payload
    sender = payload.get("from") or payload.get("chat") or {}
    return sender.get("id") if isinstance(sender, dict) else None


class WebhookDelivery:
    """One delivery loop per bot with a loopback webhook."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._loops: dict[int, asyncio.Task[None]] = {}
        self._http: aiohttp.ClientSession | None = None
        self.delivered = 0
        self.failed_calls = 0

    def watch(self, bot: BotState) -> None:
        """Start delivering for ``bot`` when its webhook is callable (idempotent)."""
        loop = self._loops.get(bot.id)
        if deliverable(bot.webhook_url) and (loop is None or loop.done()):
            self._loops[bot.id] = asyncio.get_running_loop().create_task(self._run(bot))

    async def close(self) -> None:
        for task in self._loops.values():
            task.cancel()
        for task in self._loops.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()
        if self._http is not None:
            await self._http.close()

    async def _run(self, bot: BotState) -> None:
        self._http = self._http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        in_flight: dict[int, asyncio.Task[None]] = {}  # update id -> call
        busy: set[Any] = set()  # senders with a call in flight
        while deliverable(bot.webhook_url):
            room = max(int(bot.extra_settings.get("max_connections", 40)), 1) - len(in_flight)
            for update in list(bot.updates):
                if room <= 0:
                    break
                sender = _sender(update)
                if update.update_id in in_flight or sender in busy:
                    continue
                busy.add(sender)
                room -= 1
                in_flight[update.update_id] = asyncio.get_running_loop().create_task(
                    self._call(bot, update, sender, busy, in_flight)
                )
            async with bot.changed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await bot.changed.wait()
        for task in in_flight.values():
            task.cancel()

    async def _call(
        self,
        bot: BotState,
        update: Update,
        sender: Any,
        busy: set[Any],
        in_flight: dict[int, asyncio.Task[None]],
    ) -> None:
        pause = RETRY_FIRST_S
        try:
            while deliverable(bot.webhook_url) and update in bot.updates:
                if await self._post(bot, update):
                    with contextlib.suppress(ValueError):
                        bot.updates.remove(update)
                    self.delivered += 1
                    return
                self.failed_calls += 1
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)
        finally:
            busy.discard(sender)
            in_flight.pop(update.update_id, None)
            await self.world.notify(bot)

    async def _post(self, bot: BotState, update: Update) -> bool:
        assert self._http is not None
        headers = {}
        secret = str(bot.extra_settings.get("secret_token") or "")
        if secret:
            headers[SECRET_HEADER] = secret
        try:
            async with self._http.post(
                bot.webhook_url, json=update.to_api(), headers=headers
            ) as answer:
                await answer.read()
                return 200 <= answer.status < 300
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
