"""A task cancelled inside a transaction leaves the store usable by the next one.

The outbox dispatcher and the update feed are cancelled when the bot stops; CI once caught
a stop that landed while ``BEGIN`` was on its way, which left the connection in a
transaction that nobody would end: every later write failed ("cannot start a transaction
within a transaction").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from relay.store import Store


async def _meta(store: Store, key: str) -> str | None:
    async with store.tx() as tx:
        row = await tx.one("SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row[0])


async def _write(store: Store, key: str) -> None:
    async with store.tx() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES (?, 'v')", (key,))


def _then_cancelled(step: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """``step`` reaches the database, but its caller is cancelled before it hears back."""

    async def cancelled() -> None:
        await step()
        raise asyncio.CancelledError

    return cancelled


async def test_a_begin_whose_caller_was_cancelled_is_rolled_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a BEGIN that reached the database while its task was being cancelled
    monkeypatch.setattr(store.db, "begin", _then_cancelled(store.db.begin))
    with pytest.raises(asyncio.CancelledError):
        await _write(store, "never")
    monkeypatch.undo()
    # Then the next transaction starts, writes and commits
    await _write(store, "after")
    assert await _meta(store, "after") == "v"
    assert await _meta(store, "never") is None


async def test_a_commit_whose_caller_was_cancelled_leaves_no_transaction_open(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a COMMIT that reached the database while its task was being cancelled
    monkeypatch.setattr(store.db, "commit", _then_cancelled(store.db.commit))
    with pytest.raises(asyncio.CancelledError):
        await _write(store, "first")
    monkeypatch.undo()
    # Then what it committed is there and the next transaction runs
    await _write(store, "second")
    assert await _meta(store, "first") == "v"
    assert await _meta(store, "second") == "v"


async def test_tasks_cancelled_at_every_point_of_a_transaction_leave_the_store_usable(
    store: Store,
) -> None:
    # Given writers cancelled after 0, 1, 2, ... turns of the event loop: between them
    # they are cancelled before, during and after each statement of their transaction
    for turns in range(40):
        writer = asyncio.create_task(_write(store, f"k{turns}"))
        for _ in range(turns):
            await asyncio.sleep(0)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        # Then the next transaction always runs, and each write is there or not as a whole
        await _write(store, f"after{turns}")
        assert await _meta(store, f"after{turns}") == "v"


async def _read(store: Store, key: str) -> None:
    async with store.read() as tx:
        await tx.one("SELECT value FROM meta WHERE key = ?", (key,))
        await tx.one("SELECT COUNT(*) FROM vault.family_keys")


async def test_readers_cancelled_at_every_point_leave_reads_and_writes_usable(
    store: Store,
) -> None:
    # Given readers cancelled after 0, 1, 2, ... turns of the event loop
    for turns in range(30):
        reader = asyncio.create_task(_read(store, "k"))
        for _ in range(turns):
            await asyncio.sleep(0)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        # Then a write commits (no read was left holding the vault) and a read sees it
        await _write(store, f"r{turns}")
        assert await _meta(store, f"r{turns}") == "v"


async def test_a_commit_that_fails_is_rolled_back_and_the_store_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a COMMIT the database refuses (SQLite: "database is locked" after the busy
    # timeout), which leaves the transaction open
    async def refused() -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store.db, "commit", refused)
    with pytest.raises(RuntimeError, match="locked"):
        await _write(store, "lost")
    monkeypatch.undo()
    # Then what it wrote is gone, and the next transaction starts and commits
    await _write(store, "kept")
    assert await _meta(store, "kept") == "v"
    assert await _meta(store, "lost") is None
