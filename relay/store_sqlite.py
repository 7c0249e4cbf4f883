"""The SQLite connection layer beneath ``relay.store``: one file (WAL), the vault attached.

One connection writes, one transaction at a time (``relay.store`` holds the lock). Writes
use BEGIN IMMEDIATE so that a second process (a CLI verb next to the running bot) waits
rather than failing half-way. A second, read-only connection serves ``Store.read()``: WAL
lets it read a consistent snapshot while a write is under way, and it takes no write lock.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from relay.sqldialect import for_sqlite

_DELETE = re.compile(r"\s*DELETE\b", re.IGNORECASE)
WRITER_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA busy_timeout=10000",
)
# The vault keeps a rollback journal: a read of it waits while a write commits.
READER_PRAGMAS = ("PRAGMA busy_timeout=10000",)


class SqliteBackend:
    """The aiosqlite connection of one process."""

    kind = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.vault_path: Path | None = None

    @classmethod
    async def connect(cls, path: Path, vault_path: Path) -> SqliteBackend:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Encrypted fields or not, the files are nobody else's business: SQLite gives the
        # WAL and shared-memory files the database file's permissions.
        for own in (path, vault_path):
            if not own.exists():
                own.touch(mode=0o600)
        backend = await cls._open(path, vault_path, WRITER_PRAGMAS)
        backend.vault_path = vault_path
        return backend

    @classmethod
    async def _open(cls, path: Path, vault_path: Path, pragmas: Sequence[str]) -> SqliteBackend:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            for pragma in pragmas:
                await conn.execute(pragma)
            await conn.execute("ATTACH DATABASE ? AS vault", (str(vault_path),))
            # The vault keeps a rollback journal with secure delete: an erased key is
            # overwritten in place, not left behind in a WAL file.
            await conn.execute("PRAGMA vault.journal_mode=DELETE")
            await conn.execute("PRAGMA vault.secure_delete=ON")
        except BaseException:
            await conn.close()  # an open connection's thread keeps the process alive
            raise
        return cls(conn, path)

    async def open_reader(self) -> SqliteBackend:
        """Open a second connection that only reads (Store.read), beside this one."""
        assert self.vault_path is not None, "a reader opens beside the writing connection"
        reader = await type(self)._open(self.path, self.vault_path, READER_PRAGMAS)
        try:
            await reader.conn.execute("PRAGMA query_only=ON")  # a write is refused
        except BaseException:
            await reader.close()
            raise
        return reader

    async def execute(self, sql: str, params: Any) -> int:
        text = for_sqlite(sql)
        if _DELETE.match(text):
            # Rows a foreign key cascades to count in total_changes, not in rowcount.
            cursor = await self.conn.execute(text, params)
            count = cursor.rowcount
            await cursor.close()
            return count
        # One trip to the connection's thread, not two (execute, then close the cursor): the
        # rows an INSERT or UPDATE changed are what the connection's total moved by (no
        # trigger of ours changes rows; this task alone uses the connection meanwhile).
        before = self.conn.total_changes
        await self.conn.execute_fetchall(text, params)
        return self.conn.total_changes - before

    async def execute_alone(self, sql: str, params: Any) -> int:
        # Outside BEGIN ... COMMIT a statement is its own transaction (autocommit): a write
        # statement takes the write lock as it starts (waiting as BEGIN IMMEDIATE would)
        # and commits, synced, as it ends.
        assert not self.conn.in_transaction, "write_one runs outside a transaction"
        return await self.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Any]) -> None:
        await self.conn.executemany(for_sqlite(sql), rows)

    async def all(self, sql: str, params: Any) -> list[Any]:
        # One trip to the connection's thread (execute, fetch and close there), not three.
        return list(await self.conn.execute_fetchall(for_sqlite(sql), params))

    async def begin(self) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")

    async def begin_read(self) -> None:
        # Deferred: no write lock; in WAL mode the snapshot starts at the first read and
        # never waits for a writer. The vault keeps a rollback journal (an erased key is
        # overwritten in place): a read that reads it holds it until the read ends, and a
        # commit that writes the vault waits for that, so reads stay short.
        await self.conn.execute("BEGIN")

    async def commit(self) -> None:
        await self.conn.execute("COMMIT")

    async def rollback(self) -> None:
        # The connection's thread runs statements in the order they were queued, so this
        # ROLLBACK comes after any BEGIN whose caller was cancelled; it may also find no
        # transaction (BEGIN itself failed, or was never queued).
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "no transaction is active" not in str(error):
                raise

    async def version(self) -> int:
        row = await (await self.conn.execute("PRAGMA user_version")).fetchone()
        return int(row[0]) if row else 0

    async def prepare_vault(self, statements: Sequence[str]) -> None:
        for statement in statements:
            await self.conn.execute(statement)

    async def migrate_one(self, statements: Sequence[str], version: int) -> bool:
        try:
            await self.begin()
            for statement in statements:
                await self.conn.execute(statement)
            await self.conn.execute(f"PRAGMA user_version = {version + 1}")
            await self.commit()
        except BaseException:
            await self.rollback()
            raise
        return True

    async def backup(self, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = await aiosqlite.connect(dest)
        try:
            await self.conn.backup(target)
        finally:
            await target.close()

    async def checkpoint(self) -> None:
        await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        await self.conn.close()
