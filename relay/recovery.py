"""Repair at start what a crash between the database's commit and the vault's can leave.

The database and the key vault are two files (two databases on PostgreSQL) committed one
after the other, the data first. A process killed between the two leaves the rows of its
last transaction without the keys that seal them: a new message whose key never reached
the vault can never be opened. Nobody was told about it (answers go out after the commit),
so it is dropped, with an audit entry, and the family's retry writes it anew. Only the most
recent messages are looked at: a torn commit is always the last one before a crash.

The bot runs it at start (``bot.app.open_services``), before replaying the inbox. It is not
run by ``Store.open``: a backup taken before an erasure holds messages whose keys were
destroyed on purpose, and opening it must change nothing.
"""

from __future__ import annotations

import logging

from relay import audit
from relay.store import Store

log = logging.getLogger("relay.recovery")

RECENT = 200  # far more than one transaction ever creates


async def drop_torn_messages(store: Store) -> list[str]:
    """Delete recent messages whose data key is not in the vault; return their ids."""
    async with store.tx() as tx:
        rows = await tx.all("SELECT id FROM messages ORDER BY created_at DESC LIMIT ?", (RECENT,))
        ids = [str(r["id"]) for r in rows]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        keyed = await tx.all(
            f"SELECT owner_id FROM vault.family_keys WHERE owner_id IN ({marks})",  # noqa: S608 - placeholders only
            ids,
        )
        torn = sorted(set(ids) - {str(r["owner_id"]) for r in keyed})
        for message_id in torn:
            await tx.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            await audit.append(
                tx,
                actor="system",
                action="message.torn_commit",
                obj=message_id,
                detail={"reason": "no data key after a crash"},
            )
    if torn:
        log.warning("dropped %d message(s) whose key never reached the vault", len(torn))
    return torn
