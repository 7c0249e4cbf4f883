"""Benchmark delivery under Telegram's limits: the outbox dispatcher against a naive sender.

Run: ``.venv/bin/python -m bench.delivery_bench [--quick]``. Prints one JSON object.

A burst of notifications (full: 10,000 for 2,000 chats; quick: 1,000 for 200 chats) is
queued in the outbox in one transaction, each for a chat drawn at random (so that some
chats get several close together), for people created with consent through
``relay.people``. The sandbox Bot API server (loopback, in this process) enforces its rate
limits: 30 messages/s per bot (bucket of 30) and 1/s per chat (bucket of 3), answering 429
with retry_after beyond them. The real ``OutboxDispatcher`` with the real Application of
``bot.app.build_application`` (its AIORateLimiter) drains the outbox.

Baseline, in the same run, on a second bot (its own buckets): a naive sender, plain
``bot.send_message`` in a loop with python-telegram-bot's defaults and no rate limiter,
sleeping ``retry_after`` on each RetryAfter (full: 2,000 notifications; quick: 300, enough
for a rate).

Each notification carries a unique tag, so what reached the sandbox transcripts is counted
exactly: lost = queued but never delivered, duplicates = delivered more than once.
The rate counts from the first send to the last delivery; the bot's bucket starts full, so a
perfect sender can exceed 30/s over a short run by 30 messages' worth: ``steady_per_s``
(from 10 % to 90 % delivered) leaves the burst out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import RetryAfter

from bot.app import build_application, quiet_libraries
from bot.dispatcher import OutboxDispatcher
from bot.transport import address_of
from relay import outbox, people
from relay.crypto import KeyRing
from relay.notices import StatusChanged
from relay.settings import Settings
from relay.store import Store
from sandbox import SandboxServer
from sandbox.state import SimUser, World

log = logging.getLogger("bench.delivery")

LIMIT_PER_S = 30.0
OURS_BOT = 777001
BASE_BOT = 777002
FIRST_USER = 5_000_000
TAG = re.compile(r"B-\d{6}")


def _tag(n: int) -> str:
    return f"B-{n:06d}"


def _world_users(world: World, chats: int) -> list[int]:
    """Create the users, each having started its chat with both bots."""
    ids = [FIRST_USER + i for i in range(chats)]
    for bot_id in (OURS_BOT, BASE_BOT):
        bot = world.ensure_bot(bot_id)
        for uid in ids:
            world.users[uid] = SimUser(uid, f"U{uid}", language_code="en")
            world.chat(bot, uid).started = True
    return ids


def _delivered(world: World, bot_id: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for chat in world.bots[bot_id].chats.values():
        for msg in chat.messages.values():
            if msg.from_bot:
                seen.update(TAG.findall(msg.text or ""))
    return seen


def _count(world: World, bot_id: int) -> int:
    return sum(
        1 for c in world.bots[bot_id].chats.values() for m in c.messages.values() if m.from_bot
    )


async def _watch(world: World, bot_id: int, n: int, deadline_s: float) -> dict[str, float]:
    """Poll the sandbox until ``n`` messages arrived (or the deadline); return timings."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    while True:
        got = _count(world, bot_id)
        now = time.perf_counter() - started
        for name, frac in (("t10", 0.1), ("t90", 0.9)):
            if name not in marks and got >= n * frac:
                marks[name] = now
        if got >= n or now > deadline_s:
            marks["end"] = now
            marks["got"] = got
            return marks
        await asyncio.sleep(0.02)


def _figures(
    n: int, marks: dict[str, float], seen: Counter[str], queued: list[str], too_many: int
) -> dict[str, Any]:
    rate = marks["got"] / marks["end"] if marks["end"] else 0.0
    steady = (
        0.8 * n / (marks["t90"] - marks["t10"])
        if "t90" in marks and marks["t90"] > marks["t10"]
        else 0.0
    )
    return {
        "notifications": n,
        "seconds": round(marks["end"], 2),
        "messages_per_s": round(rate, 2),
        "fraction_of_limit": round(rate / LIMIT_PER_S, 3),
        "steady_per_s": round(steady, 2),
        "steady_fraction_of_limit": round(steady / LIMIT_PER_S, 3),
        "too_many_requests": too_many,
        "lost": sum(1 for t in queued if seen[t] == 0),
        "duplicates": sum(c - 1 for c in seen.values() if c > 1),
    }


