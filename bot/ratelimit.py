"""Pacing and retrying of Bot API requests, without ever pausing the whole bot.

PTB's AIORateLimiter, when it retries a 429, holds back every request of the bot until the
wait is over: one chat's 429 then delays every family's answer. Here:
- requests that go to a chat are paced together (Telegram allows about 30 messages a second
  per bot), answers to people ahead of bulk notifications (``BULK``, bot/pacing.py); the
  others (answerCallbackQuery, getFile, getUpdates...) are not;
- a 429 makes only that request wait its ``retry_after`` and try again;
- 5xx and network failures on Telegram's side are retried with a short backoff, so a user
  never reads "something went wrong" for a fault that was not theirs (a retry after a lost
  answer may repeat a message: the lesser harm than losing one);
- getUpdates is never retried here: the poller has its own loop for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.pacing import PriorityPacer

log = logging.getLogger("bot.ratelimit")

Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]
# ``rate_limit_args`` of a bulk request (the outbox): no retry in place (the outbox
# reschedules the row instead) and a slot only when no answer to a person is waiting.
BULK = -1


def retry_after_s(error: RetryAfter) -> float:
    """Return Telegram's requested wait in seconds (PTB gives an int or a timedelta)."""
    value = error.retry_after
    return float(value if isinstance(value, int | float) else value.total_seconds())


class PacingRetryingLimiter(BaseRateLimiter[int]):
    """Paces chat requests overall and retries transient failures per request."""

    def __init__(
        self,
        *,
        per_second: float = 29.0,
        retries: int = 5,
        max_wait_s: float = 30.0,
        priority: bool = True,
    ):
        self._paced = PriorityPacer(per_second, priority=priority)
        self._retries = retries
        self._max_wait_s = max_wait_s

    def set_rate(self, per_second: float, *, priority: bool = True) -> None:
        """Change the pace of chat requests (benchmarks lift it, or compare arrival order)."""
        self._paced = PriorityPacer(per_second, priority=priority)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Stop handing out slots."""
        await self._paced.close()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send one request, paced when it goes to a chat, retried when Telegram failed."""
        bulk = rate_limit_args == BULK
        retries = rate_limit_args if rate_limit_args is not None else self._retries
        attempts = max(retries, 0) + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1 or endpoint == "getUpdates"
            try:
                if data.get("chat_id") is None:
                    return await callback(*args, **kwargs)
                await self._paced.acquire(interactive=not bulk)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_s(exc)
                if last or wait > self._max_wait_s:
                    raise  # the caller (the outbox) reschedules what waits long
                await asyncio.sleep(wait + 0.05)
            except BadRequest:
                if attempt > 0 and endpoint == "answerCallbackQuery":
                    return True  # our earlier try was taken; only its answer was lost
                raise  # the request itself is wrong: asking again cannot help
            except NetworkError as exc:
                if last:
                    raise
                log.info("%s failed (%s); retry %d", endpoint, type(exc).__name__, attempt + 1)
                await asyncio.sleep(min(4.0, 0.25 * 2**attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")
