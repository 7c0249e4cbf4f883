"""The review and retention rules on plain values: no database, no keys, no files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from relay import policy
from relay.errors import InvalidInput
from relay.findings import Finding
from relay.models import Site
from relay.policy import FourEyes, NeedsSenior, Step

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def block(start: int, end: int, category: str = "contact") -> Finding:
    return Finding("x", category, "block", start, end, category)


def redact(start: int, end: int) -> Finding:
    return Finding("x", "contact", "redact", start, end, "contact")


# -- span merging ----------------------------------------------------------------------


def test_spans_are_sorted_deduplicated_and_merged_when_they_touch_or_overlap() -> None:
    spans = [(10, 12), (0, 3), (2, 5), (5, 7), (0, 3), (20, 25), (21, 22)]
    assert policy.merge_spans(spans, 30) == [(0, 7), (10, 12), (20, 25)]


def test_no_span_merges_nothing() -> None:
    assert policy.merge_spans([], 10) == []


@pytest.mark.parametrize("bad", [(-1, 2), (3, 3), (4, 2), (0, 11)])
def test_a_span_outside_the_text_or_empty_is_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(InvalidInput) as caught:
        policy.merge_spans([(0, 1), bad], 10)
    assert caught.value.code == "bad_span"


def test_a_span_ending_at_the_texts_end_is_fine() -> None:
    assert policy.merge_spans([(0, 10)], 10) == [(0, 10)]


# -- blocking findings and the four-eyes rule ------------------------------------------


def test_a_block_counts_until_a_span_covers_all_of_it_and_length_always_counts() -> None:
    findings = [block(2, 6), block(10, 14), redact(20, 22), block(0, 0, "length")]
    assert policy.uncovered_blocks(findings, []) == 3
    assert policy.uncovered_blocks(findings, [(2, 5)]) == 3  # covers only part of it
    assert policy.uncovered_blocks(findings, [(0, 8)]) == 2
    assert policy.uncovered_blocks(findings, [(0, 8), (9, 15)]) == 1  # length stays


def test_removed_categories_are_those_the_spans_cover_once_each() -> None:
    findings = [block(2, 6), redact(8, 9), Finding("y", "money", "flag", 20, 24, "money")]
    assert policy.removed_categories(findings, [(0, 10)]) == ["contact"]
    assert policy.removed_categories(findings, [(0, 30)]) == ["contact", "money"]
    assert policy.removed_categories(findings, []) == []


def judge(
    reviewer: str, previous: dict[str, str], *, override: bool = True, senior: bool = True
) -> Step:
    return policy.four_eyes(
        reviewer_id=reviewer,
        override=override,
        is_senior=senior,
        note="the number is the family's own",
        previous=previous,
    )


def test_without_an_override_anyone_approves_at_once() -> None:
    assert judge("rev", {}, override=False, senior=False) == Step.APPROVE
    assert judge("rev", {"escalated_by": "rev"}, override=False) == Step.APPROVE


def test_an_override_needs_a_senior_with_a_note() -> None:
    with pytest.raises(NeedsSenior):
        judge("rev", {}, senior=False)
    with pytest.raises(InvalidInput) as caught:
        policy.four_eyes(reviewer_id="s1", override=True, is_senior=True, note=" ", previous={})
    assert caught.value.code == "note_required"


def test_the_first_senior_proposes_and_a_second_one_approves() -> None:
    assert judge("s1", {}) == Step.PROPOSE
    assert judge("s1", {"escalated_by": "rev"}) == Step.PROPOSE
    assert judge("s2", {"override_by": "s1"}) == Step.APPROVE


@pytest.mark.parametrize(
    "previous",
    [{"escalated_by": "s1"}, {"override_by": "s1"}, {"escalated_by": "s1", "override_by": "s2"}],
)
def test_the_senior_of_the_first_judgement_cannot_be_the_second(previous: dict[str, str]) -> None:
    with pytest.raises(FourEyes):
        judge("s1", previous)


# -- queue order -----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    name: str
    overdue: int
    oldest: dt.datetime


def test_the_backlog_shows_the_most_overdue_first_then_the_longest_waiting() -> None:
    day = dt.timedelta(days=1)
    lines = [
        Line("fresh", 0, NOW),
        Line("old", 0, NOW - 3 * day),
        Line("late-newer", 2, NOW - day),
        Line("late-older", 2, NOW - 2 * day),
        Line("later", 5, NOW),
    ]
    assert [line.name for line in policy.queue_order(lines)] == [
        "later",
        "late-older",
        "late-newer",
        "old",
        "fresh",
    ]


# -- replies ---------------------------------------------------------------------------


def test_the_same_reply_has_the_same_key_and_any_change_another() -> None:
    key = policy.reply_submit_key("m_1", b"photo", "text")
    assert key.startswith("reply:")
    assert len(key) == len("reply:") + 32
    assert key == policy.reply_submit_key("m_1", b"photo", "text")
    others = {
        policy.reply_submit_key("m_2", b"photo", "text"),
        policy.reply_submit_key("m_1", None, "text"),
        policy.reply_submit_key("m_1", b"photo", "text!"),
        # the separator keeps the photo's end and the text's start apart
        policy.reply_submit_key("m_1", b"phot", "o\0text"),
    }
    assert key not in others
    assert len(others) == 4


# -- retention -------------------------------------------------------------------------


def test_each_site_keeps_its_days_chat_and_closed_sites_their_defaults() -> None:
    sites = {
        "ALP": Site("ALP", "Alpha", "Syria", retention_days=30),
        "BRV": Site("BRV", "Bravo", "Iraq", retention_days=90),
    }
    plan = policy.retention_plan(["CHAT", "OLD", "ALP"], sites, NOW)
    assert plan.cutoffs == {
        "ALP": NOW - dt.timedelta(days=30),
        "BRV": NOW - dt.timedelta(days=90),
        "CHAT": NOW - dt.timedelta(days=policy.retention_days("CHAT", {})),
        "OLD": NOW - dt.timedelta(days=policy.DEFAULT_RETENTION_DAYS),
    }
    longest = max(90, policy.DEFAULT_RETENTION_DAYS, policy.retention_days("CHAT", {}))
    assert plan.families_cutoff == NOW - dt.timedelta(days=longest)


def test_with_no_site_at_all_families_wait_the_default() -> None:
    plan = policy.retention_plan([], {}, NOW)
    assert plan.cutoffs == {}
    assert plan.families_cutoff == NOW - dt.timedelta(days=policy.DEFAULT_RETENTION_DAYS)
