"""The review card: findings marked, long texts cut under Telegram's limit, short callbacks."""

from __future__ import annotations

import datetime as dt

from bot.handlers.review_render import card_buttons, card_text, chosen_spans, marked_text
from bot.i18n.catalog import translator
from relay.findings import Finding
from relay.models import MessageKind, MessageState
from relay.review import ReviewItem

MID = "m_0123456789abcdef"


def finding(start: int, end: int, severity: str = "redact", category: str = "contact") -> Finding:
    return Finding("x", category, severity, start, end, reason=category)


def item(text: str, findings: list[Finding]) -> ReviewItem:
    return ReviewItem(
        message_id=MID,
        reference="RCM-7K3F-9Q2V",
        kind=MessageKind.MESSAGE,
        state=MessageState.IN_REVIEW,
        site_code="ALP",
        lang="ar",
        text=text,
        findings=findings,
        lease_until=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        overdue=False,
    )


def test_overlapping_findings_share_one_mark() -> None:
    text = "call +963 944 123 456 now"
    marked = marked_text(text, [finding(5, 21), finding(10, 21, "flag", "code")])
    assert marked == "call ⟦+963 944 123 456⟧1,2 now"


def test_long_text_and_many_findings_stay_under_the_limit() -> None:
    text = "word " * 2000
    findings = [finding(i * 5, i * 5 + 4) for i in range(300)]
    card = card_text(translator("en"), item(text, findings), None, [])
    assert len(card) <= 4000
    assert "[cut: " in card
    assert card.endswith("… (more findings not shown)")


def test_every_callback_fits_in_64_bytes() -> None:
    it = item("a b c d e f g h", [finding(i * 2, i * 2 + 1) for i in range(8)])
    rows = card_buttons(translator("fa"), it, [1, 3], [[0, 1]])
    data = [d for row in rows for _label, d in row]
    assert max(len(d.encode()) for d in data) <= 64
    assert f"rev:tog:{MID}.8" in data
    assert chosen_spans(it, [1, 3], [[0, 1]]) == ((0, 1), (4, 5))
