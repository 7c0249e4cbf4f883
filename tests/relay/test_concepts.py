"""relay/ speaks of people, channels and addresses: no Telegram concept in its code (issue 11).

The import ban (test_layers, the import-linter contracts) does not stop relay/ from naming
Telegram's ideas: a ``tg_index`` column, a ``chat_id`` argument, an ``update_id`` key. This
reads every identifier and every string that is not a docstring or comment.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELAY = ROOT / "relay"
WORDS = re.compile(r"telegram|\btg_|tg_index|chat_id|update_id", re.IGNORECASE)
ALLOWED = {
    # Shipped migrations are history (never edited); the one renaming the old columns
    # necessarily names them.
    "relay/migrations.py",
    # The process configuration: the bot token, the Bot API URL and RCM_ADMIN_IDS are read
    # with everything else, once, for every front end.
    "relay/settings.py",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def offences(source: str) -> list[str]:
    """Return the Telegram words in the code of one module (not in comments or docstrings)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            names.append(node.value)
        elif isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            names.append(node.arg)
        elif isinstance(node, ast.alias):
            names.append(node.asname or node.name)
    return [n for n in names if WORDS.search(n)]


def test_relay_code_names_no_telegram_concept() -> None:
    found = {
        str(path.relative_to(ROOT)): words
        for path in sorted(RELAY.rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        and (words := offences(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_check_sees_names_strings_and_arguments_but_not_prose() -> None:
    source = '''
"""Module docstring about Telegram."""
# a comment on tg_index
def find(tx, chat_id):
    """Docstring: an update_id."""
    tg_index = tx.one("SELECT * FROM people WHERE tg_index = ?")
    return tx.send(update_id=1)
'''
    assert sorted(offences(source)) == [
        "SELECT * FROM people WHERE tg_index = ?",
        "chat_id",
        "tg_index",
        "update_id",
    ]
