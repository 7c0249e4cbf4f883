"""Benchmark: a family's answer latency while the outbox drains a burst of notifications.

Run: ``.venv/bin/python -m bench.priority_bench [--quick] [--notifications N]``.

The real bot (long polling, the real outbox dispatcher) against the sandbox with Telegram's
limits on. N notifications are queued for 2,000 chats; meanwhile families (one answer at
a time each, like people) send /help and wait for the answer. Measured twice in the same
run: as shipped (answers ahead of bulk in the 29/s pace) and the baseline (one pace in
arrival order: the behaviour before). Figures: answer latency p50/p99, and the rate the
burst drained at as a fraction of what the answers left of the budget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import start_bot
from bot.ratelimit import PacingRetryingLimiter
from bot.transport import address_of
from demo.simulate import ScriptedUser
from relay import outbox, people
from relay.notices import StatusChanged
from relay.settings import Settings
from sandbox import SandboxClient, SandboxServer
from sandbox.state import SimUser

log = logging.getLogger("bench.priority")
BOT_ID = 5_550_001
PACE_PER_S = 29.0
CHATS = 2_000


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)


async def one_run(n: int, families: int, *, priority: bool, workdir: Path) -> dict[str, Any]:
    """Queue ``n`` notifications, let families ask while they drain; return the figures."""
    async with SandboxServer(port=0, rate_limits=True) as server:
        bot = server.state.ensure_bot(BOT_ID)
        for uid in range(9_000_001, 9_000_001 + CHATS):  # people who started the bot
            server.state.users[uid] = SimUser(uid, f"U{uid}", language_code="en")
            server.state.chat(bot, uid).started = True
        settings = Settings(
            bot_token=f"{BOT_ID}:BENCH",
            telegram_api_url=server.api_root,
            data_dir=workdir,
            requests_per_minute=100_000,
            messages_per_day=1000,
        )
        running = await start_bot(settings, poll_timeout_s=1)
        limiter = running.app.bot.rate_limiter
        assert isinstance(limiter, PacingRetryingLimiter)
        limiter.set_rate(PACE_PER_S, priority=priority)
        store = running.services.store
        try:
            async with SandboxClient(server.api_root, bot_id=BOT_ID) as client:
                await client.ensure_bot(BOT_ID)
                users = [
                    ScriptedUser(client, 8_000_000 + i, f"F{i}", "en", timeout=600)
                    for i in range(families)
                ]
                for u in users:
                    await u.setup()
                persons = []
                for uid in range(1, CHATS + 1):
                    person = await people.ensure(store, address_of(9_000_000 + uid), "en")
                    await people.record_consent(store, person.id, str(9_000_000 + uid))
                    persons.append(person.id)
                async with store.tx() as tx:
                    for i in range(n):
                        await outbox.enqueue(
                            tx,
                            persons[i % CHATS],
                            StatusChanged(f"m_{i}", "message", "approved", f"B{i}"),
                        )
                started = time.perf_counter()
                sent_before = running.dispatcher.sent
                running.dispatcher.wake()
                latencies: list[float] = []
                stop = asyncio.Event()

                async def family(u: ScriptedUser) -> None:
                    while not stop.is_set():
                        asked = time.perf_counter()
                        mark = await u.say("/help")
                        await u.wait_reply(mark)
                        latencies.append(time.perf_counter() - asked)
                        await asyncio.sleep(1.0)  # a person reads before the next tap

                tasks = [asyncio.create_task(family(u)) for u in users]
                while running.dispatcher.sent - sent_before < n:  # noqa: ASYNC110 - a counter
                    await asyncio.sleep(0.2)
                drained_s = time.perf_counter() - started
                answers = len(latencies)
                stop.set()
                await asyncio.gather(*tasks)
        finally:
            await running.stop()
    answer_rate = answers / drained_s
    bulk_rate = n / drained_s
    return {
        "answers": answers,
        "answer_p50_ms": _p(latencies, 0.5),
        "answer_p99_ms": _p(latencies, 0.99),
        "answer_mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "burst_drain_s": round(drained_s, 1),
        "bulk_per_s": round(bulk_rate, 2),
        "bulk_fraction_of_budget_left": round(bulk_rate / (PACE_PER_S - answer_rate), 3),
    }


async def run(n: int, families: int) -> dict[str, Any]:
    results = {}
    for label, priority in (("shipped", True), ("baseline", False)):
        with tempfile.TemporaryDirectory(prefix="rcm-bench-priority-") as tmp:
            results[label] = await one_run(n, families, priority=priority, workdir=Path(tmp))
            log.info("%s: %s", label, results[label])
    return {
        "name": "priority",
        "notifications": n,
        "families": families,
        "pace_per_s": PACE_PER_S,
        **results["shipped"],
        "baseline": {
            "what": "the same bot with one pace in arrival order (before)",
            **results["baseline"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="600 notifications")
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    for noisy in ("httpx", "telegram", "apscheduler", "aiosqlite", "bot", "relay"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    n = 600 if args.quick else args.notifications
    print(json.dumps(asyncio.run(run(n, args.families)), indent=2))


if __name__ == "__main__":
    main()
