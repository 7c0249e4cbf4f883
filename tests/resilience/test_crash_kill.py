"""Crash safety: `rcm run` killed with SIGKILL at random moments under a load of families.

What must hold whatever the moment of the kill: a reference shown to a family names exactly
one stored message; no message was made twice from one press of Send; every approval
reaches its family at least once, and more than once only for a send in flight at a kill;
the audit chain verifies; an update fetched but not yet handled is handled after restart.
"""

from __future__ import annotations

import asyncio
import random
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.transport import inbox
from demo.simulate import ScriptedUser
from relay import outbox
from sandbox import SandboxClient, SandboxServer
from tests.conftest import Database
from tests.e2e.conftest import BOT_ID
from tests.pgcluster import Cluster
from tests.quiet import quiet
from tests.resilience.balancer import Balancer
from tests.resilience.conftest import (
    LONG,
    REPO,
    BotProcess,
    PatientFamily,
    approvals_told,
    approve_waiting,
    bot_env,
    eventually,
    family_messages,
    make_reviewer,
    open_store,
    refs_shown,
)

LANGS = ["en", "fr", "uk", "ar", "fa", "es", "ru"]


async def audit_verify(
    data_dir: Path, api_root: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rcm",
        "--env-file",
        "/dev/null",
        "audit",
        "verify",
        env=bot_env(api_root, data_dir, **(env or {})),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Workers:
    """One `rcm run` polling on SQLite, or several webhook workers behind one balancer."""

    procs: list[BotProcess]

    @property
    def kills(self) -> int:
        return sum(p.kills for p in self.procs)

    async def start(self) -> None:
        # One after the other: the first creates the key file the others read.
        for p in self.procs:
            await p.start()
            await p.ready()

    async def kill_one(self, rng: random.Random) -> tuple[BotProcess, int]:
        victim = rng.choice(self.procs)
        return victim, await victim.kill()

    def log(self) -> str:
        return "".join(p.logs()[-3000:] for p in self.procs)


async def kill_loop(
    tmp_path: Path,
    *,
    families: int,
    letters: int,
    min_kills: int,
    seed: int,
    database: Database | None = None,
    workers: int = 1,
) -> None:
    rng = random.Random(seed)
    started = time.monotonic()
    env: dict[str, str] = {}
    if database is not None and database.url is not None:
        assert database.vault_url is not None
        env = {"RCM_DATABASE_URL": database.url, "RCM_VAULT_URL": database.vault_url}
    ports = [free_port() for _ in range(workers)] if workers > 1 else []
    async with (
        SandboxServer(port=0) as sandbox,
        SandboxClient(sandbox.api_root, bot_id=BOT_ID) as client,
        Balancer(ports) as balancer,
    ):
        await client.ensure_bot(BOT_ID)
        data = tmp_path / "data"
        (tmp_path / "logs").mkdir()
        if workers == 1:
            pool = Workers([BotProcess(sandbox.api_root, data, tmp_path / "logs", env=env)])
        else:
            # Several webhook workers behind one URL share the database and the secret.
            env["RCM_WEBHOOK_SECRET"] = "s" * 32
            # A short lease: what a killed worker held comes back within seconds.
            env["RCM_WORKER_LEASE_S"] = "3"
            pool = Workers(
                [
                    BotProcess(
                        sandbox.api_root,
                        data,
                        tmp_path / "logs",
                        env=env,
                        name=f"worker{port}",
                        run_args=("--webhook-url", balancer.url, "--listen", f"127.0.0.1:{port}"),
                    )
                    for port in ports
                ]
            )
        await pool.start()
        store = None
        tasks: list[asyncio.Future[None] | asyncio.Future[list[None]]] = []
        try:
            # Given onboarded families in several languages and a reviewer on its own connection
            fams = [
                PatientFamily(client, 7100 + i, LANGS[i % len(LANGS)]) for i in range(families)
            ]
            await asyncio.gather(*(f.onboard() for f in fams))
            store = await open_store(data, env)
            reviewer = await make_reviewer(store, 7999, LANGS)
            approved: list[str] = []
            stop_review = asyncio.Event()

            review_errors: list[str] = []

            async def reviewing() -> None:
                # A reviewer whose action fails (the database busy with a bot being killed and
                # restarted) tries again, as a person would; what failed is reported if the
                # queue then never drains.
                while not stop_review.is_set():
                    try:
                        approved.extend(await approve_waiting(store, reviewer))
                    except Exception as exc:  # reported below if the queue never drains
                        review_errors.append(f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(0.3)

            written: dict[int, int] = {}

            async def writing(f: PatientFamily) -> None:
                # Write at least ``letters``, and keep writing until the last kill.
                n = 0
                while n < letters or pool.kills < min_kills:
                    await f.submit(f"Family {f.user_id}, letter {n}: we are all well.")
                    written[f.user_id] = n = n + 1

            review_task = asyncio.create_task(reviewing())
            load = asyncio.gather(*(writing(f) for f in fams))
            tasks += [review_task, load]
            # When the bot is SIGKILLed at random moments and started again each time
            exit_codes: Counter[int] = Counter()
            while not load.done() or pool.kills < min_kills:
                # Every other life of the bots lasts until they have started (a condition, not
                # a time): on a busy machine starting takes longer than the random delay, and a
                # bot killed every time before it starts would never let the families on.
                if pool.kills % 2:
                    for p in pool.procs:
                        await p.ready(within=120)
                # (two workers: each is killed about as often as the one alone)
                await asyncio.sleep(rng.uniform(0.2, 3.0) * workers)
                victim, code = await pool.kill_one(rng)
                exit_codes[code] += 1
                await victim.start()
            await load
            kill_phase = time.monotonic() - started

            # Then, once the bot is left running, every message gets approved and told
            async def drained() -> bool:
                counts = await outbox.counts(store)
                stored = [m for f in fams for m in await family_messages(store, f.user_id)]
                return (
                    counts.get("pending", 0) == 0
                    and counts.get("sending", 0) == 0
                    and all(m.state == "approved" for m in stored)
                    and not await inbox.pending(store)
                )

            # (on PostgreSQL what a killed worker held comes back when its lease ends)
            try:
                await eventually(drained, 150, "the outbox and the inbox to drain")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; review errors: {review_errors[-3:]}") from exc
            stop_review.set()
            await review_task
            for proc in pool.procs:
                assert await proc.stop() == 0, proc.log()[-3000:]
            assert exit_codes == {-9: pool.kills}

            total_confirmed = 0
            duplicates = 0
            for f in fams:
                entries = await client.transcript(f.user_id)
                stored = await family_messages(store, f.user_id)
                refs = Counter(m.reference for m in stored)
                # every confirmed reference names exactly one stored message, with its text
                for ref, text in f.confirmed.items():
                    assert refs[ref] == 1, (f.user_id, ref)
                    assert [m.text for m in stored if m.reference == ref] == [text]
                # no message made without a press of Send, nor more than one per press
                per_text = Counter(m.text for m in stored)
                for text, n in per_text.items():
                    assert n <= f.presses[text], (f.user_id, text, n, f.presses[text])
                # nothing stored that the family was not shown (no silent submission)
                assert set(refs) == refs_shown(entries), f.user_id
                assert len(f.confirmed) == written[f.user_id] >= letters, f.user_id
                # every approval told at least once; more only for sends in flight at a kill
                told = approvals_told(entries, f.lang, refs)
                assert min(told.values()) >= 1, (f.user_id, told)
                duplicates += sum(n - 1 for n in told.values())
                total_confirmed += len(f.confirmed)
            assert duplicates <= pool.kills
            everything = [m for f in fams for m in await family_messages(store, f.user_id)]
            assert sorted(approved) == sorted(m.reference for m in everything)
            code, out = await audit_verify(data, sandbox.api_root, env)
            assert code == 0, out
            assert "audit log intact" in out
            print(  # figures for the report (pytest -s)
                f"\nworkers={workers} kills={pool.kills} families={families}"
                f" confirmed={total_confirmed}"
                f" redrives={sum(f.redrives for f in fams)} duplicate_notifications={duplicates}"
                f" kill_phase_s={kill_phase:.1f} total_s={time.monotonic() - started:.1f}"
            )

        finally:
            for task in tasks:
                task.cancel()
            for proc in pool.procs:
                await proc.cleanup()
            if store is not None:
                await store.close()


async def test_random_kills_under_load_lose_and_double_nothing(tmp_path: Path) -> None:
    await kill_loop(tmp_path, families=4, letters=3, min_kills=20, seed=20240611)


async def test_two_webhook_workers_on_postgresql_killed_at_random_lose_and_double_nothing(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    # Two `rcm run --webhook-url` workers behind one balancer, one PostgreSQL database: one
    # of them is SIGKILLed at random moments while the other goes on.
    url, vault_url = pg_cluster.create_database("crash")
    database = Database("postgres", url, vault_url, pg_cluster)
    await kill_loop(
        tmp_path,
        families=4,
        letters=3,
        min_kills=12,
        seed=20261130,
        database=database,
        workers=2,
    )


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long mode: RCM_LONG=1")
async def test_many_random_kills_under_heavier_load(tmp_path: Path) -> None:
    await kill_loop(tmp_path, families=10, letters=6, min_kills=80, seed=7)


async def test_update_fetched_but_not_handled_is_handled_after_a_kill(tmp_path: Path) -> None:
    async with (
        SandboxServer(port=0) as sandbox,
        SandboxClient(sandbox.api_root, bot_id=BOT_ID) as client,
    ):
        await client.ensure_bot(BOT_ID)
        (tmp_path / "logs").mkdir()
        proc = BotProcess(sandbox.api_root, tmp_path / "data", tmp_path / "logs")
        await proc.start()
        store = None
        try:
            family = ScriptedUser(client, 7301, "Lea", "en", timeout=30)
            await family.onboard("Lea Martin")
            store = await open_store(tmp_path / "data")
            # Given the bot's answers are slow (every sendMessage held 30 s by the server)
            await client.set_faults(delay=1.0, delay_seconds=30.0, methods=["sendMessage"])
            sends = (await client.counters())["requests"].get("sendMessage", 0)
            mark = await family.say("/status")
            bot_state = sandbox.state.bots[BOT_ID]

            # When the update was fetched, stored and confirmed to Telegram (it is gone from the
            # server's queue), and its handler waits on its answer ...
            async def in_handler() -> bool:
                requests = (await client.counters())["requests"]
                return not bot_state.updates and requests.get("sendMessage", 0) > sends

            await eventually(in_handler, 20, "the handler to be answering")
            pending = await inbox.pending(store)
            assert len(pending) == 1
            # ... the process is killed
            assert await proc.kill() == -9
            assert [e for e in await family.transcript() if e.message_id > mark] == []
            assert bot_state.updates == []  # Telegram will not send it again
            # Then after a restart the stored update is handled: /status gets its answer, once
            await client.set_faults(delay=0.0, methods=None)
            await proc.start()
            answer = await family.wait_reply(mark)
            assert "You have not sent any message yet" in (answer.text or "")
            await quiet(sandbox, store)
            after = [e for e in await family.transcript() if e.from_bot and e.message_id > mark]
            assert len(after) == 1
            assert await inbox.pending(store) == []
            assert await proc.stop() == 0
            assert "replaying update" in proc.log()
        finally:
            await proc.cleanup()
            if store is not None:
                await store.close()
