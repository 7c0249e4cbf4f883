"""The review's rules at the service level: two seniors per override, grants scoped to sites
and languages in every decision, refusals audited though their transaction rolls back,
backlog summaries once a day and once per deadline passed, claims checked in the open."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.transport import address_of
from relay import alerts, audit, claims, handover, messages, notices, outbox, people, review, roles
from relay.clock import FakeClock
from relay.delivery import export_batch
from relay.errors import InvalidInput, NotAllowed
from relay.findings import FindingLike
from relay.models import MessageState, Role, Site
from relay.review import Decision, FourEyes, Verdict
from relay.store import Store
from tests.relay.conftest import Family
from tests.relay.delivery_helpers import Staff, approve_all, make_staff, state_of

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]
_ids = itertools.count(830_000_001)


@dataclasses.dataclass(frozen=True)
class Block:
    """A finding that blocks the whole text (what the militia keyword rule does)."""

    rule_id: str = "t"
    category: str = "military"
    severity: str = "block"
    start: int = 0
    end: int = 4
    reason: str = "military"


class Blocking:
    def check(self, text: str, **_: object) -> list[FindingLike]:
        return [Block()]  # type: ignore[list-item]


async def person(
    store: Store, role: Role, site: str = "", langs: tuple[str, ...] = ("en",)
) -> str:
    return await roles.grant(
        store,
        actor_id="test",
        target=address_of(next(_ids)),
        role=role,
        site_code=site,
        languages=langs,
        bootstrap=True,
    )


async def submit_blocked(store: Store, family: Family, sites: dict[str, Site]) -> str:
    done = await messages.submit(
        store,
        person_id=family.person_id,
        addressee_id=family.addressee_id,
        text="Army news and family news.",
        lang="en",
        submit_key=f"b{next(_ids)}",
        checker=Blocking(),
        sites=sites,
    )
    return done.message_id


async def override(store: Store, senior: str, note: str = "Harmless.") -> MessageState:
    item = await review.claim_next(store, reviewer_id=senior, lease_s=600)
    assert item is not None
    return await review.decide(
        store,
        reviewer_id=senior,
        message_id=item.message_id,
        decision=Decision(Verdict.APPROVE, note=note),
    )


async def test_an_override_needs_two_different_seniors_and_the_audit_names_both(
    store: Store, make_family: MakeFamily, sites: dict[str, Site]
) -> None:
    # Given a message with a blocking finding and two seniors
    mid = await submit_blocked(store, await make_family(), sites)
    first, second = await person(store, Role.SENIOR), await person(store, Role.SENIOR)
    # When the first senior overrides it
    assert await override(store, first) == MessageState.ESCALATED
    # Then it waits, and the first senior is not handed it again
    assert await review.claim_next(store, reviewer_id=first, lease_s=600) is None
    # And even holding it (say, claimed before), they cannot make the second judgement
    async with store.tx() as tx:
        await tx.execute(
            "UPDATE messages SET claimed_by = ?, lease_until = ? WHERE id = ?",
            (first, "2999-01-01T00:00:00+00:00", mid),
        )
    with pytest.raises(FourEyes):
        await review.decide(
            store, reviewer_id=first, message_id=mid, decision=Decision(Verdict.APPROVE, note="x")
        )
    await review.release_all(store, reviewer_id=first)
    # When a second senior overrides it too
    assert await override(store, second) == MessageState.APPROVED
    # Then the audit shows both
    found = [e for e in await audit.entries(store, obj=mid) if e.action == "message.override"]
    assert [json.loads(e.detail) for e in found] == [{"first": first, "second": second}]


async def test_grants_scoped_to_a_site_hold_in_the_queue_claims_and_decisions(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    # Given messages at ALP and BRV, and a reviewer of BRV only
    alp = await send(await make_family(site_code="ALP"))
    brv = await send(await make_family(site_code="BRV"))
    scoped = await person(store, Role.REVIEWER, "BRV")
    # Then the queue and the claims show BRV only
    lines = await review.queue(store, staff_id=scoped)
    assert [(q.site_code, q.waiting) for q in lines] == [("BRV", 1)]
    item = await review.claim_next(store, reviewer_id=scoped, lease_s=600)
    assert item is not None
    assert item.message_id == brv.message_id
    await review.decide(
        store, reviewer_id=scoped, message_id=item.message_id, decision=Decision(Verdict.APPROVE)
    )
    assert await review.claim_next(store, reviewer_id=scoped, lease_s=600) is None
    assert (await state_of(store, alp.message_id))[0] == "submitted"
    # When a reviewer holds an ALP message and their grant is narrowed to BRV meanwhile
    wide = await person(store, Role.REVIEWER)
    held = await review.claim_next(store, reviewer_id=wide, lease_s=600)
    assert held is not None
    async with store.tx() as tx:
        await tx.execute("UPDATE roles SET site_code = 'BRV' WHERE person_id = ?", (wide,))
    refused_before = len([e for e in await audit.entries(store) if e.action == "refused"])
    # Then their decision is refused, and the refusal is audited though it rolled back
    with pytest.raises(NotAllowed):
        await review.decide(
            store, reviewer_id=wide, message_id=held.message_id, decision=Decision(Verdict.APPROVE)
        )
    refusals = [e for e in await audit.entries(store) if e.action == "refused"]
    assert len(refusals) == refused_before + 1
    assert (refusals[0].actor, refusals[0].object) == (wide, "decide")
    assert (await state_of(store, alp.message_id))[0] == "in_review"


async def test_a_delegate_refused_inside_a_service_is_audited(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site]
) -> None:
    staff = await make_staff(store)
    await send(await make_family())
    await approve_all(store, staff.reviewer)
    batch = await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    with pytest.raises(NotAllowed):
        await handover.checklist(store, actor_id=staff.delegate_brv, batch_id=batch.id)
    refusals = [e for e in await audit.entries(store, obj="handover") if e.action == "refused"]
    assert [(e.actor, json.loads(e.detail)) for e in refusals] == [
        (staff.delegate_brv, {"needs": "delegate"})
    ]


async def payloads(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [
        (i.person_id, notices.encode(i.notice)) for i in await outbox.claim_due(store, limit=500)
    ]


async def test_backlog_summaries_once_a_day_and_once_per_deadline_passed(
    store: Store, clock: FakeClock, make_family: MakeFamily, send: Send
) -> None:
    # Given a waiting ALP message, a reviewer of ALP, one of BRV, and one who muted alerts
    await send(await make_family(site_code="ALP"))
    alp = await person(store, Role.REVIEWER, "ALP")
    await person(store, Role.REVIEWER, "BRV")
    muted = await person(store, Role.REVIEWER)
    await alerts.set_muted(store, person_id=muted, muted=True)
    await payloads(store)
    # When the timer looks twice the same day
    assert await alerts.backlog_alerts(store) == 1
    assert await alerts.backlog_alerts(store) == 0
    # Then the reviewer of ALP got one daily summary
    daily = {"type": "alert", "alert": "daily", "site": "ALP", "waiting": 1, "overdue": 0}
    assert await payloads(store) == [(alp, daily)]
    # When the message passes its deadline (14 days), then the next day comes
    clock.advance(days=15)
    assert await alerts.backlog_alerts(store) == 1
    assert await payloads(store) == [(alp, {**daily, "alert": "overdue", "overdue": 1})]
    assert await alerts.backlog_alerts(store) == 0
    clock.advance(days=1)
    assert await alerts.backlog_alerts(store) == 1
    assert await payloads(store) == [(alp, {**daily, "overdue": 1})]


async def test_a_claim_is_checked_beside_its_candidates_and_can_be_refused(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site]
) -> None:
    # Given a message held because its addressee was released
    staff: Staff = await make_staff(store)
    family = await make_family(addressee_name="Karim Haddad", detainee_number="AB 123")
    sub = await send(family)
    await approve_all(store, staff.reviewer)
    await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    await handover.record_outcome(
        store, actor_id=staff.delegate_alp, reference=sub.reference, outcome="released"
    )
    await payloads(store)
    claimant = await people.ensure(store, address_of(555_000_333), "en")
    # When the released person asks twice
    claim_id = await claims.open_claim(
        store, person_id=claimant.id, full_name="Karim Haddad", detainee_number="AB123"
    )
    again = await claims.open_claim(
        store, person_id=claimant.id, full_name="Karim Haddad", detainee_number="AB123"
    )
    # Then there is one open claim, and the admin is alerted once
    assert again == claim_id
    assert await payloads(store) == [
        (staff.admin, {"type": "alert", "alert": "claim", "claim": claim_id})
    ]
    # When a reviewer opens it, they see what the claimant gave beside the held message
    details = await claims.claim_details(store, staff_id=staff.reviewer, claim_id=claim_id)
    assert (details.full_name, details.detainee_number, details.confirmations) == (
        "Karim Haddad",
        "AB123",
        0,
    )
    shown = [(c.reference, c.full_name, c.detainee_number, c.matches) for c in details.candidates]
    assert shown == [(sub.reference, "Karim Haddad", "AB 123", True)]
    # And nothing can be confirmed without saying what was checked
    with pytest.raises(InvalidInput):
        await claims.confirm_claim(store, staff_id=staff.reviewer, claim_id=claim_id, checked=[])
    # When one confirms (document seen) and a second refuses (questions asked)
    await claims.confirm_claim(
        store, staff_id=staff.reviewer, claim_id=claim_id, checked=["document"]
    )
    done = await claims.refuse_claim(
        store, staff_id=staff.senior, claim_id=claim_id, checked=["questions"]
    )
    # Then nothing is delivered, and the audit records what each checked
    assert done.state == "refused"
    assert (await state_of(store, sub.message_id))[0] == "undeliverable"
    trail = [(e.action, json.loads(e.detail)) for e in await audit.entries(store, obj=claim_id)]
    assert ("claim.confirm", {"checked": "document", "confirmations": 1, "state": "open"}) in trail
    assert ("claim.refuse", {"checked": "questions"}) in trail
    # And a delegate is not allowed to look
    with pytest.raises(NotAllowed):
        await claims.claim_details(store, staff_id=staff.delegate_alp, claim_id=claim_id)
