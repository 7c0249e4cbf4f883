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
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

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
from relay.files import private_file
from relay.migrations import MIGRATIONS, VAULT_AUDIT_HEAD, VAULT_SCHEMA
from relay.sealing import SEALED_COLUMNS, upgrade_sealed_rows
from relay.store_sqlite import SqliteBackend
from relay.store_types import Backend, Params, Row, _statements

log = logging.getLogger("relay.store")

__all__ = ["Backend", "Params", "Row", "Store", "Tx", "_statements"]


# Tables whose sealed fields use a key of their own row (see Tx.key_owner); a write to such a
# row moves its version on and re-seals all its SEALED_COLUMNS at it (see Tx.seal_for).
PER_ROW_KEYS = frozenset({"messages"})
KEY_CACHE_SIZE = 20_000


class Tx:
    """One transaction: SQL plus sealing and opening of fields."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._db = store.db
        self.keys = store.keys
        self.clock = store.clock
        # Rows whose version this transaction moved on (see seal_for): their new version.
        self._bumped: dict[str, int] = {}

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
    # A message's fields are bound to the message, to its family (the owner) and to the
    # message's version, which every write increments (re-sealing the message's other fields
    # at the new version). The version is kept in the vault, wrapped with the message's key,
    # out of reach of whoever can write to the database: a field moved to another row, a row
    # moved to another family (family_id changed) or an older ciphertext written back (the
    # body from before an approved redaction) does not open. SQLite commits the database
    # before the vault, so after a crash between the two the rows may be one version ahead of
    # the vault: the next version is accepted too, never an older one.
    @staticmethod
    def key_owner(owner_id: str, table: str, row_id: str) -> str:
        """Return whose key seals a field: the message's own for the messages table."""
        return row_id if table in PER_ROW_KEYS else owner_id

    async def seal_for(
        self, owner_id: str, table: str, column: str, row_id: str, value: object
    ) -> bytes:
        """Seal ``value`` (str, bytes or JSON-able) under the owner's (or the row's) key."""
        if table not in PER_ROW_KEYS:
            key = await self.family_key(owner_id)
            return seal(key, f"f:{owner_id}", _to_bytes(value), field_ad(table, column, row_id))
        key, version = await self._version_for_write(owner_id, table, row_id)
        ad = field_ad(table, column, row_id, owner_id, version)
        return seal(key, f"f:{row_id}", _to_bytes(value), ad)

    async def open_for(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> bytes:
        if table not in PER_ROW_KEYS:
            key = await self.family_key(owner_id)
            return open_sealed(key, blob, field_ad(table, column, row_id))
        try:
            return await self._open_versioned(owner_id, table, column, row_id, blob)
        except CryptoError:
            if row_id not in self._store.key_cache:
                raise
        # Another process (a CLI verb) may have written the row since we cached its version.
        self._store.key_cache.pop(row_id, None)
        return await self._open_versioned(owner_id, table, column, row_id, blob)

    async def open_json_for(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> Any:
        return json.loads(await self.open_for(owner_id, table, column, row_id, blob))

    async def _versioned_key(self, row_id: str) -> tuple[bytes, int]:
        raw = await self.family_key(row_id)
        return raw[:32], int.from_bytes(raw[32:], "big")  # a key from before versions: 0

    async def _open_versioned(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> bytes:
        key, version = await self._versioned_key(row_id)
        # This version, the next one (rows committed, vault not, before a crash) and, for a
        # row this transaction moved on, the one it was read at earlier in the transaction.
        tried = [version, version + 1]
        if row_id in self._bumped:
            tried.append(version - 1)
        for candidate in tried:
            try:
                return open_sealed(key, blob, field_ad(table, column, row_id, owner_id, candidate))
            except CryptoError:
                continue
        raise CryptoError("sealed field does not open (altered, moved, rolled back or erased)")

    async def _version_for_write(
        self, owner_id: str, table: str, row_id: str
    ) -> tuple[bytes, int]:
        """Return the key and version to seal a row's field at, moving it on once per tx."""
        if row_id in self._bumped:
            return (await self._versioned_key(row_id))[0], self._bumped[row_id]
        row = await self.one("SELECT wrapped FROM vault.family_keys WHERE owner_id = ?", (row_id,))
        if row is None:
            await self.create_family_key(row_id)
            self._bumped[row_id] = 0
            return self._store.key_cache[row_id][:32], 0
        self._store.key_cache.pop(row_id, None)  # read the version from the vault, not a cache
        key, version = await self._versioned_key(row_id)
        await self._reseal_row(owner_id, table, row_id, key, version)
        raw = key + (version + 1).to_bytes(8, "big")
        await self.execute(
            "UPDATE vault.family_keys SET wrapped = ? WHERE owner_id = ?",
            (self.keys.wrap(raw, row_id), row_id),
        )
        self._store.remember_key(row_id, raw)
        self._bumped[row_id] = version + 1
        return key, version + 1

    async def _reseal_row(
        self, owner_id: str, table: str, row_id: str, key: bytes, version: int
    ) -> None:
        """Re-seal the row's sealed fields (at ``version``, or the next) at the next version."""
        columns = SEALED_COLUMNS[table]
        names = ", ".join(f"{c}_enc" for c in columns)
        row = await self.one(f"SELECT {names} FROM {table} WHERE id = ?", (row_id,))  # noqa: S608 - names are ours
        if row is None:
            return
        changed: dict[str, bytes] = {}
        for column in columns:
            blob = row[f"{column}_enc"]
            if not blob:  # NULL, or the empty placeholder of a row being created
                continue
            try:
                plain = open_sealed(key, blob, field_ad(table, column, row_id, owner_id, version))
            except CryptoError:  # already at the next version (a crash between the commits)
                ahead = field_ad(table, column, row_id, owner_id, version + 1)
                plain = open_sealed(key, blob, ahead)
            ad = field_ad(table, column, row_id, owner_id, version + 1)
            changed[column] = seal(key, f"f:{row_id}", plain, ad)
        if changed:
            sets = ", ".join(f"{c}_enc = ?" for c in changed)
            await self.execute(
                f"UPDATE {table} SET {sets} WHERE id = ?",  # noqa: S608 - names are ours
                (*changed.values(), row_id),
            )

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
    def conn(self) -> aiosqlite.Connection:
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
            await store.upgrade_seals()
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

    async def upgrade_seals(self) -> None:
        """Bind the fields sealed by an older version to their owner, once (see Tx.seal_for)."""
        async with self.tx() as tx:
            if await tx.one("SELECT 1 FROM meta WHERE key = 'sealed_owner'") is not None:
                return
            rows = await upgrade_sealed_rows(tx)
            await tx.execute("INSERT INTO meta(key, value) VALUES ('sealed_owner', '1')")
        if rows:
            log.info("bound the sealed fields of %d rows to their owner", rows)

    async def close(self) -> None:
        await self.db.close()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """Run one serialised transaction (committed on success)."""
        async with self._lock:
            try:
                # BEGIN inside the try: a task cancelled while BEGIN is on its way must not
                # leave the connection in a transaction that nobody will end.
                await self.db.begin()
                yield Tx(self)
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    async def backup(self, dest: Path) -> None:
        """Copy the database with SQLite's online backup (the vault is not included)."""
        if not isinstance(self.db, SqliteBackend):
            raise ConfigError("rcm backup: use pg_dump for a PostgreSQL database")
        # A backup holds everything but the keys: nobody else's business (0600, not umask).
        private_file(dest)
        async with self._lock:
            await self.db.backup(dest)

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database file (nothing to do on PostgreSQL)."""
        if isinstance(self.db, SqliteBackend):
            async with self._lock:
                await self.db.checkpoint()
