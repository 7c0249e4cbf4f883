"""Benchmark the encrypted store at scale against a plain unencrypted table of the same shape.

Run: ``.venv/bin/python -m bench.store_bench [--quick] [--messages N]``. Prints one JSON object.

How the data is made: going through ``messages.submit`` one by one would take hours for a
million messages, so a generator writes the rows in bulk, in transactions of 10,000, through
the store's own ``Tx`` (``create_family_key``, ``seal_for``, ``executemany``): every personal
field is really sealed under its family's data key and every reference has its blind index.
Each family (one message in ten) has one addressee; messages spread over a year, the most
recent 3 % still in the workflow (submitted, in review, approved, escalated, returned), the
older ones printed, delivered, undeliverable, returned or cancelled; each message has two
timeline events. The audit log starts empty (claims append to it as they would).

Measured (p50/p99 over repeated calls, each its own transaction, the key cache cold at first):
- claim_next: ``relay.review.claim_next`` for a reviewer reading three of the seven languages;
- list_for: ``relay.messages.list_for`` of a random family (the /status answer);
- export_select: the selection of ``relay.delivery`` (approved, paper, unbatched messages of
  one site, in print order), rows fetched.
Baseline: the same statements on a plain database (same columns and indexes, text in clear,
no key lookups, no sealing), through aiosqlite as well.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosqlite

from relay import messages, review
from relay.crypto import KeyRing
from relay.reference import new_reference
from relay.store import Store

log = logging.getLogger("bench.store")

LANGS = ("en", "fr", "uk", "ar", "fa", "ru", "es")
READS = ("ar", "fr", "uk")
SITES = ("ALP", "BRV", "CDR", "DLT")
PER_FAMILY = 10
CHUNK = 10_000
RECENT = 0.03
TEXT = (
    "Dear father, we are all well. The harvest was good this year and the children go to "
    "school again. Mother sends her love and asks whether you received the blanket. "
)
# State of a message in the recent slice and in the older part, with weights.
RECENT_STATES = (
    ("submitted", 60),
    ("in_review", 5),
    ("approved", 25),
    ("escalated", 2),
    ("returned", 8),
)
OLD_STATES = (
    ("delivered", 90),
    ("printed", 3),
    ("undeliverable", 2),
    ("returned", 3),
    ("cancelled", 2),
)
EXPORT_SQL = (
    "SELECT * FROM messages WHERE site_code = ? AND state = 'approved'"
    " AND kind = 'message' AND channel = 'paper' AND batch_id IS NULL"
    " ORDER BY submitted_at, id"
)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="microseconds")


def _pick(rnd: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rnd.choices([s for s, _ in table], weights=[w for _, w in table])[0]


def _plan(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """Describe every message (ids, dates, state), shared by the store and the baseline."""
    rnd = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=365)
    families = max(1, n // PER_FAMILY)
    refs: set[str] = set()
    out = []
    for i in range(n):
        created = start + dt.timedelta(seconds=365 * 86400 * i / n)
        recent = i >= n * (1 - RECENT)
        state = _pick(rnd, RECENT_STATES if recent else OLD_STATES)
        ref = new_reference()
        while ref in refs:  # seven random characters: a million of them do collide
            ref = new_reference()
        refs.add(ref)
        fam = rnd.randrange(families)
        out.append(
            {
                "id": f"m_{i:012x}",
                "ref": ref,
                "family": f"p_{fam:012x}",
                "addressee": f"a_{fam:012x}",
                "site": SITES[fam % len(SITES)],
                "lang": LANGS[fam % len(LANGS)],
                "state": state,
                "created": _iso(created),
                "due": _iso(created + dt.timedelta(days=7)),
                "lease": _iso(now + dt.timedelta(hours=1)) if state == "in_review" else None,
                "claimed_by": "p_otherreviewer" if state == "in_review" else None,
            }
        )
    return out


async def _fill_store(store: Store, plan: list[dict[str, Any]]) -> None:
    families = sorted({m["family"] for m in plan})
    now = _iso(dt.datetime.now(dt.UTC))
    for lo in range(0, len(families), CHUNK):
        async with store.tx() as tx:
            people, adds = [], []
            for fam in families[lo : lo + CHUNK]:
                await tx.create_family_key(fam)
                idx = tx.keys.blind_index("tg-user", fam)
                chat = await tx.seal_for(fam, "people", "chat", fam, "1")
                people.append((fam, idx, chat, LANGS[int(fam[2:], 16) % len(LANGS)], now, now))
                add_id = "a_" + fam[2:]
                data = {
                    "full_name": "Name",
                    "latin_name": "Name",
                    "father_name": None,
                    "birth_date": None,
                    "detainee_number": None,
                    "relationship": "son",
                    "linked_person_id": None,
                }
                blob = await tx.seal_for(fam, "addressees", "data", add_id, data)
                adds.append((add_id, fam, blob, SITES[int(fam[2:], 16) % len(SITES)], now))
            await tx.executemany(
                "INSERT INTO people(id, channel_index, address_enc, lang, consent_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                people,
            )
            await tx.executemany(
                "INSERT INTO addressees(id, family_id, data_enc, site_code, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                adds,
            )
    for lo in range(0, len(plan), CHUNK):
        async with store.tx() as tx:
            rows, events = [], []
            for m in plan[lo : lo + CHUNK]:
                fam, mid = m["family"], m["id"]
                rows.append(
                    (
                        mid,
                        tx.keys.blind_index("ref", m["ref"]),
                        await tx.seal_for(fam, "messages", "ref", mid, m["ref"]),
                        fam,
                        m["addressee"],
                        m["site"],
                        m["lang"],
                        m["state"],
                        await tx.seal_for(
                            fam, "messages", "body", mid, {"text": TEXT, "redactions": []}
                        ),
                        await tx.seal_for(fam, "messages", "findings", mid, []),
                        m["claimed_by"],
                        m["lease"],
                        secrets.token_hex(8),
                        m["due"],
                        m["created"],
                        m["created"],
                        m["created"],
                    )
                )
                events.append((mid, 1, m["created"], "submitted", "{}"))
                if m["state"] != "submitted":
                    events.append((mid, 2, m["created"], m["state"], "{}"))
            await tx.executemany(
                "INSERT INTO messages(id, ref_index, ref_enc, kind, family_id, addressee_id,"
                " site_code, lang, channel, state, body_enc, findings_enc, claimed_by,"
                " lease_until, submit_key, due_at, submitted_at, created_at, updated_at)"
                " VALUES (?, ?, ?, 'message', ?, ?, ?, ?, 'paper', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            await tx.executemany(
                "INSERT INTO events(message_id, seq, at, state, detail) VALUES (?, ?, ?, ?, ?)",
                events,
            )
    async with store.tx() as tx:
        await tx.create_family_key("p_reviewer")
        await tx.execute(
            "INSERT INTO people(id, channel_index, lang, created_at) VALUES (?, ?, 'en', ?)",
            ("p_reviewer", tx.keys.blind_index("tg-user", "reviewer"), now),
        )
        await tx.execute(
            "INSERT INTO roles(person_id, role, site_code, languages, granted_by, granted_at)"
            " VALUES ('p_reviewer', 'reviewer', '', ?, 'bench', ?)",
            (",".join(READS), now),
        )
    async with store.tx() as tx:
        await tx.execute("ANALYZE")
    await store.checkpoint()
    store.key_cache.clear()


async def _schema_of(store: Store) -> list[str]:
    """Return the CREATE statements of the messages and events tables and their indexes."""
    async with store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('messages', 'events')"
        " AND sql IS NOT NULL ORDER BY type DESC, name"
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def _fill_plain(
    conn: aiosqlite.Connection, schema: list[str], plan: list[dict[str, Any]]
) -> None:
    for sql in schema:
        # Same columns and indexes; no foreign keys to tables the baseline does not have.
        await conn.execute(re.sub(r"REFERENCES \w+\(id\)( ON DELETE CASCADE)?", "", sql))
    for lo in range(0, len(plan), CHUNK):
        await conn.execute("BEGIN")
        rows, events = [], []
        for m in plan[lo : lo + CHUNK]:
            rows.append(
                (
                    m["id"],
                    m["ref"].encode(),
                    m["ref"].encode(),
                    m["family"],
                    m["addressee"],
                    m["site"],
                    m["lang"],
                    m["state"],
                    json.dumps({"text": TEXT, "redactions": []}).encode(),
                    b"[]",
                    m["claimed_by"],
                    m["lease"],
                    secrets.token_hex(8),
                    m["due"],
                    m["created"],
                    m["created"],
                    m["created"],
                )
            )
            events.append((m["id"], 1, m["created"], "submitted", "{}"))
            if m["state"] != "submitted":
                events.append((m["id"], 2, m["created"], m["state"], "{}"))
        await conn.executemany(
            "INSERT INTO messages(id, ref_index, ref_enc, kind, family_id, addressee_id,"
            " site_code, lang, channel, state, body_enc, findings_enc, claimed_by,"
            " lease_until, submit_key, due_at, submitted_at, created_at, updated_at)"
            " VALUES (?, ?, ?, 'message', ?, ?, ?, ?, 'paper', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        await conn.executemany(
            "INSERT INTO events(message_id, seq, at, state, detail) VALUES (?, ?, ?, ?, ?)", events
        )
        await conn.execute("COMMIT")
    await conn.execute("ANALYZE")
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _plain_claim(conn: aiosqlite.Connection) -> Any:
    """The statements of claim_next on the plain table, in one transaction."""
    now = _iso(dt.datetime.now(dt.UTC))
    until = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    await conn.execute("BEGIN IMMEDIATE")
    async with conn.execute(
        "SELECT id, state FROM messages WHERE claimed_by IS NOT NULL AND lease_until < ?", (now,)
    ) as cur:
        await cur.fetchall()
    marks = ",".join("?" * len(READS))
    async with conn.execute(
        f"SELECT id FROM messages WHERE state = 'submitted' AND lang IN ({marks})"
        " ORDER BY CASE WHEN due_at < ? THEN 0 ELSE 1 END, submitted_at LIMIT 1",
        (*READS, now),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None  # the bench seeded submitted messages in every language
    await conn.execute(
        "UPDATE messages SET state = 'in_review', claimed_by = 'r', lease_until = ? WHERE id = ?",
        (until, row[0]),
    )
    await conn.execute(
        "INSERT INTO events(message_id, seq, at, state, detail) VALUES (?, 3, ?, 'in_review',"
        " '{}')",
        (row[0], now),
    )
    async with conn.execute("SELECT * FROM messages WHERE id = ?", (row[0],)) as cur:
        full = await cur.fetchone()
    assert full is not None
    await conn.execute("COMMIT")
    return json.loads(full[12])  # the body, in clear


async def _plain_list(conn: aiosqlite.Connection, family: str) -> int:
    async with conn.execute(
        "SELECT * FROM messages WHERE family_id = ? ORDER BY created_at DESC LIMIT 10", (family,)
    ) as cur:
        rows = list(await cur.fetchall())
    for row in rows:
        async with conn.execute(
            "SELECT at, state, detail FROM events WHERE message_id = ? ORDER BY seq", (row[0],)
        ) as cur:
            await cur.fetchall()
    return len(rows)


async def _plain_export(conn: aiosqlite.Connection, site: str) -> int:
    async with conn.execute(EXPORT_SQL, (site,)) as cur:
        return len(list(await cur.fetchall()))


async def _store_export(store: Store, site: str) -> int:
    async with store.tx() as tx:
        return len(await tx.all(EXPORT_SQL, (site,)))


async def _timed(fn: Any, samples: int) -> dict[str, float]:
    times = []
    for i in range(samples):
        started = time.perf_counter()
        await fn(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
        "samples": samples,
    }


def _ratio(ours: dict[str, float], base: dict[str, float]) -> float:
    return round(ours["p99_ms"] / base["p99_ms"], 2) if base["p99_ms"] else 0.0


async def _measure_store(
    store: Store, families: list[str], samples: int, rnd: random.Random
) -> tuple[dict[str, Any], int, int, int, list[str]]:
    async def claim(_: int) -> None:
        item = await review.claim_next(store, reviewer_id="p_reviewer", lease_s=600)
        assert item is not None

    async def status(_: int) -> None:
        await messages.list_for(store, rnd.choice(families))

    async def export(i: int) -> None:
        await _store_export(store, SITES[i % len(SITES)])

    async with store.tx() as tx:
        marks = ",".join("?" * len(READS))
        row = await tx.one(
            f"SELECT COUNT(*) AS n FROM messages WHERE state = 'submitted' AND lang IN ({marks})",
            READS,
        )
    readable = int(row["n"]) if row else 0
    claims = max(1, min(samples, readable // 2))  # never empty the queue while timing it
    ours = {
        "claim_next": await _timed(claim, claims),
        "list_for": await _timed(status, samples),
        "export_select": await _timed(export, max(8, samples // 10)),
    }
    approved_per_site = await _store_export(store, SITES[0])
    schema = await _schema_of(store) if store.kind == "sqlite" else []
    return ours, claims, readable, approved_per_site, schema


async def _measure_plain(
    conn: aiosqlite.Connection,
    families: list[str],
    samples: int,
    claims: int,
    rnd: random.Random,
) -> dict[str, Any]:

    async def pclaim(_: int) -> None:
        await _plain_claim(conn)

    async def pstatus(_: int) -> None:
        await _plain_list(conn, rnd.choice(families))

    async def pexport(i: int) -> None:
        await _plain_export(conn, SITES[i % len(SITES)])

    return {
        "claim_next": await _timed(pclaim, claims),
        "list_for": await _timed(pstatus, samples),
        "export_select": await _timed(pexport, max(8, samples // 10)),
    }


async def run(n: int, samples: int, workdir: Path) -> dict[str, Any]:
    """Generate, measure, and return the figures."""
    t0 = time.perf_counter()
    plan = _plan(n)
    keys = KeyRing.load_or_create(workdir / "keys" / "master.key")
    families = sorted({m["family"] for m in plan})
    rnd = random.Random(5)
    store = await Store.open(workdir / "rcm.sqlite3", keys)
    try:
        await _fill_store(store, plan)
        gen_s = time.perf_counter() - t0
        log.info("store generated: %d messages in %.1f s", n, gen_s)
        ours, claims, readable, approved_per_site, schema = await _measure_store(
            store, families, samples, rnd
        )
        await store.checkpoint()
    finally:
        await store.close()

    db_bytes = (workdir / "rcm.sqlite3").stat().st_size
    vault_bytes = keys.path.with_name("vault.sqlite3").stat().st_size

    plain_path = workdir / "plain.sqlite3"
    conn = await aiosqlite.connect(plain_path, isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=FULL")
    try:
        await _fill_plain(conn, schema, plan)
        base = await _measure_plain(conn, families, samples, claims, rnd)
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await conn.close()
    plain_bytes = plain_path.stat().st_size
    return {
        "name": "store",
        "messages": n,
        "families": len(families),
        "generate_s": round(gen_s, 1),
        "bytes_per_message": round(db_bytes / n, 1),
        "vault_bytes_per_message": round(vault_bytes / n, 1),  # family and message keys
        "approved_per_site": approved_per_site,
        "readable_in_queue": readable,
        **ours,
        "baseline": {
            "what": "same statements, plain table of the same shape and indexes,"
            " text in clear, no sealing",
            "bytes_per_message": round(plain_bytes / n, 1),
            **base,
        },
        "ratio": {k: _ratio(ours[k], base[k]) for k in ours},
        "ratio_is": "ours p99 / baseline p99 (lower is better)",
        "target": {"claim_next_p99_ms": 5.0},
    }


async def run_postgres(n: int, samples: int, workdir: Path) -> dict[str, Any]:
    """The same data and calls on PostgreSQL (a throwaway cluster started for the run)."""
    from tests.pgcluster import start_cluster

    cluster = start_cluster()
    try:
        url, vault_url = cluster.create_database("bench")
        plan = _plan(n)
        keys = KeyRing.load_or_create(workdir / "pgkeys" / "master.key")
        families = sorted({m["family"] for m in plan})
        store = await Store.open(workdir / "unused.sqlite3", keys, url=url, vault_url=vault_url)
        try:
            t0 = time.perf_counter()
            await _fill_store(store, plan)
            gen_s = time.perf_counter() - t0
            ours, *_ = await _measure_store(store, families, samples, random.Random(5))
        finally:
            await store.close()
    finally:
        cluster.stop()
    return {
        "what": "the same store, data and calls on PostgreSQL (local cluster, fsync off)",
        "generate_s": round(gen_s, 1),
        **ours,
    }


def main(argv: list[str] | None = None) -> None:
    """Measure and print the JSON figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="20,000 messages instead of 1,000,000")
    ap.add_argument("--messages", type=int, default=None, help="number of messages")
    ap.add_argument("--samples", type=int, default=None, help="calls timed per query")
    ap.add_argument(
        "--postgres",
        action="store_true",
        help="also measure on a throwaway PostgreSQL cluster (Debian's binaries)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    n = args.messages or (20_000 if args.quick else 1_000_000)
    samples = args.samples or (200 if args.quick else 500)
    with tempfile.TemporaryDirectory(prefix="rcm-bench-store-") as tmp:
        result = asyncio.run(run(n, samples, Path(tmp)))
        if args.postgres:
            result["postgresql"] = asyncio.run(run_postgres(n, samples, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
