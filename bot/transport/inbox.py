"""Durable inbox of Telegram updates.

python-telegram-bot confirms updates to Telegram before any handler has run, so an update
must be on disk before the next getUpdates call confirms it: the raw update and the new
offset are written in one transaction, processed, then marked done (and their payload
dropped). At start, whatever is not done is replayed.

The rows live in relay's ``inbox`` table (keyed by the update id), sealed by
``relay.inbox.seal_input``: a waiting update from someone the bot knows is under that
family's data key, so ``/forget`` makes it unreadable and drops it (``relay.inbox``); an
update from someone not known yet (a first /start) is under the system key. Nothing here
writes to the vault: an update costs one commit of the database, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from bot.transport import address_of
from relay.channels import channel_index
from relay.clock import iso
from relay.errors import CryptoError
from relay.inbox import open_input, seal_input
from relay.store import Store, Tx

log = logging.getLogger("bot.transport.inbox")


async def _open(tx: Tx, update_id: int, blob: bytes) -> bytes:
    return await open_input(tx, str(update_id), blob)


async def offset(store: Store) -> int:
    """Return the next update id to ask Telegram for."""
    async with store.tx() as tx:
        row = await tx.one("SELECT value FROM meta WHERE key = 'tg_offset'")
    return int(row["value"]) if row else 0


async def store_updates(
    store: Store, updates: list[tuple[int, bytes]], senders: Mapping[int, int] | None = None
) -> list[int]:
    """Persist raw updates and the next offset at once; return the ids that were new.

    ``senders`` maps an update id to the user id it came from, when it has one.
    """
    if not updates:
        return []
    fresh: list[int] = []
    async with store.tx() as tx:
        for update_id, raw in updates:
            who = (senders or {}).get(update_id)
            sender = channel_index(tx.keys, address_of(who)) if who else None
            blob = await seal_input(tx, str(update_id), raw, sender)
            added = await tx.execute(
                "INSERT INTO inbox(id, payload_enc, received_at, sender_index,"
                " lease_until) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                (update_id, blob, tx.now(), sender, _lease(tx.clock.now(), store.lease_s)),
            )
            if added:  # else Telegram resent one we already hold (offset not confirmed yet)
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
            "SELECT id AS update_id, payload_enc FROM inbox WHERE state = 'pending' ORDER BY id"
        )
        out: list[tuple[int, bytes]] = []
        for r in rows:
            raw = await _open_or_drop(tx, r["update_id"], r["payload_enc"])
            if raw is not None:
                out.append((r["update_id"], raw))
        return out


async def _open_or_drop(tx: Tx, update_id: int, blob: bytes) -> bytes | None:
    """Open a waiting update; drop it when its key is gone (its family erased meanwhile)."""
    try:
        return await _open(tx, update_id, blob)
    except CryptoError:
        log.warning("update %d cannot be opened; dropped", update_id)
        await _drop(tx, update_id)
        return None


def _lease(now: dt.datetime, lease_s: float) -> str:
    # How long a worker owns an update it received (Store.lease_s); if it dies, another
    # worker handles the update once this has passed (PostgreSQL, several workers).
    return iso(now + dt.timedelta(seconds=lease_s))


async def claim_stale(store: Store, limit: int = 100) -> list[tuple[int, bytes]]:
    """Take over pending updates whose lease ended (their worker died); renew the lease."""
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT id AS update_id, payload_enc, sender_index FROM inbox WHERE state = 'pending'"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?"
            " FOR UPDATE SKIP LOCKED",
            (tx.now(), limit),
        )
        lease = _lease(tx.clock.now(), store.lease_s)
        out: list[tuple[int, bytes]] = []
        for r in rows:
            if await _superseded(tx, r["update_id"], r["sender_index"]):
                # Its sender went on meanwhile, answered by another worker: handled now, this
                # step would land on top of the later ones (a draft's text rolled back).
                log.info(
                    "update %d superseded by a later one of its sender; dropped", r["update_id"]
                )
                await _drop(tx, r["update_id"])
                continue
            await tx.execute(
                "UPDATE inbox SET lease_until = ? WHERE id = ?", (lease, r["update_id"])
            )
            raw = await _open_or_drop(tx, r["update_id"], r["payload_enc"])
            if raw is not None:
                out.append((r["update_id"], raw))
        return out


async def _superseded(tx: Tx, update_id: int, sender: bytes | None) -> bool:
    """Whether a later update of the same sender was handled, or is being handled now."""
    if sender is None:
        return False
    later = await tx.one(
        "SELECT 1 FROM inbox WHERE sender_index = ? AND id > ?"
        " AND (state = 'done' OR lease_until >= ?) LIMIT 1",
        (sender, update_id, tx.now()),
    )
    return later is not None


async def load(store: Store, update_id: int) -> bytes | None:
    """Return the raw update if it is still pending."""
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT payload_enc FROM inbox WHERE id = ? AND state = 'pending'",
            (update_id,),
        )
        if row is None:
            return None
        return await _open(tx, update_id, row["payload_enc"])


_DONE = "UPDATE inbox SET state = 'done', payload_enc = NULL WHERE id = ?"


async def mark_done(store: Store, update_id: int) -> None:
    """Mark an update handled and drop its content (one statement: one trip)."""
    await store.write_one(_DONE, (update_id,))


async def _drop(tx: Tx, update_id: int) -> None:
    await tx.execute(_DONE, (update_id,))


async def prune(store: Store, keep: int = 1000) -> int:
    """Forget handled updates beyond the latest ``keep`` ids."""
    async with store.tx() as tx:
        return await tx.execute(
            "DELETE FROM inbox WHERE state = 'done' AND id <"
            " (SELECT COALESCE(MAX(id), 0) - ? FROM inbox)",
            (keep,),
        )
