"""Findings cross from relay/ to the front ends as typed values, sealed in their old shape."""

from __future__ import annotations

from relay.findings import Finding, from_stored, to_stored, typed
from relay.rules import RuleEngine

# What messages were sealed with before findings were typed (relay/findings.as_dicts).
OLD_SEALED: list[dict[str, object]] = [
    {
        "rule_id": "contact.phone",
        "category": "contact",
        "severity": "redact",
        "start": 5,
        "end": 26,
        "reason": "contact",
        "detail": "IQ +9647701234567",
    },
    {
        "rule_id": "length.words",
        "category": "length",
        "severity": "block",
        "start": 0,
        "end": 0,
        "reason": "length",
    },
]


def test_findings_sealed_before_the_upgrade_open_as_typed_values() -> None:
    assert from_stored(OLD_SEALED) == [
        Finding("contact.phone", "contact", "redact", 5, 26, "contact", "IQ +9647701234567"),
        Finding("length.words", "length", "block", 0, 0, "length"),
    ]
    assert to_stored(from_stored(OLD_SEALED)) == OLD_SEALED  # and are sealed the same way


def test_the_rules_engines_findings_become_findings() -> None:
    text = "call +964 770 - 123 - 4567"
    assert typed(RuleEngine.load(None).check(text)) == [
        Finding("contact.phone", "contact", "redact", 5, 26, "contact", "IQ +9647701234567")
    ]


def test_a_finding_is_covered_only_by_a_span_around_all_of_it() -> None:
    f = Finding("x", "contact", "block", 5, 10, "contact")
    assert [f.covered_by(s) for s in ([(5, 10)], [(0, 20)], [(5, 9)], [(6, 10)], [])] == [
        True,
        True,
        False,
        False,
        False,
    ]
