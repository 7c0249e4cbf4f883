"""One transaction of the store: SQL plus sealing and opening of fields (``relay.store``).

``Tx`` runs inside ``Store.tx()`` (reads and writes, under the write lock); ``ReadTx`` inside
``Store.read()``, which takes no write lock and refuses any statement that would write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from relay.clock import iso
from relay.crypto import (
    blob_key_id,
    field_ad,
    new_data_key,
    open_sealed,
    seal,
)
from relay.errors import CryptoError, ReadOnly
from relay.sealing import SEALED_COLUMNS
from relay.store_types import Backend, Params, Row

if TYPE_CHECKING:
    from relay.store import Store


# Tables whose sealed fields use a key of their own row (see Tx.key_owner); a write to such a
# row moves its version on and re-seals all its SEALED_COLUMNS at it (see Tx.seal_for).
PER_ROW_KEYS = frozenset({"messages"})
KEY_CACHE_SIZE = 20_000


def seal_family(
    key: bytes, owner_id: str, table: str, column: str, row_id: str, value: object
) -> bytes:
    """Seal a field of a table sealed by family (not PER_ROW_KEYS) under the owner's key."""
    return seal(key, f"f:{owner_id}", _to_bytes(value), field_ad(table, column, row_id))


class Tx:
    """One transaction: SQL plus sealing and opening of fields."""

    def __init__(self, store: Store, db: Backend | None = None) -> None:
        self._store = store
        self._db = store.db if db is None else db
        self.keys = store.keys
        self.clock = store.clock
        # Rows whose version this transaction moved on (see seal_for): their new version.
        self._bumped: dict[str, int] = {}
        self.destroyed: set[str] = set()  # owners whose data key this transaction erased

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
        self._remember(owner_id, key)
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
                self._remember(owner, self.keys.unwrap(row["wrapped"], owner))

    def _remember(self, owner_id: str, key: bytes) -> None:
        self._store.remember_key(owner_id, key)

    async def destroy_family_key(self, owner_id: str) -> None:
        await self.execute("DELETE FROM vault.family_keys WHERE owner_id = ?", (owner_id,))
        self._store.key_cache.pop(owner_id, None)
        self._store.erasures += 1
        self.destroyed.add(owner_id)

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
            return seal_family(key, owner_id, table, column, row_id, value)
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


class ReadTx(Tx):
    """A transaction that only reads (``Store.read``): a statement that writes is refused.

    SQLite runs it on a read-only connection of its own and PostgreSQL as READ ONLY, so the
    database refuses a write too; refusing here names the mistake before it reaches them.
    """

    def __init__(self, store: Store, db: Backend) -> None:
        super().__init__(store, db)
        self._erasures = store.erasures

    async def open_for(
        self, owner_id: str, table: str, column: str, row_id: str, blob: bytes
    ) -> bytes:
        if table in PER_ROW_KEYS:
            # A message's fields are sealed at its version, which every write moves on in
            # the vault: a read's snapshot of the rows and its later read of the vault may
            # straddle a write. Under the write lock (store.tx()) they cannot.
            raise ReadOnly(f"{table}.{column} opens in store.tx()")
        return await super().open_for(owner_id, table, column, row_id, blob)

    def _remember(self, owner_id: str, key: bytes) -> None:
        # A key read from a snapshot taken before an erasure may be the erased key: it is
        # used for this read, and not cached for the next.
        if self._store.erasures == self._erasures:
            super()._remember(owner_id, key)

    async def execute(self, sql: str, params: Params = ()) -> int:
        raise ReadOnly(sql.split(None, 1)[0] if sql.strip() else sql)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        raise ReadOnly(sql.split(None, 1)[0] if sql.strip() else sql)
