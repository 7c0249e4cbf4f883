"""A timer that queues the staff's backlog summaries (``relay.alerts.backlog_alerts``).

The summaries themselves are outbox rows: this only decides when to look. Looking is cheap
(one grouped query), and ``backlog_alerts`` sends each summary once per day and once per
deadline passed, so the interval only bounds how late a summary can be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from relay import alerts
from relay.store import Store

log = logging.getLogger("bot.alerts")


class AlertTicker:
    """Looks for due backlog summaries every ``interval_s`` seconds, in the background."""

    def __init__(self, store: Store, wake: Callable[[], None], interval_s: float = 300.0) -> None:
        self.store = store
        self.wake = wake
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="staff-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> int:
        """Queue what is due now; return how many summaries were queued."""
        queued = await alerts.backlog_alerts(self.store)
        if queued:
            log.info("staff alerts: %d backlog summaries queued", queued)
            self.wake()
        return queued

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:  # a failed look must not stop the timer
                log.warning("staff alerts: %s", type(exc).__name__)
            await asyncio.sleep(self.interval_s)
