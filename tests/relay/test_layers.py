"""relay/ is the domain core: it never imports telegram, bot or console; console/ never bot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELAY = ROOT / "relay"

_IMPORT_ALL = """
import pkgutil, sys
from pathlib import Path
import relay
names = {m.name for m in pkgutil.walk_packages(relay.__path__, "relay.")}
# walk_packages skips folders without __init__.py (namespace packages): add them by file.
root = Path(relay.__file__).parent
for path in root.rglob("*.py"):
    parts = path.relative_to(root.parent).with_suffix("").parts
    names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
names.discard("relay")
for name in sorted(names):
    __import__(name)
bad = sorted(m for m in sys.modules if m in ("telegram", "bot", "console")
             or m.startswith(("telegram.", "bot.", "console.")))
assert not bad, bad
print(len(names))
"""


def test_importing_every_relay_module_loads_no_telegram() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    files = sum(1 for _ in RELAY.rglob("*.py")) - 1  # relay/__init__.py is the package itself
    assert int(done.stdout.strip()) == files


_FORBIDDEN = re.compile(r"^[ \t]*(?:import|from)[ \t]+(?:telegram|bot|console)\b.*$", re.MULTILINE)
_FRONT_END_FORBIDDEN = re.compile(
    r"^[ \t]*(?:import|from)[ \t]+(?:telegram|bot)\b.*$", re.MULTILINE
)
CONSOLE = ROOT / "console"


def test_no_relay_source_imports_telegram_bot_or_console() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sorted(RELAY.rglob("*.py"))
        for match in _FORBIDDEN.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_grep_would_catch_an_offender() -> None:
    # A test that cannot fail is a defect: the pattern does match what it guards against.
    sample = (
        "import os\nfrom telegram import Bot\n    import bot.handlers\nimport botany\n"
        "from console.server import CSP\nimport consoles\n"
    )
    assert [m.group(0).strip() for m in _FORBIDDEN.finditer(sample)] == [
        "from telegram import Bot",
        "import bot.handlers",
        "from console.server import CSP",
    ]


def test_the_console_imports_neither_telegram_nor_bot() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sorted(CONSOLE.rglob("*.py"))
        for match in _FRONT_END_FORBIDDEN.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    code = (
        "import pkgutil, sys, console\n"
        "for m in pkgutil.walk_packages(console.__path__, 'console.'): __import__(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'bot'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
