"""The store: one interface over SQLite (aiosqlite, the default) or PostgreSQL (asyncpg).

``RCM_DATABASE_URL`` chooses: unset, the SQLite file in the data folder with the key vault
attached beside the key file (``relay.store_sqlite``); ``postgresql://...``, a PostgreSQL
database shared by any number of workers, with the vault in a second database
(``relay.store_pg``). Service modules write one portable SQL dialect (``relay.sqldialect``)
through ``Tx`` and never branch on the backend.

One write lock per process: every unit of work that writes runs as ``async with store.tx()
as tx`` and is serialised, because one connection shared by two tasks without a lock mixes
their transactions. What only reads runs as ``async with store.read() as tx`` on connections
of its own (one snapshot, no write lock, writes refused). The vault holds each family's data
key wrapped by the master key; deleting the row erases the family.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path

import aiosqlite

from relay.clock import Clock
from relay.crypto import KeyRing
from relay.errors import ConfigError
from relay.files import private_file
from relay.migrations import MIGRATIONS, VAULT_AUDIT_HEAD, VAULT_SCHEMA
from relay.sealing import upgrade_sealed_rows
from relay.store_sqlite import SqliteBackend
from relay.store_tx import KEY_CACHE_SIZE, PER_ROW_KEYS, ReadTx, Tx, seal_family
from relay.store_types import Backend, Params, Row, _statements

log = logging.getLogger("relay.store")
# The store and task whose transaction is open in this context (see Store._one_at_a_time).
_HOLDER: ContextVar[tuple[object, object] | None] = ContextVar("rcm_store_holder", default=None)

__all__ = ["Backend", "Params", "ReadTx", "Row", "Store", "Tx", "_statements"]


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
        self.erasures = 0  # data keys destroyed by this process (see ReadTx)
        self._lock = asyncio.Lock()
        # Where Store.read() runs: connections of its own that only read, opened beside the
        # writing ones (SQLite's WAL and PostgreSQL's snapshots let them read while a write
        # is under way), with a lock of their own (see open()).
        self._reader: Backend = db
        self._read_lock = self._lock

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
            store._reader, store._read_lock = await db.open_reader(), asyncio.Lock()
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
        if self._reader is not self.db:
            await self._reader.close()
        await self.db.close()

    @contextmanager
    def _one_at_a_time(self, what: str) -> Iterator[None]:
        """Refuse a transaction nested in another of this store, in the same task.

        It would wait for itself (PostgreSQL shares one lock), or read without seeing what
        its own task is writing (SQLite). A task started inside inherits the context but is
        another task: it waits its turn.
        """
        task = asyncio.current_task()
        held = _HOLDER.get()
        if held is not None and held[0] is self and held[1] is task:
            raise RuntimeError(f"store.{what}() inside another transaction of the same store")
        token = _HOLDER.set((self, task))
        try:
            yield
        finally:
            _HOLDER.reset(token)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """Run one serialised transaction (committed on success)."""
        with self._one_at_a_time("tx"):
            async with self._lock:
                try:
                    # BEGIN inside the try: a task cancelled while BEGIN is on its way must
                    # not leave the connection in a transaction that nobody will end.
                    await self.db.begin()
                    tx = Tx(self)
                    yield tx
                    await self.db.commit()  # a failed COMMIT leaves the transaction open
                except BaseException:
                    await self.db.rollback()
                    raise
                if tx.destroyed:
                    self._forget_keys(tx.destroyed)

    def _forget_keys(self, owners: set[str]) -> None:
        """Drop keys erased by a committed transaction, and tell reads under way.

        A read that began before the erasure committed may have cached the key meanwhile
        from its snapshot (see ReadTx): it goes now, and those reads cache no more.
        """
        for owner in owners:
            self.key_cache.pop(owner, None)
        self.erasures += 1

    def seal_cached(
        self, owner_id: str, table: str, column: str, row_id: str, value: object
    ) -> bytes | None:
        """Seal a family-keyed field with no trip to the database, if the key is cached."""
        key = None if table in PER_ROW_KEYS else self.key_cache.get(owner_id)
        return None if key is None else seal_family(key, owner_id, table, column, row_id, value)

    async def write_one(self, sql: str, params: Params = ()) -> int:
        """Run one statement that writes as a transaction of its own; return the rows changed.

        For a write that is a single statement (mark an update handled): the database makes
        it atomic and durable by itself, with one trip instead of BEGIN, statement, COMMIT.
        """
        with self._one_at_a_time("write_one"):
            async with self._lock:
                return await self.db.execute_alone(sql, params)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[ReadTx]:
        """Run one transaction that only reads: it takes no write lock.

        What it reads is one consistent snapshot; a statement that would write is refused
        (``relay.errors.ReadOnly``). Use ``tx()`` to read what is about to be written.
        """
        with self._one_at_a_time("read"):
            async with self._read_lock:
                try:
                    await self._reader.begin_read()
                    yield ReadTx(self, self._reader)
                finally:
                    await self._reader.rollback()  # nothing to keep: ends the snapshot

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
