"""One pace for every chat request of the bot, with answers to people ahead of bulk.

Telegram allows a bot about 30 messages a second overall. Answers to what a person just did
(a button, a command, a step of composing) and bulk notifications from the outbox share
that budget; in arrival order, a family pressing a button during a burst of 10,000
notifications waits behind all of them. Here, once the bucket is empty, each new token goes
to the oldest waiting answer if there is one, else to the oldest waiting notification: the
bulk still drains at whatever the answers leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque


class PriorityPacer:
    """A token bucket of ``per_second`` tokens a second (one second's worth may be used at
    once, as Telegram allows); when it is empty, waiting answers get tokens before bulk."""

    def __init__(self, per_second: float, *, priority: bool = True) -> None:
        self.rate = per_second
        self.capacity = max(per_second, 1.0)
        # False reproduces arrival order (benchmarks compare against it).
        self.priority = priority
        self._tokens = self.capacity
        self._at = time.monotonic()
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        self._runner: asyncio.Task[None] | None = None

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self, *, interactive: bool) -> None:
        """Wait for this request's token."""
        self._refill()
        if self._tokens >= 1 and not self._interactive and not self._bulk:
            self._tokens -= 1  # nobody waits: go at once
            return
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._interactive if interactive and self.priority else self._bulk
        queue.append(slot)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._hand_out(), name="pacer")
        await slot

    async def _hand_out(self) -> None:
        while self._interactive or self._bulk:
            self._refill()
            # Always yield, even with a token at hand: an answer queued meanwhile goes next.
            await asyncio.sleep(max((1 - self._tokens) / self.rate, 0.0))
            self._refill()
            if self._tokens < 1:
                continue
            queue = self._interactive or self._bulk
            slot = queue.popleft()
            if slot.done():  # its request was cancelled while waiting
                continue
            slot.set_result(None)
            self._tokens -= 1

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
