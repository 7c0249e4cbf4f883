"""Read transactions (``store.read()``): no write lock, a snapshot, writes refused (issue 11)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import asyncpg
import pytest

from bot.transport import address_of
from relay import addressees, messages, people
from relay.errors import ReadOnly
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]
# Only a guard against a hang: a read that waited for the writer would never finish, since
# the writer lets go only after the read.
HANG_S = 60


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(HANG_S):
        # What another task does half-way through a transaction: no event to wait on.
        while not condition():  # noqa: ASYNC110 - polled: the store signals nothing there
            await asyncio.sleep(0.001)


class _HeldWrite:
    """A write transaction held open by another task until released."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.store.tx() as tx:
            # Written and not committed: a row, and a key in the vault.
            await tx.execute("INSERT INTO meta(key, value) VALUES ('held', 'yes')")
            await tx.create_family_key("p_held")
            self.inside.set()
            await self.release.wait()

    async def __aenter__(self) -> _HeldWrite:
        self.task = asyncio.create_task(self._run())
        await self.inside.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        self.release.set()
        assert self.task is not None
        await self.task


async def test_a_read_completes_while_a_write_transaction_is_held(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    # Given a family with a message, and a write transaction (rows and a vault key) held open
    family = await make_family()
    await send(family, "We are all well.")
    store.key_cache.clear()  # the read needs the vault, not the cache
    async with _HeldWrite(store) as writing:
        # When the family's person and addressees are read meanwhile
        async with asyncio.timeout(HANG_S):
            person = await people.find(store, address_of(family.telegram_id))
            names = [a.full_name for a in await addressees.addressees(store, family.person_id)]
            async with store.read() as tx:
                held = await tx.one("SELECT value FROM meta WHERE key = 'held'")
        # Then they are read, sealed fields opened, with the write still open and unseen
        assert writing.task is not None
        assert not writing.task.done()
        assert person is not None
        assert person.id == family.person_id
        assert names == ["Karim Haddad"]
        assert held is None
    # And once it commits, a new read sees it
    async with store.read() as tx:
        row = await tx.one("SELECT value FROM meta WHERE key = 'held'")
    assert row is not None
    assert row["value"] == "yes"


async def test_a_read_keeps_its_snapshot_while_a_write_commits(store: Store) -> None:
    # Given a read that has begun
    async with store.read() as tx:
        before = await tx.one("SELECT COUNT(*) AS n FROM meta")

        # When a write commits meanwhile (another task: one task never nests them)
        async def write() -> None:
            async with store.tx() as writing:
                await writing.execute("INSERT INTO meta(key, value) VALUES ('later', '1')")

        await asyncio.wait_for(asyncio.create_task(write()), HANG_S)
        # Then the read still sees the store as it began
        again = await tx.one("SELECT COUNT(*) AS n FROM meta")
        later = await tx.one("SELECT value FROM meta WHERE key = 'later'")
    assert before is not None
    assert again is not None
    assert again["n"] == before["n"]
    assert later is None
    async with store.read() as tx:
        now = await tx.one("SELECT COUNT(*) AS n FROM meta")
    assert now is not None
    assert now["n"] == before["n"] + 1


async def test_a_write_inside_a_read_is_refused_and_changes_nothing(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    family = await make_family()
    sent = await send(family)
    async with store.read() as tx:
        # Refused by the transaction: statements, and what would write (a key, a version)
        with pytest.raises(ReadOnly, match="INSERT"):
            await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
        with pytest.raises(ReadOnly, match="INSERT"):
            await tx.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [("k", "v")])
        with pytest.raises(ReadOnly):
            await tx.create_family_key("p_new")
        with pytest.raises(ReadOnly):
            await tx.seal_for(family.person_id, "messages", "body", sent.message_id, "x")
        # And by the database, for a write that looks like a query
        with pytest.raises((sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)):
            await tx.all("INSERT INTO meta(key, value) VALUES ('k', 'v') RETURNING key")
    async with store.read() as tx:
        assert await tx.one("SELECT 1 FROM meta WHERE key = 'k'") is None
        assert await tx.one("SELECT 1 FROM vault.family_keys WHERE owner_id = 'p_new'") is None
    # The message still opens at its version (the refused seal moved nothing on)
    views = await messages.list_for(store, family.person_id)
    assert [v.reference for v in views] == [sent.reference]


async def _nested(
    outer: Callable[[], AbstractAsyncContextManager[object]],
    inner: Callable[[], AbstractAsyncContextManager[object]],
) -> None:
    async with outer(), inner():
        pass


async def test_transactions_of_one_store_do_not_nest(store: Store) -> None:
    # A reader would not see the writer's rows; a writer inside a reader could wait forever.
    with pytest.raises(RuntimeError, match=r"store\.tx\(\) inside another transaction"):
        await _nested(store.read, store.tx)
    with pytest.raises(RuntimeError, match=r"store\.read\(\) inside another transaction"):
        await _nested(store.tx, store.read)
    with pytest.raises(RuntimeError, match=r"store\.read\(\) inside another transaction"):
        await _nested(store.read, store.read)
    # Nothing was left held: both kinds still run
    async with store.tx() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES ('after', '1')")
    async with store.read() as tx:
        row = await tx.one("SELECT value FROM meta WHERE key = 'after'")
    assert row is not None
    assert row["value"] == "1"


async def test_a_task_started_inside_a_transaction_runs_its_own(store: Store) -> None:
    # A task inherits its parent's context, not its transaction: it waits its turn.
    async def own() -> str:
        async with store.tx() as tx:
            await tx.execute("INSERT INTO meta(key, value) VALUES ('child', 'done')")
        return "done"

    async with store.tx() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES ('parent', 'done')")
        child = asyncio.create_task(own())
    assert await child == "done"
    async with store.read() as tx:
        rows = await tx.all("SELECT key FROM meta WHERE value = 'done' ORDER BY key")
    assert [r["key"] for r in rows] == ["child", "parent"]


async def test_a_reader_does_not_bring_back_a_key_erased_meanwhile(
    store: Store, make_family: MakeFamily
) -> None:
    # Given a family whose key is cached, and a read that has begun
    family = await make_family()
    assert family.person_id in store.key_cache
    async with store.read() as tx:
        # (its snapshot holds the vault: SQLite's rollback journal lets no erasure commit
        # under a read of it, PostgreSQL's snapshot keeps what it saw)
        await tx.one("SELECT 1 FROM vault.family_keys WHERE owner_id = ?", (family.person_id,))
        # When another task erases the family: its key leaves the cache at once, and the
        # erasure commits (PostgreSQL) or waits for this read to end to commit (SQLite)
        erasing = asyncio.create_task(messages.forget(store, family.person_id))
        await _until(lambda: family.person_id not in store.key_cache)
        # And the read unwraps the key again, from its snapshot
        key = await tx.family_key(family.person_id)
    await asyncio.wait_for(erasing, HANG_S)
    # Then the read had the key, and the erased key is not in the cache afterwards
    assert len(key) == 32
    assert family.person_id not in store.key_cache
    assert await people.find(store, address_of(family.telegram_id)) is None


async def test_a_read_leaves_a_messages_fields_to_the_write_lock(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    # A message's fields are sealed at its version, which every write moves on in the
    # vault: a read whose snapshot of the rows straddled a write could not open them.
    family = await make_family()
    mid = (await send(family, "We are all well.")).message_id
    async with store.read() as tx:
        row = await tx.one("SELECT body_enc FROM messages WHERE id = ?", (mid,))
        assert row is not None
        with pytest.raises(ReadOnly, match=r"messages\.body opens in store\.tx\(\)"):
            await tx.open_for(family.person_id, "messages", "body", mid, row["body_enc"])
    # The services that show messages read them under the write lock
    views = await messages.list_for(store, family.person_id)
    assert [v.id for v in views] == [mid]


async def test_a_key_read_while_its_erasure_was_committing_leaves_the_cache_with_it(
    store: Store, make_family: MakeFamily
) -> None:
    # Given an erasure that has destroyed a family's key and not committed yet
    family = await make_family()
    erased, release = asyncio.Event(), asyncio.Event()

    async def erase() -> None:
        async with store.tx() as tx:
            await tx.destroy_family_key(family.person_id)
            erased.set()
            await release.wait()

    erasing = asyncio.create_task(erase())
    await asyncio.wait_for(erased.wait(), HANG_S)
    # When a read begun meanwhile reads the key (still committed, so there for it)
    async with store.read() as tx:
        key = await tx.family_key(family.person_id)
    # Then once the erasure commits, the key is not cached
    release.set()
    await asyncio.wait_for(erasing, HANG_S)
    assert len(key) == 32
    assert family.person_id not in store.key_cache
