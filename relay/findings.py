"""The rules engine as the services see it: a protocol, and findings as a typed value.

A ``Finding`` is what is sealed with a message and what the front ends show a reviewer; its
stored JSON shape (``to_json``) is the one messages have always been sealed with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's finding in a message: a span of characters, why, and how severe."""

    rule_id: str
    category: str
    severity: str  # "block", "redact" or "flag"
    start: int
    end: int
    reason: str
    detail: str = ""  # a phone number's country and E.164 form, for the reviewer

    def covered_by(self, spans: Sequence[tuple[int, int]]) -> bool:
        """Whether one of ``spans`` (redactions) covers this finding whole."""
        return any(a <= self.start and self.end <= b for a, b in spans)

    def to_json(self) -> dict[str, str | int]:
        raw: dict[str, str | int] = {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "reason": self.reason,
        }
        if self.detail:
            raw["detail"] = self.detail
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Finding:
        return cls(
            rule_id=str(raw["rule_id"]),
            category=str(raw["category"]),
            severity=str(raw["severity"]),
            start=int(str(raw["start"])),
            end=int(str(raw["end"])),
            reason=str(raw.get("reason", "")),
            detail=str(raw.get("detail", "")),
        )


def typed(findings: Sequence[FindingLike]) -> list[Finding]:
    """Return the rules engine's findings as ``Finding`` values."""
    return [
        Finding(
            rule_id=f.rule_id,
            category=str(f.category),
            severity=str(f.severity),
            start=f.start,
            end=f.end,
            reason=f.reason,
            detail=str(getattr(f, "detail", "")),
        )
        for f in findings
    ]


def to_stored(findings: Sequence[Finding]) -> list[dict[str, str | int]]:
    """Return findings as the JSON sealed with the message (never stored in clear)."""
    return [f.to_json() for f in findings]


def from_stored(raw: list[dict[str, object]]) -> list[Finding]:
    """Return the findings a message was sealed with."""
    return [Finding.from_json(f) for f in raw]


def count_blocking(findings: Sequence[FindingLike]) -> int:
    return sum(1 for f in findings if str(f.severity) == "block")
