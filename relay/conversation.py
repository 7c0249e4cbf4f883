"""Conversation state of a person, one sealed row per (person, feature), versioned.

A front end keeps what a person is in the middle of (a message being written, a reviewer's
work on a card, a reply waiting for its reference, an invitation to accept) here, so that a
restart loses nothing already typed. Each feature has its own row: finishing or starting
one never touches another's. The core stores opaque bytes; the front end owns their shape.

Every row carries a version. A save names the version it read; a save that finds another
(a second worker handled another request of the same person meanwhile) raises
``StaleState`` instead of silently overwriting what the other one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay.channels import Address
from relay.clock import iso
from relay.errors import StaleState
from relay.people import Person, find_in
from relay.store import Store, Tx

TABLE = "conversation_state"
_UPDATE = (
    f"UPDATE {TABLE} SET version = version + 1, data_enc = ?, updated_at = ?"  # noqa: S608 - the table name is ours
    " WHERE person_id = ? AND feature = ? AND version = ?"
)


@dataclass(frozen=True)
class Saved:
    """The sealed state of one feature, opened, and the version it was read at."""

    data: bytes
    version: int


def _row_id(person_id: str, feature: str) -> str:
    # The feature is part of what the seal is bound to: a row copied onto another feature
    # (or another person) does not open.
    return f"{person_id}/{feature}"


async def load(store: Store, person_id: str, feature: str) -> Saved | None:
    """Return the person's state for ``feature``, or None when there is none."""
    async with store.read() as tx:
        return await load_in(tx, person_id, feature)


async def find_with(
    store: Store, address: Address, feature: str
) -> tuple[Person | None, Saved | None]:
    """Return the person at a channel address and their state of ``feature``, in one read."""
    async with store.read() as tx:
        person = await find_in(tx, address)
        if person is None:
            return None, None
        return person, await load_in(tx, person.id, feature)


async def load_in(tx: Tx, person_id: str, feature: str) -> Saved | None:
    row = await tx.one(
        f"SELECT data_enc, version FROM {TABLE} WHERE person_id = ? AND feature = ?",  # noqa: S608 - the table name is ours
        (person_id, feature),
    )
    if row is None:
        return None
    data = await tx.open_for(
        person_id, TABLE, "data", _row_id(person_id, feature), row["data_enc"]
    )
    return Saved(data, int(row["version"]))


async def save(store: Store, person_id: str, feature: str, data: bytes, *, version: int) -> int:
    """Replace the state read at ``version`` (0: none yet); return the new version.

    Raises StaleState when the row is no longer at ``version``.
    """
    row_id = _row_id(person_id, feature)
    cached = store.seal_cached(person_id, TABLE, "data", row_id, data) if version else None
    if cached is not None:
        # The usual case, a step of a feature already saved: one statement, one trip (an
        # erased person's rows are gone, so it changes nothing and reads as stale).
        now = iso(store.clock.now())
        changed = await store.write_one(_UPDATE, (cached, now, person_id, feature, version))
    else:
        async with store.tx() as tx:
            blob = await tx.seal_for(person_id, TABLE, "data", row_id, data)
            if version == 0:
                changed = await tx.execute(
                    f"INSERT INTO {TABLE}(person_id, feature, version, data_enc, updated_at)"  # noqa: S608 - the table name is ours
                    " VALUES (?, ?, 1, ?, ?) ON CONFLICT(person_id, feature) DO NOTHING",
                    (person_id, feature, blob, tx.now()),
                )
            else:
                changed = await tx.execute(_UPDATE, (blob, tx.now(), person_id, feature, version))
    if changed != 1:
        raise StaleState(feature)
    return version + 1


async def clear(store: Store, person_id: str, feature: str, *, version: int) -> None:
    """Forget the state read at ``version`` (0: nothing to forget). Raises StaleState."""
    if version == 0:
        async with store.tx() as tx:
            await _check_absent(tx, person_id, feature)
        return
    async with store.tx() as tx:
        changed = await tx.execute(
            f"DELETE FROM {TABLE} WHERE person_id = ? AND feature = ? AND version = ?",  # noqa: S608 - the table name is ours
            (person_id, feature, version),
        )
        if changed != 1:
            raise StaleState(feature)


async def _check_absent(tx: Tx, person_id: str, feature: str) -> None:
    row = await tx.one(
        f"SELECT version FROM {TABLE} WHERE person_id = ? AND feature = ?",  # noqa: S608 - the table name is ours
        (person_id, feature),
    )
    if row is not None:
        raise StaleState(feature)
