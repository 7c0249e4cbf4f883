"""The PostgreSQL connection layer beneath ``relay.store`` (asyncpg).

Two databases, never one: the data (``RCM_DATABASE_URL``) and the key vault
(``RCM_VAULT_URL``; by default the same server with ``_vault`` appended to the database
name), so that a dump or a backup of the data never holds the keys that open it. Every
worker of a deployment points at the same two.

Each unit of work holds one data transaction and, only when it touches ``vault.*`` tables,
one vault transaction; the data commits first and the vault second, as with SQLite's
attached vault (the audit head may lag the chain after a crash, never lead it).

Several workers share the database. Claims (review queue, outbox) select with ``FOR UPDATE
SKIP LOCKED``; on top of that every transaction first takes one transaction-scoped advisory
lock, so that what was read-then-written under SQLite's ``BEGIN IMMEDIATE`` (the audit
chain's next number, counters, idempotent submissions) keeps its meaning with any number of
workers. The work between transactions (Telegram calls, rendering, crypto) runs in parallel.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from relay.errors import ConfigError
from relay.sqldialect import ddl_for_postgres, for_postgres, is_vault, postgres_args

log = logging.getLogger("relay.store")

# Any constant will do: it names "the store" among the advisory locks of the database.
STORE_LOCK = 7_310_451
_STATEMENTS_PER_CONNECTION = 512
_TEXT = frozenset({"text", "varchar", "bpchar", "name"})
_INTS = frozenset({"int2", "int4", "int8"})


def redact_url(url: str) -> str:
    """Return the URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def vault_url_for(database_url: str) -> str:
    """Return the default vault URL: the same server, database name + ``_vault``."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") or (parts.username or "postgres")
    return urlunsplit(parts._replace(path=f"/{name}_vault"))


def _database_of(url: str) -> tuple[str | None, int | None, str]:
    parts = urlsplit(url)
    return parts.hostname, parts.port, parts.path.lstrip("/")


def _coerce(value: object, type_name: str) -> object:
    """Bend a value SQLite took as it came to the type PostgreSQL inferred for it."""
    if value is None:
        return None
    if type_name in _TEXT and not isinstance(value, str):
        return str(value)
    if type_name in _INTS and isinstance(value, bool | str):
        return int(value)
    if type_name == "bytea":
        if isinstance(value, str):
            return value.encode("utf-8")
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
    return value


def _rowcount(status: str | None) -> int:
    match = re.match(r"^(?:INSERT \d+|UPDATE|DELETE|SELECT|MERGE) (\d+)$", status or "")
    return int(match.group(1)) if match else -1


class _Side:
    """One connection (data or vault) with its prepared statements."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.in_tx = False
        self._prepared: OrderedDict[str, Any] = OrderedDict()

    async def prepared(self, sql: str) -> Any:
        stmt = self._prepared.get(sql)
        if stmt is None:
            stmt = await self.conn.prepare(sql)
            self._prepared[sql] = stmt
            while len(self._prepared) > _STATEMENTS_PER_CONNECTION:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(sql)
        return stmt

    async def run(self, sql: str, params: object) -> tuple[list[Any], int]:
        text, shape = for_postgres(sql)
        stmt = await self.prepared(text)
        types = [t.name for t in stmt.get_parameters()]
        args = [_coerce(v, t) for v, t in zip(postgres_args(shape, params), types, strict=True)]
        rows = await stmt.fetch(*args)
        return list(rows), _rowcount(stmt.get_statusmsg())

    async def run_many(self, sql: str, rows: Iterable[object]) -> None:
        text, shape = for_postgres(sql)
        stmt = await self.prepared(text)
        types = [t.name for t in stmt.get_parameters()]
        batch = [
            [_coerce(v, t) for v, t in zip(postgres_args(shape, r), types, strict=True)]
            for r in rows
        ]
        if batch:
            await stmt.executemany(batch)


