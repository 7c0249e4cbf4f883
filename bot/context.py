"""What every handler can reach: the services, typed, in ``context.bot_data``."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from relay.findings import Checker
from relay.models import Site
from relay.settings import Settings
from relay.store import Store

if TYPE_CHECKING:
    from bot.dispatcher import OutboxDispatcher


class RequestLimiter:
    """Per-user requests per minute, in memory (a flood is a burst, not a stored fact)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def should_warn(self, user_id: int) -> bool:
        """Return True once per minute for a user over the limit (one warning, not one each:
        answering every update of a flood would spend the bot's own sending budget)."""
        now = time.monotonic()
        if now - self._warned.get(user_id, -60.0) < 60:
            return False
        self._warned[user_id] = now
        return True

    def allow(self, user_id: int) -> bool:
        """Count a request; return False when the user is over the limit."""
        now = time.monotonic()
        window = self._seen.setdefault(user_id, deque())
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


@dataclass
class Services:
    """The composition root's wiring, shared by every handler."""

    settings: Settings
    store: Store
    sites: Mapping[str, Site]
    checker: Checker
    limiter: RequestLimiter
    dispatcher: OutboxDispatcher | None = None
    export_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wake_outbox(self) -> None:
        """Tell the outbox dispatcher that something was queued."""
        if self.dispatcher is not None:
            self.dispatcher.wake()


class BotData:
    """``context.bot_data``: holds the services once ``post_init`` has opened them."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not open yet")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value


Ctx = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
