"""The review and retention rules as pure functions: no store, no keys, no files.

The services (``relay.review``, ``relay.review_queue``, ``relay.replies``,
``relay.retention``) read what these need from the store, ask them, and write the answer;
so each rule is tested on plain values (tests/relay/test_policy.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from relay.errors import InvalidInput, NotAllowed
from relay.findings import Finding
from relay.links import CHAT_SITE
from relay.models import Site

Span = tuple[int, int]

# For a site code that is no longer in the sites file (the site was closed or renamed).
DEFAULT_RETENTION_DAYS = 180


class NeedsSenior(NotAllowed):
    """A blocking finding is left unredacted and the reviewer is not a senior."""

    code = "needs_senior"


class FourEyes(NotAllowed):
    """The senior who escalated a message tries to override its blocking finding."""

    code = "four_eyes"


def merge_spans(spans: Iterable[Span], length: int) -> list[Span]:
    """Return redaction spans sorted, overlapping and touching ones merged.

    Raises InvalidInput("bad_span") for a span outside the text or empty.
    """
    cleaned = sorted(set(spans))
    for start, end in cleaned:
        if not 0 <= start < end <= length:
            raise InvalidInput("bad_span")
    merged: list[Span] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def uncovered_blocks(findings: Sequence[Finding], spans: Sequence[Span]) -> int:
    """Count the blocking findings the redactions leave in (a text's length is never cut)."""
    return sum(
        1
        for f in findings
        if f.severity == "block" and (f.category == "length" or not f.covered_by(spans))
    )


def removed_categories(findings: Sequence[Finding], spans: Sequence[Span]) -> list[str]:
    """Return the categories of the findings the redactions remove, sorted, once each."""
    return sorted({f.category for f in findings if f.covered_by(spans)})


class Step(StrEnum):
    APPROVE = "approve"  # approve (with or without an override)
    PROPOSE = "propose"  # record a first senior's override proposal; a second one decides


class Judgement(Protocol):
    """What an earlier judgement of the message recorded (its sealed decision)."""

    def get(self, key: str, /) -> object: ...


def four_eyes(
    *,
    reviewer_id: str,
    override: bool,
    is_senior: bool,
    note: str,
    previous: Judgement,
) -> Step:
    """Decide whether an approval goes through now or waits for a second senior.

    Leaving a blocking finding in (``override``) takes two different seniors, each with a
    note: the first proposes, the second approves; the senior who escalated the message or
    proposed the override cannot be the second.
    """
    if not override:
        return Step.APPROVE
    if not is_senior:
        raise NeedsSenior("a blocking finding needs a senior reviewer")
    if not note.strip():
        raise InvalidInput("note_required")
    if reviewer_id in (previous.get("escalated_by"), previous.get("override_by")):
        raise FourEyes("four eyes: the senior of the first judgement cannot decide")
    return Step.APPROVE if previous.get("override_by") else Step.PROPOSE


class Backlog(Protocol):
    @property
    def overdue(self) -> int: ...
    @property
    def oldest(self) -> dt.datetime: ...


B = TypeVar("B", bound=Backlog)


def queue_order(lines: Iterable[B]) -> list[B]:
    """Order a review backlog: most overdue messages first, then the longest waiting."""
    return sorted(lines, key=lambda line: (-line.overdue, line.oldest))


def reply_submit_key(original_id: str, photo: bytes | None, text: str) -> str:
    """The key that makes a delegate's resubmission of the same reply a no-op."""
    digest = hashlib.sha256(
        original_id.encode() + b"\0" + (photo or b"") + b"\0" + text.encode()
    ).hexdigest()
    return f"reply:{digest[:32]}"


def retention_days(site_code: str, sites: Mapping[str, Site]) -> int:
    """Return how long a finished message of ``site_code`` is kept."""
    if site_code in sites:
        return sites[site_code].retention_days
    if site_code == CHAT_SITE.code:
        return CHAT_SITE.retention_days
    return DEFAULT_RETENTION_DAYS


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """When each site's finished messages, and families left with nothing, expire."""

    cutoffs: dict[str, dt.datetime]  # by site code: finished before this, deleted
    families_cutoff: dt.datetime  # an empty family created before this is erased


def retention_plan(
    found_codes: Iterable[str], sites: Mapping[str, Site], now: dt.datetime
) -> RetentionPlan:
    """Plan a purge over every site code configured or found in the store.

    A family is erased only once it is older than the longest retention of any site, so a
    family never goes before a message it could still have written.
    """
    codes = sorted({*sites, *found_codes})
    days = {code: retention_days(code, sites) for code in codes}
    longest = max(days.values(), default=DEFAULT_RETENTION_DAYS)
    return RetentionPlan(
        {code: now - dt.timedelta(days=d) for code, d in days.items()},
        now - dt.timedelta(days=longest),
    )
