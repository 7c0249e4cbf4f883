"""``rcm``: every verb of bot.cli, and ``rcm demo`` from demo/ (which bot/ cannot import)."""

from __future__ import annotations

import argparse

from bot import cli
from demo import cli as demo_cli

# The demo's verb comes first, where `rcm --help` has always listed it.
VERBS = (demo_cli.add_verbs,)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``rcm``, with every verb."""
    return cli.parser(VERBS)


def main(argv: list[str] | None = None) -> int:
    """Run one ``rcm`` verb (see bot.cli.main for the exit codes)."""
    return cli.main(argv, VERBS)
