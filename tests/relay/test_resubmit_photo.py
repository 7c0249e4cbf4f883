"""A returned message with a photo, edited and sent again, keeps its photo and stays decidable.

The resubmission used to write the photo's old blob back after the message's version had
moved on: the next decision that re-sealed the row (an escalation) failed with "sealed field
does not open", and the message could no longer be decided.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from relay import messages, review
from relay.models import MessageState, ReturnReason, Site
from relay.store import Store
from tests.relay.conftest import Family, NoFindings
from tests.relay.delivery_helpers import make_staff

PHOTO = b"\x89PNG\r\n\x1a\n" + b"family-photo" * 10


async def test_an_edited_message_keeps_its_photo_and_can_be_escalated(
    store: Store, make_family: Callable[..., Awaitable[Family]], sites: dict[str, Site]
) -> None:
    staff = await make_staff(store)
    family = await make_family()
    sent = await messages.submit(
        store,
        person_id=family.person_id,
        addressee_id=family.addressee_id,
        text="We are all well.",
        lang="en",
        submit_key="photo-1",
        checker=NoFindings(),
        sites=sites,
        photo=PHOTO,
    )
    # Given a message with a photo, returned to the family and edited by them
    item = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert item is not None
    await review.decide(
        store,
        reviewer_id=staff.reviewer,
        message_id=sent.message_id,
        decision=review.Decision(review.Verdict.RETURN, reason=ReturnReason.OTHER),
    )
    await messages.resubmit(
        store,
        person_id=family.person_id,
        message_id=sent.message_id,
        text="We are all well, and the harvest was good.",
        checker=NoFindings(),
        sites=sites,
    )
    # When a reviewer escalates it (the decision re-seals the whole row)
    again = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert again is not None
    state = await review.decide(
        store,
        reviewer_id=staff.reviewer,
        message_id=sent.message_id,
        decision=review.Decision(review.Verdict.ESCALATE, note="unsure"),
    )
    # Then it is escalated, the photo still opens, and a senior can keep it and approve
    assert state == MessageState.ESCALATED
    assert await messages.photo_of(store, sent.message_id) == PHOTO
    held = await review.claim_next(store, reviewer_id=staff.senior, lease_s=600)
    assert held is not None
    await review.judge_photo(
        store, reviewer_id=staff.senior, message_id=sent.message_id, reason=None
    )
    done = await review.decide(
        store,
        reviewer_id=staff.senior,
        message_id=sent.message_id,
        decision=review.Decision(review.Verdict.APPROVE),
    )
    assert done == MessageState.APPROVED
