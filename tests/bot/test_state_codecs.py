"""Each feature's state survives its codec unchanged; damaged state reads as empty."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TypeVar

import pytest

from bot.handlers.compose_state import (
    COMPOSE,
    AddresseeDraft,
    ComposeState,
    LastSent,
    ProfileDraft,
    Step,
)
from bot.handlers.delegate import REPLY, PendingReply
from bot.handlers.links import INVITATION, Invitation
from bot.handlers.review_state import CARD, Asked, CardWork, ReviewState, Waiting
from bot.state import Slot

S = TypeVar("S")


def round_trip(slot: Slot[S], value: S) -> S:
    return slot.from_bytes(slot.to_bytes(value))


def test_a_letter_in_progress_round_trips() -> None:
    letter = ComposeState(
        step=Step.AD_DOB_OK,
        then_menu=True,
        history=[Step.PICK, Step.AD_NAME],
        submit_key="k1",
        addressee_id=None,
        ad=AddresseeDraft(full_name="علي", latin_name="Ali", birth_date="1980-12-25"),
        profile=ProfileDraft("Mary", "Mary"),
        text="All well.",
        photo="file-1",
        site_filter="al",
        revising=True,
        applied=42,
        trail=[1, 2, 3],
        last_sent=LastSent("RCM-7K3F-9Q2V", "abc123"),
    )
    assert round_trip(COMPOSE, letter) == letter
    # and it is saved as it always was (asdict's form): rows saved before read the same
    as_before = json.dumps(asdict(letter), ensure_ascii=False, sort_keys=True).encode()
    assert COMPOSE.to_bytes(letter) == as_before


def test_a_review_card_round_trips() -> None:
    work = ReviewState(
        cards={"m_1": CardWork(sel=[], extra=[(3, 9)], reason="other", note="n")},
        wait=Waiting(Asked.RETURN_NOTE, "m_1"),
    )
    assert round_trip(CARD, work) == work
    assert round_trip(CARD, ReviewState()) == ReviewState()  # sel None stays "as proposed"


def test_a_reply_and_an_invitation_round_trip() -> None:
    assert round_trip(REPLY, PendingReply(file_id="f", text="I am well")) == PendingReply(
        file_id="f", text="I am well"
    )
    assert round_trip(INVITATION, Invitation(offered="c0de")) == Invitation(offered="c0de")


@pytest.mark.parametrize("data", [b"", b"[1, 2]", b'{"step": 7, "trail": "x", "ad": []}'])
def test_damaged_state_reads_as_empty(data: bytes) -> None:
    assert COMPOSE.from_bytes(data) == ComposeState()
