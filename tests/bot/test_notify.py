"""What a notice reads like: bot/notify.py matches on the notice's type, not on dict keys."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.callbacks import cb
from bot.i18n.catalog import translator
from bot.notify import Outgoing, render
from relay import notices
from relay.notices import (
    BacklogAlert,
    ClaimAlert,
    DigitalMessage,
    EscalationAlert,
    Notice,
    PrintHeld,
    ReplyArrived,
    StatusChanged,
)

WHEN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
REF = "RCM-7K3F-9Q2V"


def en(notice: Notice) -> Outgoing:
    return render(translator("en"), notice, WHEN)


@pytest.mark.parametrize(
    ("notice", "text"),
    [
        (
            StatusChanged("m_1", "message", "printed", REF),
            f"Your message {REF} was printed. A delegate will take it on the next visit.",
        ),
        (
            StatusChanged("m_1", "message", "delivered", REF, {"channel": "chat"}),
            f"Your message {REF} was delivered in the chat.",
        ),
        (
            ReplyArrived("m_2", REF, "Kiss the children", has_photo=False),
            f"A reply to your message {REF} has arrived.\n\nTranscription:\nKiss the children",
        ),
        (
            DigitalMessage("m_3", REF, "We are well", "Amal"),
            f"Red Cross message {REF}. From: Amal\n\nWe are well",
        ),
        (
            EscalationAlert(REF, "ALP", "ar"),
            f"A message waits for a senior reviewer: {REF} (ALP, ar). Type /next to take it.",
        ),
        (
            ClaimAlert("c_1"),
            "A released person asks for the messages kept for them (c_1). "
            "Check who they are: /confirm_claim c_1",
        ),
        (
            BacklogAlert("overdue", "ALP", 3, 1),
            "ALP: 3 messages wait for review.\n⚠ 1 is past its deadline.\n"
            "Type /next to review. /alerts off mutes these alerts.",
        ),
        (
            PrintHeld(REF, "U+E000"),
            f"Message {REF}, which you approved, was held back from print: it has letters that"
            " no font can print (U+E000). It was returned to the family, who can write those"
            " words again and send it anew.",
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_each_kind_of_notice_reads_as_written(notice: Notice, text: str) -> None:
    assert en(notice) == Outgoing(text)


def test_a_returned_message_carries_the_note_and_its_buttons() -> None:
    out = en(StatusChanged("m_9", "message", "returned", REF, {"reason": "too_long"}, "Shorter"))
    assert out.text.splitlines() == [
        f"Your message {REF} was returned to you.",
        "The message is longer than this place of detention allows.",
        "Reviewer's note: Shorter",
        "You can edit it and send it again.",
    ]
    assert out.markup is not None
    assert [b.callback_data for row in out.markup.inline_keyboard for b in row] == [
        cb("msg", "edit", "m_9"),
        cb("msg", "cancel", "m_9"),
    ]


def test_a_reply_with_its_photo_names_the_message_whose_photo_goes_along() -> None:
    assert en(ReplyArrived("m_2", REF, "", has_photo=True)).photo_of == "m_2"
    assert en(ReplyArrived("m_2", REF, "", has_photo=False, photo_removed="face")).photo_of is None


def test_a_row_queued_before_the_upgrade_renders_like_a_new_one() -> None:
    old = {"type": "alert", "alert": "claim", "claim": "c_1"}
    assert en(notices.decode(old)) == en(ClaimAlert("c_1"))