async def _queue(store: Store, ids: list[int], n: int, seed: int) -> list[str]:
    """Create consenting people for the chats and queue ``n`` notifications in one tx."""
    persons = []
    for uid in ids:
        person = await people.ensure(store, address_of(uid), "en")
        await people.record_consent(store, person.id, str(uid))
        persons.append(person.id)
    rnd = random.Random(seed)
    tags = []
    async with store.tx() as tx:
        for i in range(n):
            tag = _tag(i)
            notice = StatusChanged(f"m_{i}", "message", "approved", tag)
            await outbox.enqueue(tx, rnd.choice(persons), notice)
            tags.append(tag)
    return tags


async def _ours(server: SandboxServer, ids: list[int], n: int, workdir: Path) -> dict[str, Any]:
    settings = Settings(
        bot_token=f"{OURS_BOT}:BENCH", telegram_api_url=server.api_root, data_dir=workdir
    )
    keys = KeyRing.load_or_create(settings.resolved_key_file)
    store = await Store.open(settings.db_path, keys)
    app = build_application(settings)
    dispatcher: OutboxDispatcher | None = None
    try:
        tags = await _queue(store, ids, n, seed=3)
        log.info("queued %d notifications for %d chats", n, len(ids))
        await app.initialize()
        before = server.state.counters.too_many_requests
        dispatcher = OutboxDispatcher(app.bot, store)
        dispatcher.start()
        marks = await _watch(server.state, OURS_BOT, n, deadline_s=n / LIMIT_PER_S * 3 + 30)
        too_many = server.state.counters.too_many_requests - before
        await asyncio.sleep(0.3)  # let the last mark_sent commit
        counts = await outbox.counts(store)
    finally:
        if dispatcher is not None:
            await dispatcher.stop()
        await app.shutdown()
        await store.close()
    out = _figures(n, marks, _delivered(server.state, OURS_BOT), tags, too_many)
    out["outbox_states"] = counts
    out["retried"] = dispatcher.retried if dispatcher else 0
    return out


async def _naive(server: SandboxServer, ids: list[int], n: int) -> dict[str, Any]:
    root = server.api_root
    bot = Bot(f"{BASE_BOT}:BENCH", base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
    rnd = random.Random(3)
    tags = [_tag(i) for i in range(n)]
    before = server.state.counters.too_many_requests
    async with bot:
        started = time.perf_counter()
        watcher = asyncio.create_task(
            _watch(server.state, BASE_BOT, n, deadline_s=n / LIMIT_PER_S * 3 + 30)
        )
        for tag in tags:
            chat = rnd.choice(ids)
            for _ in range(100):  # bounded: a notification gives up after 100 refusals
                try:
                    await bot.send_message(chat, f"Your message {tag} was approved.")
                    break
                except RetryAfter as exc:
                    delay = exc.retry_after
                    await asyncio.sleep(
                        delay if isinstance(delay, int | float) else delay.total_seconds()
                    )
        marks = await watcher
    log.info("naive sender done in %.1f s", time.perf_counter() - started)
    too_many = server.state.counters.too_many_requests - before
    return _figures(n, marks, _delivered(server.state, BASE_BOT), tags, too_many)


async def run(n: int, base_n: int, chats: int) -> dict[str, Any]:
    """Queue, drain, compare; return the figures."""
    async with SandboxServer(port=0, rate_limits=True) as server:
        ids = _world_users(server.state, chats)
        with tempfile.TemporaryDirectory(prefix="rcm-bench-delivery-") as tmp:
            ours = await _ours(server, ids, n, Path(tmp))
        base = await _naive(server, ids, base_n)
    return {
        "name": "delivery",
        "limit_per_s": LIMIT_PER_S,
        "chats": chats,
        **ours,
        "baseline": {
            "what": "plain bot.send_message loop, PTB defaults, no rate limiter,"
            " sleeps retry_after on RetryAfter",
            **base,
        },
        "ratio": round(ours["messages_per_s"] / base["messages_per_s"], 3)
        if base["messages_per_s"]
        else 0.0,
        "target": {"fraction_of_limit": 0.95, "lost": 0},
    }


def main(argv: list[str] | None = None) -> None:
    """Measure and print the JSON figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1,000 notifications, not 10,000")
    ap.add_argument("--notifications", type=int, default=None)
    ap.add_argument("--chats", type=int, default=None, help="fewer chats: more per-chat limits")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    quiet_libraries()
    logging.getLogger("sandbox").setLevel(logging.WARNING)
    logging.getLogger("bot.dispatcher").setLevel(logging.WARNING)
    n = args.notifications or (1000 if args.quick else 10_000)
    base_n = 300 if args.quick else 2000
    chats = args.chats or (200 if args.quick else 2000)
    print(json.dumps(asyncio.run(run(n, min(base_n, n), chats)), indent=2))


if __name__ == "__main__":
    main()
