"""Shared fixtures of the rules tests; prints the corpus figures in the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from relay.rules import RuleEngine

# Filled by test_corpus.py; printed at the end of every run that executed it.
CORPUS_REPORT: list[str] = []


@pytest.fixture(scope="session")
def engine() -> RuleEngine:
    """Build the default engine once (it is immutable and shared, like in production)."""
    return RuleEngine.load(None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show per-category precision and recall over the corpus."""
    if CORPUS_REPORT:
        terminalreporter.section("rules corpus: precision / recall per category")
        for line in CORPUS_REPORT:
            terminalreporter.write_line(line)
