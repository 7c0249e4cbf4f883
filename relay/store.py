"""The store: one interface over SQLite (aiosqlite, the default) or PostgreSQL (asyncpg).

``RCM_DATABASE_URL`` chooses: unset, the SQLite file in the data folder with the key vault
attached beside the key file (``relay.store_sqlite``); ``postgresql://...``, a PostgreSQL
database shared by any number of workers, with the vault in a second database
(``relay.store_pg``). Service modules write one portable SQL dialect (``relay.sqldialect``)
through ``Tx`` and never branch on the backend.

One lock per process: every unit of work runs as ``async with store.tx() as tx`` and is
serialised, because one connection shared by two tasks without a lock mixes their
transactions. The vault holds each family's data key wrapped by the master key; deleting the
row erases the family.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from relay.clock import Clock, iso
from relay.crypto import (
    KeyRing,
    blob_key_id,
    field_ad,
    new_data_key,
    open_sealed,
    seal,
)
from relay.errors import ConfigError, CryptoError
from relay.migrations import MIGRATIONS, VAULT_AUDIT_HEAD, VAULT_SCHEMA
from relay.store_sqlite import SqliteBackend

log = logging.getLogger("relay.store")



class Row(Protocol):
    """A result row: by column name or position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str | int, /) -> Any: ...
    def keys(self) -> Any: ...


class Backend(Protocol):
    """The connection layer of one backend (``relay.store_sqlite``, ``relay.store_pg``)."""

    kind: str

    async def execute(self, sql: str, params: Any) -> int: ...
    async def executemany(self, sql: str, rows: Iterable[Any]) -> None: ...
    async def all(self, sql: str, params: Any) -> list[Any]: ...
    async def begin(self) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def version(self) -> int: ...
    async def prepare_vault(self, statements: Sequence[str]) -> None: ...
    async def migrate_one(self, statements: Sequence[str], version: int) -> bool: ...
    async def close(self) -> None: ...

# Tables whose sealed fields use a key of their own row (see Tx.key_owner).
PER_ROW_KEYS = frozenset({"messages"})
KEY_CACHE_SIZE = 20_000
Params = Sequence[Any] | dict[str, Any]


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (triggers included)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


