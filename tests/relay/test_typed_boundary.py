"""No untyped value crosses from relay/ to a front end: mypy checks the contract end to end.

Every name bot/ and console/ take from relay/ (``from relay.x import f``, ``x.f`` after
``from relay import x``) is resolved; its annotations (a function's parameters and return, a
class's fields, public methods and properties) must not hold ``Any`` anywhere inside, so no
``dict[str, Any]`` or ``Mapping[str, Any]`` either.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, get_args, get_type_hints

ROOT = Path(__file__).resolve().parents[2]
FRONT_ENDS = ("bot", "console")

# Replaced by typed per-feature conversation state in another part of issue #11 (the
# drafts blob); remove these lines when that lands.
TOLERATED: set[str] = set()


def _is_relay(module: str) -> bool:
    return module == "relay" or module.startswith("relay.")


def names_used(sources: Iterator[str]) -> set[tuple[str, str]]:
    """Return the (relay module, name) pairs the given front-end sources use."""
    pairs: set[tuple[str, str]] = set()
    for source in sources:
        tree = ast.parse(source)
        modules: dict[str, str] = {}  # a local name bound to a relay module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and _is_relay(node.module):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    try:
                        importlib.import_module(full)
                    except ImportError:
                        pairs.add((node.module, alias.name))
                    else:
                        modules[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_relay(alias.name) and alias.asname:
                        modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
            ):
                pairs.add((modules[node.value.id], node.attr))
    return pairs


def _holds_any(hint: object) -> bool:
    return hint is Any or any(_holds_any(arg) for arg in get_args(hint))


def _annotated(label: str, obj: object) -> Iterator[tuple[str, object]]:
    """Yield (label, callable or class) whose annotations describe ``obj``'s interface."""
    if inspect.isclass(obj):
        yield label, obj
        for name, member in vars(obj).items():
            if name.startswith("_"):
                continue
            function = member.fget if isinstance(member, property) else member
            if isinstance(function, classmethod | staticmethod):
                function = function.__func__
            if inspect.isfunction(function):
                yield f"{label}.{name}", function
    elif inspect.isfunction(obj):
        yield label, obj


def untyped(pairs: set[tuple[str, str]]) -> list[str]:
    """Return '<name> <parameter>: <hint>' for every annotation that holds ``Any``."""
    found: list[str] = []
    for module, name in sorted(pairs):
        obj = getattr(importlib.import_module(module), name, None)
        if not _is_relay(getattr(obj, "__module__", "") or ""):
            continue  # re-exported from elsewhere (typing, datetime, ...)
        for label, target in _annotated(f"{module}.{name}", obj):
            hints: Mapping[str, object] = get_type_hints(target)
            found += [f"{label} {k}: {h}" for k, h in hints.items() if _holds_any(h)]
    return found


def _front_end_sources() -> Iterator[str]:
    for front in FRONT_ENDS:
        for path in sorted((ROOT / front).rglob("*.py")):
            yield path.read_text(encoding="utf-8")


def test_no_any_crosses_from_relay_to_a_front_end() -> None:
    pairs = names_used(_front_end_sources())
    assert len(pairs) > 100  # the walk does see the front ends' use of relay/
    assert ("relay.outbox", "claim_due") in pairs
    assert [line for line in untyped(pairs) if line not in TOLERATED] == []


def test_the_walk_would_catch_an_untyped_boundary() -> None:
    # A test that cannot fail is a defect: a front end using a relay function that takes or
    # returns Any, dict[str, Any] or Mapping[str, Any] is reported, through both import forms.
    source = (
        "from relay import store\nfrom relay.store import Tx\nimport relay.findings as rf\n"
        "store.Tx\nrf.from_stored\n"
    )
    pairs = names_used(iter([source]))
    assert pairs == {("relay.store", "Tx"), ("relay.findings", "from_stored")}
    assert "relay.store.Tx.open_json_for return: typing.Any" in untyped(pairs)
    assert untyped({("relay.findings", "from_stored")}) == []


def _takes_a_dict(payload: dict[str, Any]) -> Mapping[str, Any]:
    return payload


def _hint_check(fn: Callable[..., object]) -> list[bool]:
    return [_holds_any(h) for h in get_type_hints(fn).values()]


def test_any_is_found_inside_containers() -> None:
    assert _hint_check(_takes_a_dict) == [True, True]
    assert _hint_check(names_used) == [False, False]
