"""Receive updates through a durable inbox instead of python-telegram-bot's Updater.

The Updater confirms updates to Telegram (by asking for the next offset) as soon as it has
queued them, before any handler ran: a crash then loses them. Here each batch of raw
updates is written to the inbox together with the new offset in one transaction before the
next getUpdates confirms them; each update is marked done only after its handlers ran, and
whatever is left pending is replayed at start. Updates of one user are handled in order;
different users are handled concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from relay import inbox
from relay.store import Store

log = logging.getLogger("bot.polling")


def _user_key(update: Update) -> int:
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


class DurablePoller:
    """Long-polls getUpdates and feeds the Application, durably."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        store: Store,
        *,
        timeout_s: int = 25,
    ) -> None:
        self.app = app
        self.store = store
        self.timeout_s = timeout_s
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self.handled = 0

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run(), name="durable-poller")

    async def stop(self) -> None:
        """Stop fetching, and let the updates being handled finish."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run(self) -> None:
        """Replay what is pending, then poll until cancelled."""
        for update_id, raw in await inbox.pending(self.store):
            log.info("replaying update %d left from the last run", update_id)
            self._spawn(update_id, raw)
        offset = await inbox.offset(self.store)
        failures = 0
        while True:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout_s,
                    allowed_updates=Update.ALL_TYPES,
                    read_timeout=self.timeout_s + 10,
                )
                failures = 0
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(
                    delay if isinstance(delay, int | float) else delay.total_seconds()
                )
                continue
            except (NetworkError, TelegramError) as exc:
                failures += 1
                log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            if not updates:
                continue
            raws = [(u.update_id, json.dumps(u.to_dict()).encode()) for u in updates]
            fresh = set(await inbox.store_updates(self.store, raws))
            offset = max(u.update_id for u in updates) + 1
            for update_id, raw in raws:
                if update_id in fresh:
                    self._spawn(update_id, raw)

    def _spawn(self, update_id: int, raw: bytes) -> None:
        task = asyncio.create_task(self._handle(update_id, raw))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update_id: int, raw: bytes) -> None:
        try:
            update = Update.de_json(json.loads(raw), self.app.bot)
        # PTB parses a wrong shape with whatever error it meets (AttributeError on a list
        # where an object belongs, ...); left pending, the update would be replayed forever.
        except Exception:
            log.warning("update %d is malformed; skipped", update_id)
            await inbox.mark_done(self.store, update_id)
            return
        key = _user_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # process_update awaits the handlers and routes their errors to the error handler.
            await self.app.process_update(update)
            await inbox.mark_done(self.store, update_id)
            self.handled += 1
