"""Telegram's limits and fault injection: policy only, no I/O, so it is testable alone."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64


@dataclass(frozen=True)
class LimitConfig:
    """Which Telegram limits apply; rates in messages per second, bursts in messages."""

    text_limits: bool = True
    rate_limits: bool = False
    global_rate: float = 30.0
    global_burst: float = 30.0
    chat_rate: float = 1.0
    # Telegram tolerates a short burst in one chat before answering 429; keep it small.
    chat_burst: float = 3.0

    def to_json(self) -> dict[str, Any]:
        """Render as plain JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class TokenBucket:
    """A token bucket: `rate` tokens per second, holding at most `burst`."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Return how long until one token is available (0 if one is available now)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token; call only after wait_time returned 0."""
        self.tokens -= 1.0


class RateLimiter:
    """Per-bot and per-chat token buckets for the methods that send or edit messages."""

    def __init__(self, config: LimitConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._global: dict[int, TokenBucket] = {}
        self._chat: dict[tuple[int, int], TokenBucket] = {}

    def configure(self, **changes: Any) -> LimitConfig:
        """Change settings at runtime; buckets restart full so the change takes effect at once."""
        self.config = replace(self.config, **changes)
        self._global.clear()
        self._chat.clear()
        return self.config

    def check(self, bot_id: int, chat_id: int) -> int | None:
        """Take a token for a message to a chat, or return retry_after seconds (>= 1)."""
        if not self.config.rate_limits:
            return None
        now = self._clock()
        cfg = self.config
        gbucket = self._global.get(bot_id)
        if gbucket is None:
            gbucket = self._global[bot_id] = TokenBucket(cfg.global_rate, cfg.global_burst, now)
        cbucket = self._chat.get((bot_id, chat_id))
        if cbucket is None:
            cbucket = self._chat[(bot_id, chat_id)] = TokenBucket(
                cfg.chat_rate, cfg.chat_burst, now
            )
        wait = max(gbucket.wait_time(now), cbucket.wait_time(now))
        if wait > 0:
            # Telegram answers whole seconds and never 0, and refusing consumes nothing.
            return max(1, math.ceil(wait))
        gbucket.take()
        cbucket.take()
        return None


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities (0..1) per Bot API call of each injected fault."""

    error_500: float = 0.0
    error_502: float = 0.0
    too_many_requests: float = 0.0
    retry_after: int = 1
    delay: float = 0.0
    delay_seconds: float = 1.0
    # Connection closed before the method runs: nothing happened server-side.
    drop: float = 0.0
    # Connection closed after the method ran: it took effect but the client never hears so.
    drop_after: float = 0.0
    # Lower-cased method names the faults apply to; None means every Bot API method.
    methods: frozenset[str] | None = None
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Render as plain JSON."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["methods"] = sorted(self.methods) if self.methods is not None else None
        return out


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one call: wait, then maybe answer an error or drop the connection."""

    delay: float = 0.0
    action: str | None = None  # "500", "502", "429", "drop"
    drop_after: bool = False
    retry_after: int = 1
    injected: tuple[str, ...] = field(default_factory=tuple)


class FaultInjector:
    """Draws faults per call from a seedable random generator, for reproducible chaos."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)  # noqa: S311 - reproducible chaos, not secrets

    def configure(self, **changes: Any) -> FaultConfig:
        """Change settings at runtime; a given seed restarts the random sequence."""
        if "methods" in changes and changes["methods"] is not None:
            changes["methods"] = normalise_methods(changes["methods"])
        for name in ("error_500", "error_502", "too_many_requests", "delay", "drop", "drop_after"):
            if name in changes:
                value = float(changes[name])
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be a probability between 0 and 1")
                changes[name] = value
        if int(changes.get("retry_after", 1)) < 1:
            raise ValueError("retry_after must be at least 1")
        self.config = replace(self.config, **changes)
        if "seed" in changes:
            self._rng = random.Random(self.config.seed)  # noqa: S311 - reproducible chaos, not secrets
        return self.config

    def plan(self, method: str) -> FaultPlan:
        """Decide the faults for one call of a Bot API method."""
        cfg = self.config
        if cfg.methods is not None and method.lower() not in cfg.methods:
            return FaultPlan()
        # One draw per kind in a fixed order keeps a seeded run reproducible.
        rolls = {
            name: self._rng.random() < getattr(cfg, name)
            for name in (
                "delay",
                "drop",
                "error_500",
                "error_502",
                "too_many_requests",
                "drop_after",
            )
        }
        injected: list[str] = []
        delay = 0.0
        if rolls["delay"]:
            delay = cfg.delay_seconds
            injected.append("delay")
        action: str | None = None
        for name, label in (
            ("drop", "drop"),
            ("error_500", "500"),
            ("error_502", "502"),
            ("too_many_requests", "429"),
        ):
            if rolls[name]:
                action = label
                injected.append(name)
                break
        drop_after = action is None and rolls["drop_after"]
        if drop_after:
            injected.append("drop_after")
        return FaultPlan(
            delay=delay,
            action=action,
            drop_after=drop_after,
            retry_after=cfg.retry_after,
            injected=tuple(injected),
        )


def normalise_methods(methods: Iterable[str]) -> frozenset[str]:
    """Lower-case method names, since Telegram matches them case-insensitively."""
    return frozenset(m.lower() for m in methods)
