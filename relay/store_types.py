"""The shapes the store is built from: a result row, a backend's connection layer, SQL
parameters, and the splitting of a migration script into statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

Params = Sequence[object] | dict[str, object]


class Row(Protocol):
    """A result row: by column name or position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str | int, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...  # the values, in column order (both backends)
    def __len__(self) -> int: ...
    def keys(self) -> Any: ...


class Backend(Protocol):
    """The connection layer of one backend (``relay.store_sqlite``, ``relay.store_pg``)."""

    kind: str

    async def execute(self, sql: str, params: Any) -> int: ...
    async def execute_alone(self, sql: str, params: Any) -> int: ...
    async def executemany(self, sql: str, rows: Iterable[Any]) -> None: ...
    async def all(self, sql: str, params: Any) -> list[Any]: ...
    async def begin(self) -> None: ...
    async def begin_read(self) -> None: ...
    async def open_reader(self) -> Backend: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def version(self) -> int: ...
    async def prepare_vault(self, statements: Sequence[str]) -> None: ...
    async def migrate_one(self, statements: Sequence[str], version: int) -> bool: ...
    async def close(self) -> None: ...


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
