"""The SQLite connection layer beneath ``relay.store``: one file (WAL), the vault attached.

One connection, one transaction at a time (``relay.store`` holds the lock). Writes use
BEGIN IMMEDIATE so that a second process (a CLI verb next to the running bot) waits rather
than failing half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from relay.sqldialect import for_sqlite


class SqliteBackend:
    """The aiosqlite connection of one process."""

    kind = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    async def connect(cls, path: Path, vault_path: Path) -> SqliteBackend:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Encrypted fields or not, the files are nobody else's business: SQLite gives the
        # WAL and shared-memory files the database file's permissions.
        for own in (path, vault_path):
            if not own.exists():
                own.touch(mode=0o600)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA synchronous=FULL",
                "PRAGMA secure_delete=ON",
                "PRAGMA busy_timeout=10000",
            ):
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

    async def execute(self, sql: str, params: Any) -> int:
        cursor = await self.conn.execute(for_sqlite(sql), params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Any]) -> None:
        await self.conn.executemany(for_sqlite(sql), rows)

    async def all(self, sql: str, params: Any) -> list[Any]:
        async with self.conn.execute(for_sqlite(sql), params) as cursor:
            return list(await cursor.fetchall())

    async def begin(self) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")

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
