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
import functools
import json
import logging
import warnings
from abc import ABC, abstractmethod
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.ratelimit import retry_after_s
from bot.transport import inbox
from relay.store import Store

# getUpdates through do_api_request keeps the updates' JSON as Telegram sent it; PTB warns
# that get_updates exists, which parses it into objects we would only serialise again.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

log = logging.getLogger("bot.polling")
SWEEP_S = 2.0  # how often a PostgreSQL worker looks for updates a dead worker left


def _user_key(update: Update) -> int:
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


def sender_of(raw: bytes) -> int | None:
    """Return the user id an update came from (the ``from`` of its one payload), if any."""
    try:
        return sender_in(json.loads(raw))
    except ValueError:
        return None


def sender_in(data: object) -> int | None:
    """Return the user id an update's JSON object came from, if any."""
    if not isinstance(data, dict):
        return None
    for value in data.values():
        who = value.get("from") if isinstance(value, dict) else None
        if isinstance(who, dict) and isinstance(who.get("id"), int):
            return int(who["id"])
    return None


class UpdateFeed(ABC):
    """Feeds stored updates to the Application: in order per user, concurrently across users.

    Subclasses bring updates in (long polling, or a webhook) and store them in the inbox
    before Telegram is told they arrived; this class handles them and marks them done.
    """

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], store: Store) -> None:
        self.app = app
        self.store = store
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.shared = False  # other workers feed from the same inbox (webhook, PostgreSQL)
        self.handled = 0
        self.ready = asyncio.Event()  # set once updates can come in

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run(), name=type(self).__name__)

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until updates can come in; raise what stopped the feed if it died first."""
        assert self._runner is not None, "start() first"
        ready = asyncio.create_task(self.ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if self._runner in done:
            raise self._runner.exception() or RuntimeError("the update feed stopped")
        if ready not in done:
            raise TimeoutError("the update feed did not start")

    @abstractmethod
    async def run(self) -> None:
        """Bring updates in until cancelled."""

    async def stop(self) -> None:
        """Stop receiving, and let the updates being handled finish."""
        for task in (self._runner, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    # A feed that died (a port taken) has told wait_ready; re-raising it here
                    # would skip closing the store, whose thread then keeps the process alive.
                    await asyncio.gather(task, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def replay_pending(self) -> None:
        """Handle what was stored but not handled before the last stop (and forget old ids).

        A poller, or anything on SQLite, is alone: everything pending was left by its last
        run. Webhook workers on PostgreSQL may be several, each handling its own: take only
        updates whose lease ended, now and every few seconds (a worker may die for good).
        """
        await inbox.prune(self.store)
        if not self.shared:
            left = await inbox.pending(self.store)
        else:
            left = await inbox.claim_stale(self.store)
            if self._sweeper is None:
                self._sweeper = asyncio.create_task(self._sweep(), name="inbox-sweeper")
        for update_id, raw in left:
            log.info("replaying update %d left from the last run", update_id)
            self._spawn(update_id, raw)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            for update_id, raw in await inbox.claim_stale(self.store):
                log.info("taking over update %d from a worker that stopped", update_id)
                self._spawn(update_id, raw)

    def _spawn(self, update_id: int, raw: bytes) -> None:
        task = asyncio.create_task(self._handle(update_id, raw))
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._handled, update_id))

    def _handled(self, update_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # Not marked done: the update stays in the inbox and is handled again at the
            # next start (or by another worker once its lease ends).
            log.error(
                "update %d could not be handled; it stays pending", update_id, exc_info=error
            )

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


class DurablePoller(UpdateFeed):
    """Long-polls getUpdates and feeds the Application, durably."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        store: Store,
        *,
        timeout_s: int = 25,
    ) -> None:
        super().__init__(app, store)
        self.timeout_s = timeout_s

    async def run(self) -> None:
        """Replay what is pending, then poll until cancelled."""
        await self.replay_pending()
        self.ready.set()
        offset = await inbox.offset(self.store)
        failures = 0
        while True:
            try:
                # The updates as Telegram sent them: stored as they are and parsed once,
                # when handled (get_updates would parse them, then we would serialise them).
                updates = await self.app.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.timeout_s,
                        "allowed_updates": list(Update.ALL_TYPES),
                    },
                    read_timeout=self.timeout_s + 10,
                )
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_s(exc))
                continue
            except (NetworkError, TelegramError) as exc:
                failures += 1
                log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            raws, senders = _received(updates)
            if not raws:
                continue
            fresh = set(await inbox.store_updates(self.store, raws, senders))
            offset = max(update_id for update_id, _ in raws) + 1
            for update_id, raw in raws:
                if update_id in fresh:
                    self._spawn(update_id, raw)


def _received(updates: object) -> tuple[list[tuple[int, bytes]], dict[int, int]]:
    """Return the (id, JSON) of each update getUpdates returned, and who sent each."""
    raws: list[tuple[int, bytes]] = []
    senders: dict[int, int] = {}
    for data in updates if isinstance(updates, list) else ():
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int):
            log.warning("getUpdates returned an update without an id; skipped")
            continue
        raws.append((update_id, json.dumps(data).encode()))
        if (who := sender_in(data)) is not None:
            senders[update_id] = who
    return raws, senders
