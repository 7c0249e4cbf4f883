"""Conversation state of a person (the message being composed), sealed and durable.

Kept in the database rather than in memory so that a restart in the middle of composing
loses nothing the user already typed.
"""

from __future__ import annotations

from typing import Any

from relay.store import Store


async def load(store: Store, person_id: str) -> dict[str, Any]:
    """Return the person's draft state ({} when none)."""
    async with store.tx() as tx:
        row = await tx.one("SELECT data_enc FROM drafts WHERE person_id = ?", (person_id,))
        if row is None:
            return {}
        data = await tx.open_json_for(person_id, "drafts", "data", person_id, row["data_enc"])
        return dict(data)


async def save(store: Store, person_id: str, data: dict[str, Any]) -> None:
    """Replace the person's draft state."""
    async with store.tx() as tx:
        blob = await tx.seal_for(person_id, "drafts", "data", person_id, data)
        await tx.execute(
            "INSERT INTO drafts(person_id, data_enc, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(person_id) DO UPDATE SET data_enc = excluded.data_enc,"
            " updated_at = excluded.updated_at",
            (person_id, blob, tx.now()),
        )


async def clear(store: Store, person_id: str) -> None:
    """Forget the person's draft state."""
    async with store.tx() as tx:
        await tx.execute("DELETE FROM drafts WHERE person_id = ?", (person_id,))
