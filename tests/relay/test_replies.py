"""Replies brought back by delegates, held messages claimed by released detainees, retention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.transport import address_of
from relay import audit, claims, messages, notices, outbox, people, replies, retention, roles
from relay.clock import FakeClock
from relay.delivery import export_batch
from relay.errors import Conflict, InvalidInput, NotAllowed, NotFound
from relay.handover import record_outcome
from relay.models import Role, Site
from relay.store import Store
from tests.relay.conftest import Family, NoFindings
from tests.relay.delivery_helpers import Staff, approve_all, make_staff, state_of

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]
DOC = ("document",)
PHOTO = b"\x89PNG\r\n\x1a\n" + b"reply-photo" * 10


async def _drain(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [
        (i.person_id, notices.encode(i.notice)) for i in await outbox.claim_due(store, limit=500)
    ]


@pytest.fixture
async def staff(store: Store) -> Staff:
    return await make_staff(store)


async def _printed(
    store: Store, family: Family, send: Send, staff: Staff, sites: dict[str, Site]
) -> messages.Submitted:
    sub = await send(family, "We are all well.")
    await approve_all(store, staff.reviewer)
    await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    await _drain(store)
    return sub


async def test_reply_goes_through_review_and_reaches_the_right_family(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    checker: NoFindings,
) -> None:
    # Given a printed message of one family, and another family with its own message
    family = await make_family()
    other = await make_family()
    original = await _printed(store, family, send, staff, sites)
    await send(other, "Other family news.")
    # When the delegate brings the reply back (photo and transcription)
    got = await replies.receive_reply(
        store,
        delegate_id=staff.delegate_alp,
        reference=original.reference.lower(),
        photo=PHOTO,
        transcription="I am well, kiss the children.",
        checker=checker,
        sites=sites,
    )
    again = await replies.receive_reply(
        store,
        delegate_id=staff.delegate_alp,
        reference=original.reference,
        photo=PHOTO,
        transcription="I am well, kiss the children.",
        checker=checker,
        sites=sites,
    )
    # Then it waits for review, once, and the reply is the proof the original arrived
    assert (again.reply_id, again.created) == (got.reply_id, False)
    assert (await state_of(store, got.reply_id))[0] == "submitted"
    assert (await state_of(store, original.message_id))[0] == "delivered"
    assert checker.checked[-1] == "I am well, kiss the children."
    await _drain(store)
    # When a reviewer approves it
    await approve_all(store, staff.reviewer)
    # Then it is delivered, and the family (only) gets a 'reply' with photo and transcription
    assert (await state_of(store, got.reply_id))[0] == "delivered"
    sent = [(pid, p) for pid, p in await _drain(store) if p.get("type") == "reply"]
    assert sent == [
        (
            family.person_id,
            {
                "type": "reply",
                "message_id": got.reply_id,
                "reference": original.reference,
                "text": "I am well, kiss the children.",
                "has_photo": True,
                "photo_removed": "",
            },
        )
    ]
    assert await messages.photo_of(store, got.reply_id) == PHOTO


async def test_reply_with_unknown_or_other_site_reference_is_refused_alike(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    checker: NoFindings,
) -> None:
    original = await _printed(store, await make_family(), send, staff, sites)
    for delegate, reference in (
        (staff.delegate_brv, original.reference),  # another site's message
        (staff.delegate_alp, "RCM-0000-0000"),  # nobody's
    ):
        with pytest.raises(NotFound) as caught:
            await replies.receive_reply(
                store,
                delegate_id=delegate,
                reference=reference,
                photo=PHOTO,
                transcription=None,
                checker=checker,
                sites=sites,
            )
        assert str(caught.value) == "message"
    with pytest.raises(NotAllowed):
        await replies.receive_reply(
            store,
            delegate_id=staff.reviewer,
            reference=original.reference,
            photo=PHOTO,
            transcription=None,
            checker=checker,
            sites=sites,
        )
    async with store.tx() as tx:
        assert await tx.one("SELECT id FROM messages WHERE kind = 'reply'") is None


async def test_reply_needs_a_printed_original(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    checker: NoFindings,
) -> None:
    waiting = await send(await make_family())
    with pytest.raises(InvalidInput) as caught:
        await replies.receive_reply(
            store,
            delegate_id=staff.delegate_alp,
            reference=waiting.reference,
            photo=PHOTO,
            transcription=None,
            checker=checker,
            sites=sites,
        )
    assert caught.value.code == "not_printed"


async def test_released_detainee_claims_held_message_with_four_eyes(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    # Given a message undeliverable because its addressee was released
    family = await make_family(addressee_name="Karim Haddad", detainee_number="ab 123")
    held = await _printed(store, family, send, staff, sites)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=held.reference, outcome="released"
    )
    await _drain(store)
    # When the released person asks for their messages in the bot
    released = await people.ensure(store, address_of(555_000_111), "en")
    await people.record_consent(store, released.id, "555000111")
    claim_id = await claims.open_claim(
        store, person_id=released.id, full_name="karim  HADDAD", detainee_number="AB123"
    )
    # Then one confirmation is not enough, and the same staff member twice does not count
    first = await claims.confirm_claim(
        store, staff_id=staff.reviewer, claim_id=claim_id, checked=DOC
    )
    assert (first.state, first.confirmations, first.delivered) == ("open", 1, 0)
    with pytest.raises(Conflict):
        await claims.confirm_claim(store, staff_id=staff.reviewer, claim_id=claim_id, checked=DOC)
    with pytest.raises(NotAllowed):
        await claims.confirm_claim(
            store, staff_id=staff.delegate_alp, claim_id=claim_id, checked=DOC
        )
    assert (await state_of(store, held.message_id))[0] == "undeliverable"
    # When a second, different staff member confirms
    second = await claims.confirm_claim(
        store, staff_id=staff.senior, claim_id=claim_id, checked=DOC
    )
    # Then the held message is delivered in the claimant's chat and the family is told
    assert (second.state, second.confirmations, second.delivered) == ("confirmed", 2, 1)
    assert (await state_of(store, held.message_id))[0] == "delivered"
    sent = await _drain(store)
    digital = [
        (pid, p["type"], p["reference"], p["text"]) for pid, p in sent if p["type"] == "digital"
    ]
    assert digital == [(released.id, "digital", held.reference, "We are all well.")]
    status = [(pid, p["state"], p["detail"]) for pid, p in sent if p["type"] == "status"]
    assert status == [(family.person_id, "delivered", {"channel": "chat", "claim": claim_id})]
    with pytest.raises(Conflict):
        await claims.confirm_claim(store, staff_id=staff.admin, claim_id=claim_id, checked=DOC)


async def test_a_claim_shows_and_hands_over_only_what_a_site_limited_grant_covers(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    # Given a message held at ALP for a released detainee, and a reviewer limited to BRV
    family = await make_family(addressee_name="Karim Haddad", detainee_number="ab 123")
    held = await _printed(store, family, send, staff, sites)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=held.reference, outcome="released"
    )
    await _drain(store)
    brv_reviewer = await roles.grant(
        store,
        actor_id="config",
        target=address_of(555_000_222),
        role=Role.REVIEWER,
        site_code="BRV",
        languages=("en",),
        bootstrap=True,
    )
    released = await people.ensure(store, address_of(555_000_112), "en")
    await people.record_consent(store, released.id, "555000112")
    claim_id = await claims.open_claim(
        store, person_id=released.id, full_name="Karim Haddad", detainee_number="AB123"
    )
    # When the BRV reviewer looks, they see the claim but not ALP's held message
    seen = await claims.claim_details(store, staff_id=brv_reviewer, claim_id=claim_id)
    assert seen.candidates == []
    # and their confirmation, which would hand it over, is refused and audited
    with pytest.raises(NotAllowed):
        await claims.confirm_claim(store, staff_id=brv_reviewer, claim_id=claim_id, checked=DOC)
    refused = [e for e in await audit.entries(store) if e.action == "refused"]
    assert [e.actor for e in refused][:1] == [brv_reviewer]
    # while an unlimited reviewer sees it
    full = await claims.claim_details(store, staff_id=staff.reviewer, claim_id=claim_id)
    assert [c.reference for c in full.candidates] == [held.reference]


@pytest.mark.parametrize(
    "typed", ["25.12.1980", "1980/12/25", "۱۳۵۹/۱۰/۰۴"], ids=["day-first", "year-first", "solar"]
)
async def test_claim_by_birth_date_reads_it_in_any_calendar(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    typed: str,
) -> None:
    # Given a message held for a released addressee born on 1980-12-25 (stored ISO)
    family = await make_family(birth_date="1980-12-25")
    held = await _printed(store, family, send, staff, sites)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=held.reference, outcome="released"
    )
    # When they claim with their birth date written as they write it
    released = await people.ensure(store, address_of(555_000_333), "fa")
    claim_id = await claims.open_claim(
        store, person_id=released.id, full_name="Karim Haddad", birth_date=typed
    )
    await claims.confirm_claim(store, staff_id=staff.reviewer, claim_id=claim_id, checked=DOC)
    done = await claims.confirm_claim(store, staff_id=staff.admin, claim_id=claim_id, checked=DOC)
    # Then the held message is found and delivered
    assert (done.state, done.delivered) == ("confirmed", 1)
    assert (await state_of(store, held.message_id))[0] == "delivered"


async def test_claim_with_an_impossible_birth_date_is_refused(
    store: Store, make_family: MakeFamily
) -> None:
    someone = await people.ensure(store, address_of(555_000_444), "en")
    with pytest.raises(InvalidInput) as caught:
        await claims.open_claim(
            store, person_id=someone.id, full_name="Karim Haddad", birth_date="31.02.1990"
        )
    assert caught.value.code == "impossible_date"


async def test_claim_with_a_wrong_name_delivers_nothing(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    family = await make_family(detainee_number="Z9")
    held = await _printed(store, family, send, staff, sites)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=held.reference, outcome="released"
    )
    someone = await people.ensure(store, address_of(555_000_222), "en")
    claim_id = await claims.open_claim(
        store, person_id=someone.id, full_name="Somebody Else", detainee_number="Z9"
    )
    await claims.confirm_claim(store, staff_id=staff.reviewer, claim_id=claim_id, checked=DOC)
    done = await claims.confirm_claim(store, staff_id=staff.admin, claim_id=claim_id, checked=DOC)
    assert (done.state, done.delivered) == ("confirmed", 0)
    assert (await state_of(store, held.message_id))[0] == "undeliverable"


async def test_purge_deletes_finished_messages_past_the_site_retention(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    clock: FakeClock,
) -> None:
    family = await make_family()
    done = await _printed(store, family, send, staff, sites)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=done.reference, outcome="handed_over"
    )
    waiting = await send(family, "Still waiting for review.")
    # Not yet past retention: nothing goes
    early = await retention.purge(store, sites=sites)
    assert (early.messages, early.families) == (0, 0)
    clock.advance(days=sites["ALP"].retention_days + 1)
    report = await retention.purge(store, sites=sites)
    assert (report.messages, report.by_site["ALP"], report.families) == (1, 1, 0)
    async with store.tx() as tx:
        left = [r["id"] for r in await tx.all("SELECT id FROM messages")]
    assert left == [waiting.message_id]
