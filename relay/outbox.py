"""Durable notifications: written in the same transaction as the change they announce.

A row is ``pending`` until a dispatcher claims it (``sending``), then ``sent`` once its channel
accepted it. After a crash, rows still ``sending`` were in flight and are sent again: a
duplicate is possible only for those. Payloads are sealed under the recipient's data key and
name what happened (kind, state, reason codes), not words: the dispatcher renders them in
the recipient's language at send time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from relay import notices
from relay.channels import ADDRESS_FIELD
from relay.clock import iso
from relay.notices import Notice
from relay.store import Store, Tx

log = logging.getLogger(__name__)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"  # the address is unreachable (blocked the bot) or the request can never pass


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    person_id: str
    notice: Notice
    attempts: int
    address: str | None  # opaque, as the front end gave it (people.record_consent)
    lang: str


async def enqueue(tx: Tx, person_id: str, notice: Notice) -> int:
    """Queue a notification for ``person_id`` inside the caller's transaction."""
    now = tx.now()
    row = await tx.one(
        "INSERT INTO outbox(person_id, payload_enc, not_before, created_at) VALUES (?, x'', ?, ?)"
        " RETURNING id",
        (person_id, now, now),
    )
    assert row is not None
    outbox_id = int(row["id"])
    payload = notices.encode(notice)
    blob = await tx.seal_for(person_id, "outbox", "payload", str(outbox_id), payload)
    await tx.execute("UPDATE outbox SET payload_enc = ? WHERE id = ?", (blob, outbox_id))
    return outbox_id


async def recover_in_flight(store: Store, *, alone: bool = True) -> int:
    """After a restart, put rows that were being sent back in the queue; return how many.

    A process ``alone`` on its outbox (SQLite: ``rcm run`` holds the data folder; long
    polling) knows every row in flight was its own. Webhook workers on PostgreSQL may be
    sending theirs: only rows whose lease ended go back (``claim_due`` also takes those, so
    a dead worker's rows never wait for a restart).
    """
    async with store.tx() as tx:
        if alone:
            return await tx.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return await tx.execute(
            "UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND lease_until < ?",
            (tx.now(),),
        )


async def claim_due(store: Store, limit: int = 50, *, take_over: bool = False) -> list[OutboxItem]:
    """Mark up to ``limit`` due rows as being sent and return them, oldest first.

    ``take_over``: also rows another worker claimed and did not finish within its lease.
    A row whose payload is no notice this version knows is marked dead, logged by id, and
    not returned: retrying it could never succeed.
    """
    items: list[OutboxItem] = []
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT o.id, o.person_id, o.payload_enc, o.attempts, p.address_enc, p.lang"
            " FROM outbox o JOIN people p ON p.id = o.person_id"
            " WHERE (o.state = 'pending' AND o.not_before <= ?)"
            " OR (o.state = 'sending' AND o.lease_until < ?) ORDER BY o.id LIMIT ?"
            # Several workers: each takes rows no other has locked (SQLite drops this).
            " FOR UPDATE OF o SKIP LOCKED",
            # A process alone takes back its own rows only at restart (recover_in_flight).
            (tx.now(), tx.now() if take_over else "", limit),
        )
        # How long this worker owns the rows; if it dies, another takes them after this.
        lease = iso(tx.clock.now() + dt.timedelta(seconds=store.lease_s))
        for row in rows:
            payload = await tx.open_json_for(
                row["person_id"], "outbox", "payload", str(row["id"]), row["payload_enc"]
            )
            try:
                notice = notices.decode(payload)
            except notices.NoticeError as exc:
                log.warning("outbox %d: undecodable notice (%s); dropped", row["id"], exc)
                await tx.execute("UPDATE outbox SET state = 'dead' WHERE id = ?", (row["id"],))
                continue
            address: str | None = None
            if row["address_enc"] is not None:
                raw = await tx.open_for(
                    row["person_id"], "people", ADDRESS_FIELD, row["person_id"], row["address_enc"]
                )
                address = raw.decode()
            await tx.execute(
                "UPDATE outbox SET state = 'sending', lease_until = ? WHERE id = ?",
                (lease, row["id"]),
            )
            items.append(
                OutboxItem(
                    row["id"], row["person_id"], notice, row["attempts"], address, row["lang"]
                )
            )
    return items


async def mark_sent(store: Store, outbox_id: int, channel_message_id: int | None) -> None:
    async with store.tx() as tx:
        await tx.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, channel_message_id = ?,"
            " payload_enc = x'' WHERE id = ?",
            (tx.now(), channel_message_id, outbox_id),
        )


async def retry_later(store: Store, outbox_id: int, delay_s: float) -> None:
    """Give a row back to the queue, not before ``delay_s`` from now."""
    async with store.tx() as tx:
        when = iso(tx.clock.now() + dt.timedelta(seconds=delay_s))
        await tx.execute(
            "UPDATE outbox SET state = 'pending', attempts = attempts + 1, not_before = ?"
            " WHERE id = ?",
            (when, outbox_id),
        )


async def give_up(store: Store, outbox_id: int, *, unreachable_person: str | None) -> None:
    """Stop trying a row; mark its person unreachable when the channel said so."""
    async with store.tx() as tx:
        await tx.execute("UPDATE outbox SET state = 'dead' WHERE id = ?", (outbox_id,))
        if unreachable_person is not None:
            await tx.execute(
                "UPDATE people SET unreachable = 1 WHERE id = ?", (unreachable_person,)
            )


async def counts(store: Store) -> dict[str, int]:
    """Return the number of rows per state."""
    async with store.read() as tx:
        rows = await tx.all("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
    return {row["state"]: int(row["n"]) for row in rows}
