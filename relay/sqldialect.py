"""The portable SQL that service modules write, and its translation for each backend.

Service modules keep writing one dialect, close to SQLite's, and never branch on the
backend. The rules:

- Parameters are ``?`` (positional) or ``:name`` (with a dict). For PostgreSQL they become
  ``$1, $2, ...``; a name used twice is one parameter.
- Blob literals ``x'..'`` become ``'\\x..'::bytea``.
- ``FOR UPDATE [OF t] SKIP LOCKED`` (or ``FOR UPDATE``) ends a claim's SELECT: PostgreSQL locks the
  rows and lets other workers skip them; SQLite drops the clause (``BEGIN IMMEDIATE``
  already serialises writers).
- ``INSERT OR IGNORE INTO ...`` becomes ``INSERT INTO ... ON CONFLICT DO NOTHING`` (so it
  cannot be followed by RETURNING; write ``ON CONFLICT DO NOTHING`` yourself for that).
- ``window`` (a column of ``counters``) is a reserved word in PostgreSQL and gets quoted.
- Tables of the key vault are named ``vault.<table>``: the store routes those statements to
  the vault (an attached file for SQLite, a separate database for PostgreSQL), so one
  statement never mixes the vault and the data.
- Use ``INSERT ... RETURNING`` instead of ``last_insert_rowid()``; ``ON CONFLICT(..) DO
  UPDATE SET .. = excluded..``, ``COALESCE``, ``LIMIT ?`` work on both.

Migrations (DDL) are translated too: ``BLOB`` -> ``BYTEA``, ``INTEGER`` -> ``BIGINT``,
``INTEGER PRIMARY KEY AUTOINCREMENT`` -> an identity column, and the one trigger form we use
(``BEFORE UPDATE|DELETE ON t BEGIN SELECT RAISE(ABORT, 'why'); END``) -> a PL/pgSQL function
and a row trigger.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(
    r"""
    (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<blob>\b[xX]'(?P<hex>[0-9a-fA-F]*)')
  | (?P<cast>::)
  | (?P<named>:[A-Za-z_]\w*)
  | (?P<qmark>\?)
  | (?P<word>\b[A-Za-z_][A-Za-z0-9_]*\b)
  """,
    re.VERBOSE,
)
_RESERVED_PG = frozenset({"window"})
_FOR_UPDATE = re.compile(r"\s+FOR\s+UPDATE(\s+OF\s+\w+)?(\s+SKIP\s+LOCKED)?\s*$", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_VAULT = re.compile(r"\bvault\.", re.IGNORECASE)
_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?P<name>\w+)\s+(?P<when>BEFORE|AFTER)\s+(?P<op>UPDATE|DELETE|INSERT)"
    r"\s+ON\s+(?P<table>\w+)\s+BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'(?P<why>[^']*)'\s*\)"
    r"\s*;\s*END\s*;?",
    re.IGNORECASE,
)


def is_vault(sql: str) -> bool:
    """Say whether a statement names the key vault's tables."""
    return _VAULT.search(sql) is not None


def for_sqlite(sql: str) -> str:
    """Return the statement for SQLite (the portable dialect minus row locks)."""
    if "FOR UPDATE" in sql.upper():
        sql = _FOR_UPDATE.sub("", sql)
    return sql


@lru_cache(maxsize=4096)
def for_postgres(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """Translate a statement; return it with the parameter names in order (or their count)."""
    if _OR_IGNORE.match(sql):
        sql = _OR_IGNORE.sub("INSERT INTO", sql).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    sql = _VAULT.sub("", sql)
    names: list[str] = []
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        kind = match.lastgroup
        text = match.group(0)
        if kind == "qmark":
            count += 1
            return f"${count}"
        if kind == "named":
            name = text[1:]
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if kind == "blob":
            return f"'\\x{match.group('hex')}'::bytea"
        if kind == "word" and text.lower() in _RESERVED_PG:
            return f'"{text}"'
        return text

    out = _TOKEN.sub(replace, sql)
    if names and count:
        raise ValueError("a statement mixes ? and :name parameters")
    return out, (tuple(names) if names else count)


def postgres_args(shape: tuple[str, ...] | int, params: object) -> list[object]:
    """Order the parameters of a statement for PostgreSQL's numbered placeholders."""
    if isinstance(shape, tuple):
        if not isinstance(params, dict):
            raise TypeError("named parameters need a dict")
        return [params[name] for name in shape]
    if isinstance(params, dict):
        if params and shape:
            raise TypeError("positional parameters need a sequence")
        return []
    args: list[object] = list(params)  # type: ignore[call-overload]
    if len(args) != shape:
        raise ValueError(f"statement takes {shape} parameters, {len(args)} given")
    return args


def ddl_for_postgres(statement: str) -> list[str]:
    """Translate one migration statement to PostgreSQL (a trigger becomes two statements)."""
    trigger = _TRIGGER.search(statement)
    if trigger is not None:
        fn = f"rcm_{trigger['name']}"
        why = trigger["why"].replace("'", "''")
        return [
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN RAISE EXCEPTION '{why}'; END $$",
            f"CREATE TRIGGER {trigger['name']} {trigger['when']} {trigger['op']} ON"
            f" {trigger['table']} FOR EACH ROW EXECUTE FUNCTION {fn}()",
        ]
    sql = re.sub(
        r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        statement,
        flags=re.IGNORECASE,
    )
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql, flags=re.IGNORECASE)
    text, shape = for_postgres(sql)
    if shape not in (0, ()):
        raise ValueError("a migration statement takes no parameters")
    return [text]
