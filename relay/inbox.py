"""Durable inbox of Telegram updates.

python-telegram-bot confirms updates to Telegram before any handler has run, so an update
must be on disk before the next getUpdates call confirms it: the raw update and the new
offset are written in one transaction, processed, then marked done (and their payload
dropped). At start, whatever is not done is replayed.
"""

from __future__ import annotations

import datetime as dt

from relay.clock import iso
from relay.store import Store


async def offset(store: Store) -> int:
    """Return the next update id to ask Telegram for."""
    async with store.tx() as tx:
        row = await tx.one("SELECT value FROM meta WHERE key = 'tg_offset'")
    return int(row["value"]) if row else 0


async def store_updates(store: Store, updates: list[tuple[int, bytes]]) -> list[int]:
    """Persist raw updates and the next offset at once; return the ids that were new."""
    if not updates:
        return []
    fresh: list[int] = []
    async with store.tx() as tx:
        for update_id, raw in updates:
            exists = await tx.one("SELECT 1 FROM inbox WHERE update_id = ?", (update_id,))
            if exists:
                continue  # Telegram resent one we already hold (offset not confirmed yet)
            blob = tx.seal_system("inbox", "payload", str(update_id), raw)
            await tx.execute(
                "INSERT INTO inbox(update_id, payload_enc, received_at, lease_until)"
                " VALUES (?, ?, ?, ?)",
                (update_id, blob, tx.now(), _lease(tx.clock.now(), store.lease_s)),
            )
            fresh.append(update_id)
        next_offset = max(u for u, _ in updates) + 1
        await tx.execute(
            "INSERT INTO meta(key, value) VALUES ('tg_offset', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            " WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
            (str(next_offset),),
        )
    return fresh


async def pending(store: Store) -> list[tuple[int, bytes]]:
    """Return the updates received but not yet handled, in order."""
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT update_id, payload_enc FROM inbox WHERE state = 'pending' ORDER BY update_id"
        )
        return [
            (
                r["update_id"],
                tx.open_system("inbox", "payload", str(r["update_id"]), r["payload_enc"]),
            )
            for r in rows
        ]


def _lease(now: dt.datetime, lease_s: float) -> str:
    # How long a worker owns an update it received (Store.lease_s); if it dies, another
    # worker handles the update once this has passed (PostgreSQL, several workers).
    return iso(now + dt.timedelta(seconds=lease_s))


async def claim_stale(store: Store, limit: int = 100) -> list[tuple[int, bytes]]:
    """Take over pending updates whose lease ended (their worker died); renew the lease."""
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT update_id, payload_enc FROM inbox WHERE state = 'pending'"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY update_id LIMIT ?"
            " FOR UPDATE SKIP LOCKED",
            (tx.now(), limit),
        )
        lease = _lease(tx.clock.now(), store.lease_s)
        out: list[tuple[int, bytes]] = []
        for r in rows:
            await tx.execute(
                "UPDATE inbox SET lease_until = ? WHERE update_id = ?", (lease, r["update_id"])
            )
            out.append(
                (
                    r["update_id"],
                    tx.open_system("inbox", "payload", str(r["update_id"]), r["payload_enc"]),
                )
            )
        return out


async def load(store: Store, update_id: int) -> bytes | None:
    """Return the raw update if it is still pending."""
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT payload_enc FROM inbox WHERE update_id = ? AND state = 'pending'",
            (update_id,),
        )
        if row is None:
            return None
        return tx.open_system("inbox", "payload", str(update_id), row["payload_enc"])


async def mark_done(store: Store, update_id: int) -> None:
    """Mark an update handled and drop its content."""
    async with store.tx() as tx:
        await tx.execute(
            "UPDATE inbox SET state = 'done', payload_enc = NULL WHERE update_id = ?",
            (update_id,),
        )


async def prune(store: Store, keep: int = 1000) -> int:
    """Forget handled updates beyond the latest ``keep`` ids."""
    async with store.tx() as tx:
        return await tx.execute(
            "DELETE FROM inbox WHERE state = 'done' AND update_id <"
            " (SELECT COALESCE(MAX(update_id), 0) - ? FROM inbox)",
            (keep,),
        )
