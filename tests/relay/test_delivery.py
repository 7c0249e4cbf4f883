"""Print batches and hand-over records, on a real store, real worker process, real PDF."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from relay import audit, handover, messages, notices, outbox
from relay.clock import FakeClock
from relay.delivery import NothingToExport, export_again, export_batch, relationship_label
from relay.errors import NotAllowed, NotFound, UnprintableCharacters
from relay.handover import Outcome, import_outcomes, record_outcome
from relay.models import Site
from relay.store import Store
from tests.relay.conftest import Family
from tests.relay.delivery_helpers import Staff, approve_all, make_staff, state_of

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


async def _statuses(store: Store) -> list[dict[str, Any]]:
    return [notices.encode(item.notice) for item in await outbox.claim_due(store, limit=500)]


@pytest.fixture
async def staff(store: Store) -> Staff:
    return await make_staff(store)


async def test_export_prints_exactly_the_approved_paper_messages_of_the_site(
    store: Store,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    # Given two approved messages for ALP, one for BRV, and one still waiting at ALP
    alp = await make_family(addressee_name="Karim Haddad")
    brv = await make_family(site_code="BRV")
    first = await send(alp, "We are well, the harvest was good.")
    clock.advance(seconds=1)
    second = await send(alp, "Your sister started school.")
    other = await send(brv, "All is fine at home.")
    await approve_all(store, staff.reviewer)
    waiting = await send(alp, "Written after the review.")
    await _statuses(store)  # drain the approvals
    # When the ALP delegate exports
    progress: list[tuple[int, int]] = []
    batch = await export_batch(
        store,
        actor_id=staff.delegate_alp,
        site="ALP",
        sites=sites,
        progress=lambda done, total: progress.append((done, total)),
        out_dir=tmp_path,
    )
    # Then the batch holds the two approved ALP messages, in submission order
    assert batch.references == (first.reference, second.reference)
    assert progress[-1] == (2, 2)
    text = _text(batch.pdf)
    assert first.reference in text
    assert "Karim Haddad" in text
    assert other.reference not in text
    assert batch.path is not None
    assert stat.S_IMODE(batch.path.stat().st_mode) == 0o600
    assert batch.path.read_bytes() == batch.pdf
    for sub in (first, second):
        assert await state_of(store, sub.message_id) == ("printed", "ALP", batch.id)
    assert await state_of(store, other.message_id) == ("approved", "BRV", None)
    assert (await state_of(store, waiting.message_id))[0] == "submitted"
    # And each family is told "printed", and the hash is in the audit log
    printed = [p for p in await _statuses(store) if p.get("state") == "printed"]
    assert sorted(p["reference"] for p in printed) == sorted([first.reference, second.reference])
    (entry,) = [e for e in await audit.entries(store, obj=batch.id) if e.action == "batch.export"]
    assert json.loads(entry.detail)["sha256"] == batch.sha256
    assert await audit.verify(store) > 0
    # And a second export finds nothing: a message is never in two batches
    with pytest.raises(NothingToExport):
        await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    # And exporting the batch again gives the same bytes
    again = await export_again(store, batch.id, sites=sites)
    assert again.pdf == batch.pdf
    assert again.sha256 == batch.sha256


async def test_only_a_delegate_of_the_site_or_an_admin_exports(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    await send(await make_family())
    await approve_all(store, staff.reviewer)
    for stranger in (staff.delegate_brv, staff.reviewer):
        with pytest.raises(NotAllowed):
            await export_batch(store, actor_id=stranger, site="ALP", sites=sites)
    batch = await export_batch(store, actor_id=staff.admin, site="ALP", sites=sites)
    assert batch.message_count == 1
    refusals = [e for e in await audit.entries(store, obj="export") if e.action == "refused"]
    assert [e.actor for e in refusals] == [staff.reviewer, staff.delegate_brv]


async def test_unprintable_letters_hold_one_message_back_and_the_rest_prints(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    # Given approved messages: one plain, one ending with an emoji, one with a Linear B sign
    # (input accepts it, no bundled font has it)
    fine = await send(await make_family(), "All is well.")
    rose = await send(await make_family(), "We miss you \U0001f339")
    odd = await send(await make_family(), "Look: \U00010000 is our sign.")
    await approve_all(store, staff.reviewer)
    await _statuses(store)  # drain the approvals
    # When the delegate exports
    batch = await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    # Then the plain and the emoji messages print (the emoji left out), the other is held
    assert sorted(batch.references) == sorted([fine.reference, rose.reference])
    assert [(h.reference, h.codes) for h in batch.held] == [(odd.reference, "U+10000")]
    assert "We miss you" in _text(batch.pdf)
    assert await state_of(store, odd.message_id) == ("approved", "ALP", None)
    # And the reviewer who approved it is told once, with the reason, never the text
    told = [p for p in await _statuses(store) if p.get("type") == "print_held"]
    assert told == [{"type": "print_held", "reference": odd.reference, "chars": "U+10000"}]
    held = [
        e
        for e in await audit.entries(store, obj=odd.message_id)
        if e.action == "message.print_held"
    ]
    assert [json.loads(e.detail) for e in held] == [{"chars": "U+10000"}]
    # When it is exported again with nothing else waiting, the batch stops, naming it
    with pytest.raises(UnprintableCharacters) as caught:
        await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    assert caught.value.reference == odd.reference
    assert caught.value.chars == "\U00010000"
    assert [p for p in await _statuses(store) if p.get("type") == "print_held"] == []


def test_relationship_is_printed_through_the_given_translator() -> None:
    assert relationship_label("spouse") == "wife or husband"
    assert relationship_label("mother", lambda s: s.upper()) == "MOTHER"
    assert relationship_label("cousin") == "cousin"


async def _printed(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site], n: int
) -> list[messages.Submitted]:
    subs = [
        await send(await make_family(detainee_number=f"D-{i}"), f"News {i}.") for i in range(n)
    ]
    await approve_all(store, staff.reviewer)
    await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    await _statuses(store)
    return subs


async def test_outcomes_reach_the_family(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    handed, moved, released, lost = await _printed(store, make_family, send, staff, sites, 4)
    # Handed over on a given day -> delivered, the family is told that day
    day = dt.date(2026, 2, 27)
    done = await record_outcome(
        store,
        actor_id=staff.delegate_alp,
        reference=handed.reference,
        outcome=Outcome.HANDED_OVER,
        when=day,
    )
    assert done.state == "delivered"
    # Transferred to a known site -> undeliverable, then back in the queue for BRV
    await record_outcome(
        store,
        actor_id=staff.delegate_alp,
        reference=moved.reference,
        outcome="transferred",
        transferred_to="BRV",
        sites=sites,
    )
    assert await state_of(store, moved.message_id) == ("submitted", "BRV", None)
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT due_at, submitted_at FROM messages WHERE id = ?", (moved.message_id,)
        )
    assert row is not None
    due = dt.datetime.fromisoformat(row["due_at"]) - dt.datetime.fromisoformat(row["submitted_at"])
    assert due == dt.timedelta(days=sites["BRV"].review_days)
    # Released -> held (undeliverable, reason released); unknown likewise with its reason
    await record_outcome(
        store, actor_id=staff.delegate_alp, message_id=released.message_id, outcome="released"
    )
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=lost.reference, outcome="unknown"
    )
    assert (await state_of(store, released.message_id))[0] == "undeliverable"
    told = {(p["reference"], p["state"]): p["detail"] for p in await _statuses(store)}
    assert told[(handed.reference, "delivered")]["date"] == "2026-02-27"
    assert told[(moved.reference, "undeliverable")] == {"reason": "transferred", "to": "BRV"}
    assert told[(released.reference, "undeliverable")] == {"reason": "released"}
    assert told[(lost.reference, "undeliverable")] == {"reason": "unknown"}
    # And the re-queued message is printed again, in a BRV batch
    await approve_all(store, staff.reviewer)
    brv = await export_batch(store, actor_id=staff.delegate_brv, site="BRV", sites=sites)
    assert brv.references == (moved.reference,)


async def test_outcome_of_another_site_is_not_found(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    (sub,) = await _printed(store, make_family, send, staff, sites, 1)
    with pytest.raises(NotFound):
        await record_outcome(
            store, actor_id=staff.delegate_brv, reference=sub.reference, outcome="handed_over"
        )
    with pytest.raises(NotFound):
        await record_outcome(
            store, actor_id=staff.delegate_brv, reference="RCM-0000-0000", outcome="handed_over"
        )
    assert (await state_of(store, sub.message_id))[0] == "printed"


async def test_csv_import_applies_good_lines_and_reports_bad_ones(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    a, b, c = await _printed(store, make_family, send, staff, sites, 3)
    lines = [
        "reference,detainee_number,addressee_latin_name,outcome,date",
        f"{a.reference},D-0,Karim Haddad,handed_over,2026-02-28",
        f"{b.reference},D-1,Karim Haddad,transferred:NOWHERE,",
        "RCM-0000-0000,,Nobody,refused,",
        f"{c.reference},D-2,Karim Haddad,,",
        "RCM-12,,Typo,handed_over,",
        f"{b.reference.lower()},D-1,Karim Haddad,transferred:BRV,",
    ]
    results = await import_outcomes(store, lines, sites=sites)
    assert [(r.line, r.result, r.state, r.error) for r in results] == [
        (2, "recorded", "delivered", ""),
        (3, "error", "", "bad_site"),
        (4, "error", "", "not_found"),
        (5, "skipped", "", ""),
        (6, "error", "", "bad_reference"),
        (7, "recorded", "submitted", ""),
    ]
    assert (await state_of(store, c.message_id))[0] == "printed"
    assert await state_of(store, b.message_id) == ("submitted", "BRV", None)


async def test_checklist_lists_the_batch_with_states(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff, sites: dict[str, Site]
) -> None:
    a, b = await _printed(store, make_family, send, staff, sites, 2)
    await record_outcome(
        store, actor_id=staff.delegate_alp, reference=b.reference, outcome="refused"
    )
    async with store.tx() as tx:
        row = await tx.one("SELECT batch_id FROM messages WHERE id = ?", (a.message_id,))
    assert row is not None
    lines = await handover.checklist(store, actor_id=staff.delegate_alp, batch_id=row["batch_id"])
    # (same submission time here: the batch orders them by id, stably)
    assert sorted((x.reference, x.state, x.outcome, x.detainee_number) for x in lines) == sorted(
        [(a.reference, "printed", "", "D-0"), (b.reference, "undeliverable", "refused", "D-1")]
    )
    with pytest.raises(NotAllowed):
        await handover.checklist(store, actor_id=staff.delegate_brv, batch_id=row["batch_id"])
