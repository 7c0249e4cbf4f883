"""Benchmark: 1, 2 and 4 webhook workers on one PostgreSQL database, behind one URL.

Run: ``.venv/bin/python -m bench.workers_bench [--quick] [--seconds S] [--families F]``.

A throwaway PostgreSQL cluster, the sandbox (rate limits off: we measure the workers, not
Telegram), a round-robin balancer (tests/resilience/balancer.py) in front of N processes of
``rcm run --webhook-url``. Families ask /help, one answer at a time each, for S seconds;
with two workers or more one of them is SIGKILLed halfway (and not restarted). Figures per
N: updates/s, answer p50/p99, and after the run: updates lost (never answered) and
duplicated (answered twice). Each worker paces its own chat requests at 29/s, so the
figures are bounded by N x 29/s as well as by the two cores of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from demo.simulate import ScriptedUser
from sandbox import SandboxClient, SandboxServer
from tests.pgcluster import Cluster, start_cluster
from tests.resilience.balancer import Balancer

log = logging.getLogger("bench.workers")
BOT_ID = 5_660_001
REPO = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _worker(env: dict[str, str], url: str, port: int, logf: Path) -> Any:
    with logf.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rcm",
            "--env-file",
            os.devnull,
            "run",
            "--webhook-url",
            url,
            "--listen",
            f"127.0.0.1:{port}",
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "bot started" not in (text := await asyncio.to_thread(logf.read_text)):
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(text[-2000:])
        await asyncio.sleep(0.1)
    return proc


async def one_run(
    cluster: Cluster, workers: int, seconds: float, families: int, workdir: Path
) -> dict[str, Any]:
    url, vault_url = cluster.create_database(f"w{workers}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCM_")}
    async with SandboxServer(port=0) as sandbox:
        env.update(
            RCM_TELEGRAM_API_URL=sandbox.api_root,
            RCM_BOT_TOKEN=f"{BOT_ID}:BENCH",
            RCM_DATA_DIR=str(workdir / "data"),
            RCM_DATABASE_URL=url,
            RCM_VAULT_URL=vault_url,
            RCM_WEBHOOK_SECRET="b" * 32,
            RCM_REQUESTS_PER_MINUTE="100000",
            RCM_WORKER_LEASE_S="3",
        )
        ports = [_port() for _ in range(workers)]
        procs = []
        async with (
            Balancer(ports) as balancer,
            SandboxClient(sandbox.api_root, bot_id=BOT_ID) as client,
        ):
            await client.ensure_bot(BOT_ID)
            for n, port in enumerate(ports):
                procs.append(await _worker(env, balancer.url, port, workdir / f"w{n}.log"))
            users = [
                ScriptedUser(client, 8_100_000 + i, f"F{i}", "en", timeout=120)
                for i in range(families)
            ]
            for u in users:
                await u.setup()
            latencies: list[float] = []
            asked: dict[int, int] = dict.fromkeys(range(families), 0)
            stop = asyncio.Event()

            async def family(i: int, u: ScriptedUser) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    mark = await u.say("/help")
                    asked[i] += 1
                    await u.wait_reply(mark)
                    latencies.append(time.perf_counter() - started)

            began = time.perf_counter()
            tasks = [asyncio.create_task(family(i, u)) for i, u in enumerate(users)]
            killed = 0
            await asyncio.sleep(seconds / 2)
            if workers > 1:
                procs[0].send_signal(signal.SIGKILL)
                await procs[0].wait()
                killed = 1
            await asyncio.sleep(seconds / 2)
            stop.set()
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - began
            answered = [
                sum(1 for e in await client.transcript(u.user_id) if e.from_bot) for u in users
            ]
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    await proc.wait()
    total = sum(asked.values())
    ordered = sorted(latencies)
    return {
        "workers": workers,
        "killed": killed,
        "updates": total,
        "updates_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "lost": sum(max(0, asked[i] - answered[i]) for i in asked),
        "duplicated": sum(max(0, answered[i] - asked[i]) for i in asked),
    }


async def run(seconds: float, families: int, counts: list[int]) -> dict[str, Any]:
    cluster = start_cluster()
    try:
        runs = []
        for n in counts:
            with tempfile.TemporaryDirectory(prefix="rcm-bench-workers-") as tmp:
                runs.append(await one_run(cluster, n, seconds, families, Path(tmp)))
                log.info("%s", runs[-1])
    finally:
        cluster.stop()
    base = runs[0]["updates_per_s"] or 1.0
    return {
        "name": "workers",
        "seconds": seconds,
        "families": families,
        "runs": runs,
        "baseline": {"what": "one worker (no kill)", **runs[0]},
        "ratio": {str(r["workers"]): round(r["updates_per_s"] / base, 2) for r in runs},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 s per run")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--families", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    for noisy in ("httpx", "telegram", "bot", "relay", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    seconds = 10.0 if args.quick else args.seconds
    counts = [int(c) for c in args.workers.split(",")]
    print(json.dumps(asyncio.run(run(seconds, args.families, counts)), indent=2))


if __name__ == "__main__":
    main()
