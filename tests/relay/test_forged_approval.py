"""Write access to the database without the keys cannot get a letter printed unreviewed.

State, site and addressee are plain columns; the approval seals what it approved, and an
export prints a message only when the columns still say the same (issue 14).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest
from pypdf import PdfReader

from relay import audit, messages, review
from relay.delivery import NothingToExport, export_batch
from relay.models import Site
from relay.store import Store
from tests.relay.conftest import Family
from tests.relay.delivery_helpers import approve_all, make_staff

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]


async def _sql(store: Store, sql: str, *params: object) -> None:
    async with store.tx() as tx:
        await tx.execute(sql, params)


async def _mismatches(store: Store) -> list[str]:
    return [
        str(e.detail)
        for e in await audit.entries(store)
        if e.action == "message.approval_mismatch"
    ]


async def test_a_message_set_to_approved_in_the_database_is_not_printed(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site]
) -> None:
    staff = await make_staff(store)
    # Given a message nobody reviewed, marked approved by someone with write access
    forged = await send(await make_family(), "Call me on 0944 123 456 about the artillery.")
    await _sql(store, "UPDATE messages SET state = 'approved' WHERE id = ?", forged.message_id)
    # When the delegate exports the site, nothing is printed, and the mismatch is audited
    with pytest.raises(NothingToExport):
        await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    assert len(await _mismatches(store)) == 1
    # And a reviewed message beside it still prints, alone
    real = await send(await make_family(), "We are all well.")
    item = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert item is not None
    assert item.message_id == real.message_id  # the forged one is not in the queue
    await review.decide(
        store,
        reviewer_id=staff.reviewer,
        message_id=item.message_id,
        decision=review.Decision(review.Verdict.APPROVE),
    )
    batch = await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    assert batch.references == (real.reference,)
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(batch.pdf)).pages)
    assert "artillery" not in text


async def test_an_approved_letter_moved_to_another_site_or_addressee_is_not_printed(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site]
) -> None:
    staff = await make_staff(store)
    family = await make_family()
    other = await make_family()
    moved = await send(family, "We are all well.")
    readdressed = await send(family, "Your sister passed her exams.")
    await approve_all(store, staff.reviewer)
    # Given two approved letters, one moved to BRV, one given another family's addressee
    await _sql(store, "UPDATE messages SET site_code = 'BRV' WHERE id = ?", moved.message_id)
    await _sql(
        store,
        "UPDATE messages SET addressee_id = ? WHERE id = ?",
        other.addressee_id,
        readdressed.message_id,
    )
    # Then neither prints, at the new site or the old one
    for site, delegate in (("BRV", staff.delegate_brv), ("ALP", staff.delegate_alp)):
        with pytest.raises(NothingToExport):
            await export_batch(store, actor_id=delegate, site=site, sites=sites)
    assert sorted(await _mismatches(store)) == [
        '{"why":"addressee changed after approval"}',
        '{"why":"site changed after approval"}',
    ]
