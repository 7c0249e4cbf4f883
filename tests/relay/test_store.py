"""The store: pragmas, migrations from an older file, backups."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from bot.transport import address_of
from relay import people
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.migrations import MIGRATIONS
from relay.store import Store, _statements
from tests.relay.conftest import Family


async def _pragma(store: Store, name: str) -> object:
    async with store.tx() as tx:
        row = await tx.one(f"PRAGMA {name}")
    assert row is not None
    return row[0]


@pytest.mark.sqlite_only
async def test_pragmas(store: Store) -> None:
    assert await _pragma(store, "journal_mode") == "wal"
    assert await _pragma(store, "foreign_keys") == 1
    assert await _pragma(store, "user_version") == len(MIGRATIONS)
    assert await _pragma(store, "secure_delete") == 1
    assert await _pragma(store, "vault.journal_mode") == "delete"


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises((sqlite3.IntegrityError, asyncpg.ForeignKeyViolationError)) as refused:
        async with store.tx() as tx:
            await tx.execute(
                "INSERT INTO addressees(id, family_id, data_enc, site_code, created_at)"
                " VALUES ('a_x', 'p_nobody', x'00', 'ALP', 'now')"
            )
    assert "foreign key" in str(refused.value).lower()
    async with store.tx() as tx:
        row = await tx.one("SELECT COUNT(*) FROM addressees")
    assert row is not None
    assert row[0] == 0


async def test_failed_transaction_rolls_back(store: Store) -> None:
    async def fail_half_way() -> None:
        async with store.tx() as tx:
            await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_half_way()
    async with store.tx() as tx:
        assert await tx.one("SELECT value FROM meta WHERE key = 'k'") is None


async def test_database_of_version_1_is_upgraded_keeping_its_data(
    db_path: Path, keyring: KeyRing, clock: FakeClock
) -> None:
    # Given a file made by the first release: migration 1 only, one person in it
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA journal_mode=WAL")
    for statement in _statements(MIGRATIONS[0]):
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO people(id, tg_index, lang, created_at) VALUES ('p_old', ?, 'ar', 'then')",
        (keyring.blind_index("tg-user", "42"),),
    )
    raw.commit()
    tables_v1 = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    raw.close()
    assert "invitations" not in tables_v1
    # When the current code opens it
    store = await Store.open(db_path, keyring, clock=clock)
    try:
        # Then it is at the latest version, has the new tables, and the person is still there
        assert await _pragma(store, "user_version") == len(MIGRATIONS)
        async with store.tx() as tx:
            tables = {
                r[0] for r in await tx.all("SELECT name FROM sqlite_master WHERE type='table'")
            }
        assert {"invitations", "links", "counters", "claims"} <= tables
        found = await people.find(store, address_of(42))
        assert found is not None
        assert (found.id, found.lang, found.consented) == ("p_old", "ar", False)
        # And migrating again is a no-op
        assert await store.migrate() == len(MIGRATIONS)
    finally:
        await store.close()


async def test_migrate_up_to_a_target_then_the_rest(tmp_path: Path, keyring: KeyRing) -> None:
    raw = sqlite3.connect(tmp_path / "v1.sqlite3")
    raw.close()
    store = await Store.open(tmp_path / "v1.sqlite3", keyring)
    try:
        assert await store.migrate(target=1) == len(MIGRATIONS)  # never goes back
    finally:
        await store.close()


@pytest.mark.sqlite_only
async def test_backup_opens_with_the_same_rows(
    store: Store,
    tmp_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[object]],
) -> None:
    family = await make_family()
    await send(family, "Kept in the backup.")
    backup_path = tmp_path / "backups" / "rcm-backup.sqlite3"
    await store.backup(backup_path)
    tables = ["people", "addressees", "messages", "events", "outbox", "audit", "counters"]

    async def dump(s: Store) -> dict[str, list[tuple[object, ...]]]:
        out: dict[str, list[tuple[object, ...]]] = {}
        async with s.tx() as tx:
            for table in tables:
                rows = await tx.all(f"SELECT * FROM {table} ORDER BY rowid")
                out[table] = [tuple(r) for r in rows]
        return out

    original = await dump(store)
    copy = await Store.open(backup_path, keyring, clock=clock)
    try:
        assert await dump(copy) == original
        assert len(original["messages"]) == 1
        assert await _pragma(copy, "user_version") == len(MIGRATIONS)
        async with copy.tx() as tx:
            row = await tx.one("SELECT * FROM messages")
            assert row is not None
            body = await tx.open_json_for(
                family.person_id, "messages", "body", row["id"], row["body_enc"]
            )
        assert body["text"] == "Kept in the backup."
    finally:
        await copy.close()
    # The vault is not in the backup file
    raw = sqlite3.connect(backup_path)
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "family_keys" not in names


@pytest.mark.sqlite_only
async def test_database_and_vault_files_are_private(store: Store, db_path: Path) -> None:
    vault = store.keys.path.with_name("vault.sqlite3")
    await people.ensure(store, address_of(123456789), "en")  # something written, the WAL exists
    modes = {p.name: p.stat().st_mode & 0o777 for p in (db_path, vault)}
    wal = db_path.with_name(db_path.name + "-wal")
    modes[wal.name] = wal.stat().st_mode & 0o777
    assert modes == {db_path.name: 0o600, vault.name: 0o600, wal.name: 0o600}


async def test_execute_counts_the_rows_a_statement_changed_not_those_it_cascaded_to(
    store: Store, make_family: Callable[..., Awaitable[Family]]
) -> None:
    # Given two families, each with an addressee (a row that cascades from its family)
    first, second = await make_family(), await make_family()
    async with store.tx() as tx:
        # Then an UPDATE counts the rows it matched, an INSERT what it inserted (none on a
        # conflict), and a DELETE its own rows, not the addressees cascaded away with them
        assert (
            await tx.execute(
                "UPDATE people SET lang = 'fr' WHERE id IN (?, ?)",
                (first.person_id, second.person_id),
            )
            == 2
        )
        assert await tx.execute("UPDATE people SET lang = 'fr' WHERE id = 'p_nobody'") == 0
        assert await tx.execute("INSERT INTO meta(key, value) VALUES ('a', '1')") == 1
        assert (
            await tx.execute(
                "INSERT INTO meta(key, value) VALUES ('a', '1') ON CONFLICT(key) DO NOTHING"
            )
            == 0
        )
        assert await tx.execute("DELETE FROM people WHERE id = ?", (first.person_id,)) == 1
        left = await tx.one("SELECT COUNT(*) FROM addressees")
    assert left is not None
    assert left[0] == 1


async def test_a_single_statement_is_written_as_a_transaction_of_its_own(store: Store) -> None:
    # Given rows to change
    async with store.tx() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES ('one', '1'), ('two', '1')")
    # When one statement is written alone, it changes what it matched, committed
    assert await store.write_one("UPDATE meta SET value = '2' WHERE key IN ('one', 'two')") == 2
    assert await store.write_one("UPDATE meta SET value = '3' WHERE key = 'none'") == 0
    async with store.read() as tx:
        rows = await tx.all("SELECT value FROM meta WHERE key IN ('one', 'two')")
    assert [r["value"] for r in rows] == ["2", "2"]
    # And it is refused inside a transaction of the same task (it would wait for itself)
    with pytest.raises(RuntimeError, match=r"store\.write_one\(\) inside another transaction"):
        async with store.tx():
            await store.write_one("UPDATE meta SET value = '4' WHERE key = 'one'")
