"""A crash between the data's commit and the vault's leaves a message without its key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from relay import messages, recovery
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.store import Store
from tests.conftest import Database
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]


async def _reopen(db_path: Path, keyring: KeyRing, clock: FakeClock, db: Database) -> Store:
    return await Store.open(db_path, keyring, clock=clock, url=db.url, vault_url=db.vault_url)


async def _facts(store: Store) -> tuple[list[str], list[str]]:
    async with store.tx() as tx:
        ids = [str(r["id"]) for r in await tx.all("SELECT id FROM messages ORDER BY id")]
        logged = await tx.all(
            "SELECT object FROM audit WHERE action = 'message.torn_commit' ORDER BY seq"
        )
    return ids, [str(r["object"]) for r in logged]


async def test_a_message_whose_key_never_reached_the_vault_is_dropped_at_start(
    store: Store,
    db_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    database: Database,
    make_family: MakeFamily,
    send: Send,
) -> None:
    # Given two messages, the second torn: its row committed, its key not (a killed commit)
    family = await make_family()
    kept = await send(family, "We are all well.")
    torn = await send(family, "The harvest was good.")
    async with store.tx() as tx:
        await tx.execute("DELETE FROM vault.family_keys WHERE owner_id = ?", (torn.message_id,))
    # When a plain open (a backup, a command) reads it, nothing changes
    plain = await _reopen(db_path, keyring, clock, database)
    await plain.close()
    assert await _facts(store) == (sorted([kept.message_id, torn.message_id]), [])
    # When the bot starts and repairs
    assert await recovery.drop_torn_messages(store) == [torn.message_id]
    # Then the torn message is gone, the other is intact, and the audit says why
    assert await _facts(store) == ([kept.message_id], [torn.message_id])
    # And a further start finds nothing left to repair
    assert await recovery.drop_torn_messages(store) == []
    assert await _facts(store) == ([kept.message_id], [torn.message_id])
