"""One pace for every chat request of the bot, with answers to people ahead of bulk.

Telegram allows a bot about 30 messages a second overall. Answers to what a person just did
(a button, a command, a step of composing) and bulk notifications from the outbox share
that budget; in arrival order, a family pressing a button during a burst of 10,000
notifications waits behind all of them. Here each slot of the pace goes to the oldest
waiting answer if there is one, else to the oldest waiting notification: the bulk still
drains at whatever the answers leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque


class PriorityPacer:
    """Hands out one slot every ``1 / per_second`` seconds, interactive requests first."""

    def __init__(self, per_second: float, *, priority: bool = True) -> None:
        self.interval = 1.0 / per_second
        # False reproduces arrival order (benchmarks compare against it).
        self.priority = priority
        self._next = 0.0
        self._interactive: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()
        self._runner: asyncio.Task[None] | None = None

    async def acquire(self, *, interactive: bool) -> None:
        """Wait for this request's slot."""
        now = time.monotonic()
        if now >= self._next and not self._interactive and not self._bulk:
            self._next = now + self.interval  # nobody waits: go at once
            return
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._interactive if interactive and self.priority else self._bulk
        queue.append(slot)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._hand_out(), name="pacer")
        await slot

    async def _hand_out(self) -> None:
        while self._interactive or self._bulk:
            # Always yield, even when late: an answer queued meanwhile takes the next slot.
            await asyncio.sleep(max(self._next - time.monotonic(), 0.0))
            queue = self._interactive or self._bulk
            slot = queue.popleft()
            if slot.done():  # its request was cancelled while waiting
                continue
            slot.set_result(None)
            # A slot missed by a late wake-up may be caught up, but never a whole second.
            self._next = max(self._next, time.monotonic() - 0.1) + self.interval

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