class Tx:
    """One transaction: SQL plus sealing and opening of fields."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._db = store.db
        self.keys = store.keys
        self.clock = store.clock

    # -- SQL ------------------------------------------------------------------------------
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        return await self._db.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._db.executemany(sql, rows)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._db.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._db.all(sql, params)

    def now(self) -> str:
        return iso(self.clock.now())

    # -- data keys ------------------------------------------------------------------------
    # Each family has a data key; so has each message (its fields are sealed under it), so
    # that purging one message by retention destroys its key and a backup taken before the
    # purge cannot give it back, while the family's other data stays readable.
    async def create_family_key(self, owner_id: str) -> None:
        key = new_data_key()
        await self.execute(
            "INSERT INTO vault.family_keys(owner_id, wrapped, created_at) VALUES (?, ?, ?)",
            (owner_id, self.keys.wrap(key, owner_id), self.now()),
        )
        self._store.remember_key(owner_id, key)

    async def family_key(self, owner_id: str, *, create: bool = False) -> bytes:
        cached = self._store.key_cache.get(owner_id)
        if cached is not None:
            self._store.key_cache.move_to_end(owner_id)
            return cached
        row = await self.one(
            "SELECT wrapped FROM vault.family_keys WHERE owner_id = ?", (owner_id,)
        )
        if row is None:
            if create:
                await self.create_family_key(owner_id)
                return self._store.key_cache[owner_id]
            raise CryptoError(f"no data key for {owner_id} (erased?)")
        key = self.keys.unwrap(row["wrapped"], owner_id)
        self._store.remember_key(owner_id, key)
        return key

    async def preload_keys(self, owner_ids: list[str]) -> None:
        """Unwrap several data keys with one query (a list of messages, each with its key)."""
        missing = [o for o in dict.fromkeys(owner_ids) if o not in self._store.key_cache]
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.all(
                f"SELECT owner_id, wrapped FROM vault.family_keys WHERE owner_id IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            )
            for row in rows:
                owner = row["owner_id"]
                self._store.remember_key(owner, self.keys.unwrap(row["wrapped"], owner))

    async def destroy_family_key(self, owner_id: str) -> None:
        await self.execute("DELETE FROM vault.family_keys WHERE owner_id = ?", (owner_id,))
        self._store.key_cache.pop(owner_id, None)

    # -- sealing --------------------------------------------------------------------------
    @staticmethod
    def key_owner(owner_id: str, table: str, row_id: str) -> str:
        """Return whose key seals a field: the message's own for the messages table."""
        return row_id if table in PER_ROW_KEYS else owner_id

    async def seal_for(
        self, owner_id: str, table: str, column: str, row_id: str, value: object
    ) -> bytes:
        """Seal ``value`` (str, bytes or JSON-able) under the owner's (or the row's) key."""
        key_owner = self.key_owner(owner_id, table, row_id)
        key = await self.family_key(key_owner, create=table in PER_ROW_KEYS)
        return seal(key, f"f:{key_owner}", _to_bytes(value), field_ad(table, column, row_id))

    async def open_for(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> bytes:
        key = await self.family_key(self.key_owner(owner_id, table, row_id))
        return open_sealed(key, blob, field_ad(table, column, row_id))

    async def open_json_for(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> Any:
        return json.loads(await self.open_for(owner_id, table, column, row_id, blob))

    def seal_system(self, table: str, column: str, row_id: str, value: object) -> bytes:
        """Seal ``value`` under the current system key (derived from the master key)."""
        kid = self.keys.current_id
        return seal(
            self.keys.system_key(kid), kid, _to_bytes(value), field_ad(table, column, row_id)
        )

    def open_system(self, table: str, column: str, row_id: str, blob: bytes) -> bytes:
        kid = blob_key_id(blob)
        return open_sealed(self.keys.system_key(kid), blob, field_ad(table, column, row_id))


def _to_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Store:
    """The database of one installation."""

    def __init__(
        self, db: Backend, keys: KeyRing, path: Path, clock: Clock, url: str | None = None
    ) -> None:
        self.db = db
        self.keys = keys
        self.path = path
        self.url = url
        self.vault_url: str | None = None
        # How long a worker owns a claimed outbox row or a received update (RCM_WORKER_LEASE_S).
        self.lease_s = 15.0
        self.clock = clock
        self.key_cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = asyncio.Lock()

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.db.kind

    @property
    def conn(self) -> Any:
        """The SQLite connection (benchmarks and tests that look under the store)."""
        if not isinstance(self.db, SqliteBackend):
            raise ConfigError("this store is not SQLite")
        return self.db.conn

    def remember_key(self, owner_id: str, key: bytes) -> None:
        """Cache an unwrapped data key (bounded: the least recently used go first)."""
        self.key_cache[owner_id] = key
        self.key_cache.move_to_end(owner_id)
        while len(self.key_cache) > KEY_CACHE_SIZE:
            self.key_cache.popitem(last=False)

    @classmethod
    async def open(
        cls,
        path: Path,
        keys: KeyRing,
        *,
        clock: Clock | None = None,
        vault: Path | None = None,
        url: str | None = None,
        vault_url: str | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the database: ``url`` if PostgreSQL,
        else the SQLite file at ``path``."""
        db: Backend
        if url and url.startswith(("postgresql://", "postgres://")):
            # Imported here: a SQLite installation never loads asyncpg (a faster start).
            from relay.store_pg import PostgresBackend

            db = await PostgresBackend.connect(url, vault_url)
        elif url:
            raise ConfigError("RCM_DATABASE_URL: only postgresql:// URLs are supported")
        else:
            db = await SqliteBackend.connect(path, vault or keys.path.with_name("vault.sqlite3"))
        try:
            await db.prepare_vault([VAULT_SCHEMA, VAULT_AUDIT_HEAD])
            store = cls(db, keys, path, clock or Clock(), url)
            store.vault_url = vault_url
            await store.migrate()
        except BaseException:
            await db.close()  # an open connection's thread keeps the process alive
            raise
        return store

    async def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations (up to ``target``); return the schema version."""
        goal = len(MIGRATIONS) if target is None else target
        async with self._lock:
            version = await self.db.version()
            while version < goal:
                # Another worker may be migrating the same PostgreSQL database: each step
                # re-reads the version under the store lock and skips what is done.
                applied = await self.db.migrate_one(_statements(MIGRATIONS[version]), version)
                version = await self.db.version()
                if applied:
                    log.info("schema migrated to version %d", version)
            return version

    async def close(self) -> None:
        await self.db.close()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """Run one serialised transaction (committed on success)."""
        async with self._lock:
            await self.db.begin()
            try:
                yield Tx(self)
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    async def backup(self, dest: Path) -> None:
        """Copy the database with SQLite's online backup (the vault is not included)."""
        if not isinstance(self.db, SqliteBackend):
            raise ConfigError("rcm backup: use pg_dump for a PostgreSQL database")
        async with self._lock:
            await self.db.backup(dest)

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database file (nothing to do on PostgreSQL)."""
        if isinstance(self.db, SqliteBackend):
            async with self._lock:
                await self.db.checkpoint()
