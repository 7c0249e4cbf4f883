"""Size limits of docs/ARCHITECTURE.md: no module over 400 lines, no handler over 30 lines.

A handler is an ``async def`` whose first parameters (after ``self``) are ``update, context``,
as python-telegram-bot calls them; its length runs from ``def`` to its last line. Past a
limit, split along what the module or handler holds rather than raising the number.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("relay", "bot", "console", "sandbox", "words", "demo", "rcm")
MAX_MODULE_LINES = 400
MAX_HANDLER_LINES = 30

# Every module keeps to the limits; nothing may be let off them (the set stays empty).
ALLOWED_FOR_NOW: frozenset[str] = frozenset()


def modules() -> list[Path]:
    """Return every Python module of the shipped packages, as paths relative to the repo."""
    return sorted(
        path.relative_to(REPO) for package in PACKAGES for path in (REPO / package).rglob("*.py")
    )


def long_handlers(source: str) -> list[tuple[str, int]]:
    """Return the handlers of a module longer than the limit, with their length in lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        names = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if names[:1] == ["self"]:
            names = names[1:]
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if names[:2] == ["update", "context"] and length > MAX_HANDLER_LINES:
            found.append((node.name, length))
    return found


def test_the_packages_are_all_scanned() -> None:
    scanned = {path.parts[0] for path in modules()}
    assert scanned == set(PACKAGES)
    assert Path("bot/handlers/guard.py") in modules()
    assert Path("sandbox/api.py") in modules()


def test_no_module_is_over_400_lines() -> None:
    over = {
        str(path): length
        for path in modules()
        if (length := len((REPO / path).read_text(encoding="utf-8").splitlines()))
        > MAX_MODULE_LINES
    }
    assert {p: n for p, n in over.items() if p not in ALLOWED_FOR_NOW} == {}


def test_no_handler_is_over_30_lines() -> None:
    over = {
        str(path): handlers
        for path in modules()
        if path.parts[0] == "bot"
        and (handlers := long_handlers((REPO / path).read_text(encoding="utf-8")))
    }
    assert {p: h for p, h in over.items() if p not in ALLOWED_FOR_NOW} == {}


def _handler(name: str, params: str, body_lines: int) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    return f"async def {name}({params}) -> None:\n{body}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (_handler("fits", "update, context", 29), []),
        (_handler("too_long", "update, context", 30), [("too_long", 31)]),
        (_handler("extra_args", "update, context, who", 40), [("extra_args", 41)]),
        (
            "class Guard:\n"
            + textwrap.indent(_handler("__call__", "self, update, context", 35), "    "),
            [("__call__", 36)],
        ),
        (_handler("not_a_handler", "store, person_id", 40), []),
        (_handler("context_first", "context, update", 40), []),
    ],
)
def test_the_handler_rule_counts_from_def_to_the_last_line(
    source: str, expected: list[tuple[str, int]]
) -> None:
    assert long_handlers(source) == expected
