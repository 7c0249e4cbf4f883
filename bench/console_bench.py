"""Benchmark the console's pages with a big store, against a static file of the same server.

Run: ``.venv/bin/python -m bench.console_bench [--quick] [--messages N] [--samples N]``.
Prints one JSON object.

The store is built by ``bench.store_bench``'s generator (a million messages by default, every
personal field really sealed). A reviewer who reads three of the seven languages signs in
through a real single-use link; the console runs in this process on a loopback port and an
aiohttp client asks for pages one at a time, as a person would. Measured:

- server time (p50/p95): handler time inside the server, from the first middleware in to
  the answer out (session lookup and its write, role check, relay queries, rendering);
- round trip (p50/p95): the same requests as the client sees them (loopback HTTP added);
- pages: ``/queue`` (backlog by site and language), ``/review/<id>`` (a held message: lease
  renewed, text opened, sender and addressee, history) and, as the baseline,
  ``/static/console.css`` (a file the same server sends without any store access).
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.store_bench import _fill_store, _plan
from console.server import COOKIE, build_app
from relay import review, staff_access
from relay.crypto import KeyRing
from relay.settings import Settings
from relay.sites import load_sites
from relay.store import Store

log = logging.getLogger("bench.console")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _pct(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 3),
        "samples": len(times),
    }


async def _pages(
    url: str, cookie: str, message_id: str, samples: int, server: dict[str, list[float]]
) -> dict[str, Any]:
    paths = {"queue": "/queue", "review": f"/review/{message_id}", "static": "/static/console.css"}
    trips: dict[str, list[float]] = {name: [] for name in paths}
    async with aiohttp.ClientSession(cookies={COOKIE: cookie}) as client:
        for path in paths.values():  # warm up: first key unwraps, template compiles
            async with client.get(url + path) as answer:
                assert answer.status == 200, (path, answer.status)
                await answer.read()
        for values in server.values():
            values.clear()
        for _ in range(samples):
            for name, path in paths.items():  # interleaved: the three share the same moments
                started = time.perf_counter()
                async with client.get(url + path) as answer:
                    await answer.read()
                    assert answer.status == 200
                trips[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"server": _pct(server[name]), "round_trip": _pct(trips[name])} for name in paths
    }


async def run(n: int, samples: int, workdir: Path) -> dict[str, Any]:
    """Generate the store, serve the console, measure the pages."""
    t0 = time.perf_counter()
    keys = KeyRing.load_or_create(workdir / "keys" / "master.key")
    store = await Store.open(workdir / "rcm.sqlite3", keys)
    runner: web.AppRunner | None = None
    try:
        await _fill_store(store, _plan(n))
        gen_s = time.perf_counter() - t0
        log.info("store generated: %d messages in %.1f s", n, gen_s)
        cookie = await staff_access.spend_link(
            store, token=await staff_access.create_link(store, person_id="p_reviewer")
        )
        item = await review.claim_next(store, reviewer_id="p_reviewer", lease_s=3600)
        assert item is not None
        server: dict[str, list[float]] = {"queue": [], "review": [], "static": []}

        @web.middleware
        async def timer(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                kind = request.path.split("/")[1]
                name = {"queue": "queue", "review": "review", "static": "static"}.get(kind)
                if name is not None:
                    server[name].append((time.perf_counter() - started) * 1000)

        settings = Settings(data_dir=workdir)
        app = build_app(store=store, sites=load_sites(None), settings=settings)
        app.middlewares.insert(0, timer)  # outermost: the whole server-side work
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        pages = await _pages(url, cookie, item.message_id, samples, server)
    finally:
        if runner is not None:
            await runner.cleanup()
        await store.close()
    base = pages["static"]["server"]["p95_ms"]
    return {
        "name": "console",
        "messages": n,
        "generate_s": round(gen_s, 1),
        "pages": pages,
        "ratio_p95_to_static": {
            name: round(pages[name]["server"]["p95_ms"] / base, 1) if base else 0.0
            for name in ("queue", "review")
        },
        "baseline": "GET /static/console.css from the same server in the same run",
    }


def main(argv: list[str] | None = None) -> None:
    """Measure and print the JSON figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="20,000 messages instead of 1,000,000")
    ap.add_argument("--messages", type=int, default=None, help="number of messages")
    ap.add_argument("--samples", type=int, default=None, help="requests timed per page")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    n = args.messages or (20_000 if args.quick else 1_000_000)
    samples = args.samples or (100 if args.quick else 300)
    with tempfile.TemporaryDirectory(prefix="rcm-bench-console-") as tmp:
        result = asyncio.run(run(n, samples, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
