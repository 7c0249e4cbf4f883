"""JSON output of findings (the ``rcm rules check`` command prints it)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from relay.rules.engine import Finding


def finding_to_dict(f: Finding) -> dict[str, str | int]:
    """Return the JSON-ready dict of one finding."""
    return {
        "rule_id": f.rule_id,
        "category": f.category.value,
        "severity": f.severity.value,
        "start": f.start,
        "end": f.end,
        "matched": f.matched,
        "reason": f.reason,
        **({"detail": f.detail} if f.detail else {}),
    }


def findings_to_json(findings: Sequence[Finding]) -> str:
    """Serialise findings as an indented JSON list, non-ASCII text kept readable."""
    return json.dumps([finding_to_dict(f) for f in findings], ensure_ascii=False, indent=2)