class PostgresBackend:
    """Data and vault connections of one process, one transaction at a time."""

    kind = "postgresql"

    def __init__(self, data: asyncpg.Connection, vault: asyncpg.Connection, url: str) -> None:
        self._data = _Side(data)
        self._vault = _Side(vault)
        self.url = url
        self.vault_url: str | None = None
        # A reader's transactions (Store.read) see one snapshot and cannot write.
        self._begin = "BEGIN"

    @classmethod
    async def connect(cls, url: str, vault_url: str | None) -> PostgresBackend:
        vault_url = vault_url or vault_url_for(url)
        if _database_of(vault_url) == _database_of(url):
            raise ConfigError("RCM_VAULT_URL: the key vault must not be the data's database")
        data = await _connect(url, "RCM_DATABASE_URL")
        try:
            vault = await _connect(vault_url, "RCM_VAULT_URL")
        except BaseException:
            await data.close()
            raise
        backend = cls(data, vault, url)
        backend.vault_url = vault_url
        return backend

    def _side(self, sql: str) -> _Side:
        return self._vault if is_vault(sql) else self._data

    async def _enter(self, side: _Side) -> None:
        if not side.in_tx:
            # Marked before it is sent: a caller cancelled while BEGIN is on its way still
            # rolls back (ROLLBACK outside a transaction is only a warning).
            side.in_tx = True
            await side.conn.execute(self._begin)

    # -- statements -----------------------------------------------------------------------
    async def execute(self, sql: str, params: object) -> int:
        side = self._side(sql)
        await self._enter(side)
        return (await side.run(sql, params))[1]

    async def execute_alone(self, sql: str, params: object) -> int:
        # Outside BEGIN ... COMMIT a statement is its own transaction; one statement needs
        # no advisory lock (that serialises what reads, then writes).
        side = self._side(sql)
        assert not side.in_tx, "write_one runs outside a transaction"
        return (await side.run(sql, params))[1]

    async def executemany(self, sql: str, rows: Iterable[object]) -> None:
        side = self._side(sql)
        await self._enter(side)
        await side.run_many(sql, rows)

    async def all(self, sql: str, params: object) -> list[Any]:
        side = self._side(sql)
        await self._enter(side)
        return (await side.run(sql, params))[0]

    # -- transactions ---------------------------------------------------------------------
    async def begin(self) -> None:
        await self._enter(self._data)
        await self._data.conn.execute(f"SELECT pg_advisory_xact_lock({STORE_LOCK})")

    async def begin_read(self) -> None:
        # No advisory lock: a read waits for no worker's write, this one's included.
        await self._enter(self._data)

    async def open_reader(self) -> PostgresBackend:
        """Open a second pair of connections that only read (Store.read), beside these."""
        reader = await type(self).connect(self.url, self.vault_url)
        reader._begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        return reader

    async def commit(self) -> None:
        # Data first, then the vault: see the module's docstring.
        try:
            for side in (self._data, self._vault):
                if side.in_tx:
                    side.in_tx = False
                    await side.conn.execute("COMMIT")
        except BaseException:
            await self.rollback()  # a side not committed yet is not left open
            raise

    async def rollback(self) -> None:
        for side in (self._data, self._vault):
            if side.in_tx:
                side.in_tx = False
                if not side.conn.is_closed():
                    await side.conn.execute("ROLLBACK")

    # -- schema ---------------------------------------------------------------------------
    async def version(self) -> int:
        # Workers starting together: CREATE ... IF NOT EXISTS can still collide, so one at
        # a time (the lock ends with the transaction).
        async with self._data.conn.transaction():
            await self._data.conn.execute(f"SELECT pg_advisory_xact_lock({STORE_LOCK})")
            await self._data.conn.execute(
                "CREATE TABLE IF NOT EXISTS rcm_schema (id INTEGER PRIMARY KEY CHECK (id = 1),"
                " version INTEGER NOT NULL)"
            )
        value = await self._data.conn.fetchval("SELECT version FROM rcm_schema WHERE id = 1")
        return int(value or 0)

    async def prepare_vault(self, statements: Sequence[str]) -> None:
        async with self._vault.conn.transaction():
            await self._vault.conn.execute(f"SELECT pg_advisory_xact_lock({STORE_LOCK})")
            for statement in statements:
                for ddl in ddl_for_postgres(statement):
                    await self._vault.conn.execute(ddl)

    async def migrate_one(self, statements: Sequence[str], version: int) -> bool:
        """Apply one migration unless another worker did; return whether it was applied."""
        try:
            await self.begin()
            if await self.version_in_tx() != version:
                await self.rollback()
                return False
            for statement in statements:
                for ddl in ddl_for_postgres(statement):
                    await self._data.conn.execute(ddl)
            await self._data.conn.execute(
                "INSERT INTO rcm_schema(id, version) VALUES (1, $1)"
                " ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                version + 1,
            )
            await self.commit()
        except BaseException:
            await self.rollback()
            raise
        return True

    async def version_in_tx(self) -> int:
        value = await self._data.conn.fetchval("SELECT version FROM rcm_schema WHERE id = 1")
        return int(value or 0)

    async def close(self) -> None:
        for side in (self._data, self._vault):
            await side.conn.close()


async def _connect(url: str, name: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=15)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        # asyncpg's messages name the host and user, never the password; the URL we print
        # has it masked.
        reason = str(exc).replace(url, redact_url(url))
        raise ConfigError(f"{name}: cannot connect to {redact_url(url)} ({reason})") from None
