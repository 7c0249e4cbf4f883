"""Send the durable outbox to Telegram at the rate Telegram allows, retrying what failed.

Rows are claimed (``sending``) before the request and marked ``sent`` after Telegram
accepted it; a crash in between resends only those rows. 429 waits ``retry_after``; 5xx and
network errors back off; 403 (the user blocked the bot) marks the chat unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.i18n.catalog import translator
from bot.notify import render
from bot.ratelimit import BULK, retry_after_s
from relay import messages, outbox
from relay.outbox import OutboxItem
from relay.store import Store

log = logging.getLogger("bot.dispatcher")

MAX_BACKOFF_S = 300.0
# The outbox retries by rescheduling the row (other chats go on meanwhile), so the request
# limiter must not also retry in place; and its sends give way to answers to people.
NO_RETRY = BULK
# Telegram allows about one message per second in one chat: the dispatcher paces each chat
# itself rather than learn the limit from 429s (which would hold up the batch).
CHAT_INTERVAL_S = 1.0
# A row whose chat is booked further ahead than this goes back to the queue (as after a
# 429) rather than hold up the batch it came in.
MAX_CHAT_WAIT_S = 2.0


def backoff_s(attempts: int) -> float:
    """Return the wait before retry number ``attempts + 1`` (exponential, capped)."""
    return float(min(MAX_BACKOFF_S, 2 ** min(attempts, 10)))


class OutboxDispatcher:
    """Drains the outbox in the background."""

    def __init__(
        self,
        bot: ExtBot[Any],
        store: Store,
        *,
        batch: int = 60,
        idle_s: float = 1.0,
        on_sent: Callable[[OutboxItem], None] | None = None,
        shared: bool = False,
    ) -> None:
        self.bot = bot
        self.store = store
        self.batch = batch
        self.idle_s = idle_s
        self.on_sent = on_sent
        self.shared = shared  # other workers send from the same outbox
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.retried = 0
        self._chat_slots: dict[int, float] = {}

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        """Send until cancelled."""
        recovered = await outbox.recover_in_flight(self.store, alone=not self.shared)
        if recovered:
            log.info(
                "outbox: %d notifications were in flight at the last stop; resending", recovered
            )
        while True:
            items = await outbox.claim_due(self.store, self.batch, take_over=self.shared)
            if items:
                await asyncio.gather(*(self._send(item) for item in items))
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_s)

    async def _deliver(self, item: OutboxItem) -> Message:
        assert item.address is not None
        chat_id = int(item.address)  # the private chat's id, as the bot gave it at consent
        tr = translator(item.lang)
        out = render(tr, item.notice, self.store.clock.now())
        text = tr.directed(out.text)
        if out.photo_of is not None:
            photo = await messages.photo_of(self.store, out.photo_of)
            if photo is not None:
                return await self.bot.send_photo(
                    chat_id,
                    photo,
                    caption=text[:1024],
                    protect_content=True,
                    rate_limit_args=NO_RETRY,
                )
        return await self.bot.send_message(
            chat_id,
            text[:4096],
            reply_markup=out.markup,
            protect_content=True,
            rate_limit_args=NO_RETRY,
        )

    def _book(self, chat_id: int) -> float:
        """Book the chat's next free send slot; return the wait (not booked if too far)."""
        now = time.monotonic()
        if len(self._chat_slots) > 10_000:
            self._chat_slots = {c: t for c, t in self._chat_slots.items() if t > now}
        slot = max(now, self._chat_slots.get(chat_id, 0.0))
        if slot - now <= MAX_CHAT_WAIT_S:
            self._chat_slots[chat_id] = slot + CHAT_INTERVAL_S
        return slot - now

    async def _send(self, item: OutboxItem) -> None:
        if item.address is None:
            await outbox.give_up(self.store, item.id, unreachable_person=None)
            log.warning("outbox %d: recipient has no chat; dropped", item.id)
            return
        wait = self._book(int(item.address))
        if wait > MAX_CHAT_WAIT_S:
            await outbox.retry_later(self.store, item.id, wait)
            return
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            sent = await self._deliver(item)
        except RetryAfter as exc:
            self.retried += 1
            await outbox.retry_later(self.store, item.id, retry_after_s(exc))
            return
        except Forbidden:
            log.info("outbox %d: chat unreachable (bot blocked)", item.id)
            await outbox.give_up(self.store, item.id, unreachable_person=item.person_id)
            return
        except BadRequest as exc:
            log.warning(
                "outbox %d: refused by Telegram (%s); dropped", item.id, type(exc).__name__
            )
            await outbox.give_up(self.store, item.id, unreachable_person=None)
            return
        except (NetworkError, TelegramError) as exc:
            self.retried += 1
            log.info("outbox %d: %s, retrying", item.id, type(exc).__name__)
            await outbox.retry_later(self.store, item.id, backoff_s(item.attempts))
            return
        await outbox.mark_sent(self.store, item.id, sent.message_id)
        self.sent += 1
        if self.on_sent is not None:
            self.on_sent(item)
