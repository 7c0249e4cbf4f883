"""The rules engine as the services see it: a protocol, and findings as stored dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class FindingLike(Protocol):
    @property
    def rule_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def matched(self) -> str: ...
    @property
    def reason(self) -> str: ...


class Checker(Protocol):
    """What the services need of the rules engine."""

    def check(
        self,
        text: str,
        *,
        lang: str | None = None,
        site_code: str | None = None,
        word_limit: int | None = None,
    ) -> Sequence[FindingLike]: ...


def as_dicts(findings: Sequence[FindingLike]) -> list[dict[str, Any]]:
    """Return findings as plain dicts (sealed with the message, never stored in clear)."""
    return [
        {
            "rule_id": f.rule_id,
            "category": str(f.category),
            "severity": str(f.severity),
            "start": f.start,
            "end": f.end,
            "reason": f.reason,
            # a phone number's country and E.164 form, for the reviewer (sealed like the rest)
            **({"detail": d} if (d := str(getattr(f, "detail", ""))) else {}),
        }
        for f in findings
    ]


def count_blocking(findings: Sequence[FindingLike]) -> int:
    return sum(1 for f in findings if str(f.severity) == "block")
