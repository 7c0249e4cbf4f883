"""Wait until the bot has nothing left in flight, so that "it happened once" can be asserted.

A test that asks whether a second answer comes must not wait a fixed time for it (on a busy
machine the second answer may come later, and the test would pass by timing). Instead it
waits until nothing can still cause one: no update waiting at the sandbox or in the bot's
inbox, every button press answered, the outbox drained.
"""

from __future__ import annotations

import asyncio
import time

from bot.transport import inbox
from relay import outbox
from relay.store import Store
from sandbox import SandboxServer


async def _still_busy(
    sandbox: SandboxServer, store: Store, presses: bool, queued: bool
) -> str | None:
    world = sandbox.state
    if queued and any(bot.updates for bot in world.bots.values()):
        return "updates waiting at the sandbox"
    if presses and any(not c.answered for c in world.callbacks.values()):
        return "button presses not answered"
    if await inbox.pending(store):
        return "updates pending in the inbox"
    if await _outbox_busy(store):
        return "notices waiting in the outbox"
    return None


async def _outbox_busy(store: Store) -> bool:
    counts = await outbox.counts(store)
    return bool(counts.get("pending", 0) or counts.get("sending", 0))


async def quiet(
    sandbox: SandboxServer,
    store: Store,
    *,
    within: float = 60.0,
    presses: bool = True,
    queued: bool = True,
) -> None:
    """Return once nothing is in flight (checked twice in a row); fail after ``within`` s.

    ``presses=False`` leaves unanswered button presses aside (a test that drops requests on
    purpose loses some answers to them for good); ``queued=False`` leaves the sandbox's queue
    aside (a webhook test that plays Telegram itself: the sandbox only keeps what users send).
    """
    deadline = time.monotonic() + within
    calm = 0
    while calm < 2:
        busy = await _still_busy(sandbox, store, presses, queued)
        calm = calm + 1 if busy is None else 0
        if busy is not None and time.monotonic() > deadline:
            raise AssertionError(f"still busy after {within} s: {busy}")
        await asyncio.sleep(0.05)


async def drained(store: Store, *, within: float = 60.0) -> None:
    """Return once the outbox has sent everything queued (notices to families and staff)."""
    deadline = time.monotonic() + within
    while await _outbox_busy(store):
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox did not drain within {within} s")
        await asyncio.sleep(0.05)
