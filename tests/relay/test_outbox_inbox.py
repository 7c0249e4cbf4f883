"""Outbox (durable notifications) and inbox (durable Telegram updates)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from bot.transport import address_of, inbox
from relay import outbox, people
from relay.clock import FakeClock
from relay.notices import ClaimAlert, Notice
from relay.outbox import OutboxState
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]
N1, N2 = ClaimAlert("claim-1"), ClaimAlert("claim-2")


async def _enqueue(store: Store, person_id: str, notice: Notice) -> int:
    async with store.tx() as tx:
        return await outbox.enqueue(tx, person_id, notice)


async def _row(store: Store, outbox_id: int) -> dict[str, object]:
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT state, attempts, not_before, sent_at, channel_message_id,"
            " length(payload_enc) AS n FROM outbox WHERE id = ?",
            (outbox_id,),
        )
    assert row is not None
    return dict(row)


async def test_enqueue_then_claim_returns_payload_and_chat(
    store: Store, make_family: MakeFamily
) -> None:
    family = await make_family(telegram_id=987654321012)
    outbox_id = await _enqueue(store, family.person_id, N1)
    items = await outbox.claim_due(store)
    assert [(i.id, i.person_id, i.notice, i.attempts, i.address, i.lang) for i in items] == [
        (
            outbox_id,
            family.person_id,
            N1,
            0,
            "987654321012",
            "en",
        )
    ]
    assert (await _row(store, outbox_id))["state"] == OutboxState.SENDING
    assert await outbox.claim_due(store) == []  # not claimed twice
    assert await outbox.counts(store) == {"sending": 1}


async def test_claim_without_consent_has_no_chat(store: Store) -> None:
    person = await people.ensure(store, address_of(555_000_111), "ar")
    await _enqueue(store, person.id, N1)
    (item,) = await outbox.claim_due(store)
    assert (item.address, item.lang) == (None, "ar")


async def test_recover_in_flight_puts_sending_back(
    store: Store, make_family: MakeFamily, clock: FakeClock
) -> None:
    family = await make_family()
    first = await _enqueue(store, family.person_id, N1)
    second = await _enqueue(store, family.person_id, N2)
    assert [i.id for i in await outbox.claim_due(store, limit=1)] == [first]
    # crash: the process restarts with one row in flight (on PostgreSQL, once its lease ended)
    clock.advance(seconds=store.lease_s + 1)
    assert await outbox.recover_in_flight(store) == 1
    assert (await _row(store, first))["state"] == "pending"
    assert [i.notice for i in await outbox.claim_due(store)] == [N1, N2]
    assert (await _row(store, second))["state"] == "sending"
    clock.advance(seconds=store.lease_s + 1)
    assert await outbox.recover_in_flight(store) == 2


async def test_with_several_workers_a_row_in_flight_is_taken_over_only_after_its_lease(
    store: Store, make_family: MakeFamily, clock: FakeClock
) -> None:
    # (a worker alone takes its own rows back at restart: the test above)
    # Given a row claimed by a worker that then died
    family = await make_family()
    first = await _enqueue(store, family.person_id, N1)
    assert [i.id for i in await outbox.claim_due(store)] == [first]
    # When another worker starts and claims while the lease runs: nothing
    assert await outbox.recover_in_flight(store, alone=False) == 0
    assert await outbox.claim_due(store, take_over=True) == []
    # Then once the lease ended the row is claimed again, once
    clock.advance(seconds=store.lease_s + 1)
    assert [i.notice for i in await outbox.claim_due(store, take_over=True)] == [N1]
    assert await outbox.claim_due(store, take_over=True) == []


async def test_an_update_whose_worker_died_is_taken_over_after_its_lease(
    store: Store, clock: FakeClock
) -> None:
    # Given an update stored by a worker (leased to it)
    assert await inbox.store_updates(store, [(41, b'{"update_id": 41}')]) == [41]
    # When others look for abandoned updates while the lease runs: nothing
    assert await inbox.claim_stale(store) == []
    # Then after the lease one of them takes it (once), still pending until handled
    clock.advance(seconds=store.lease_s + 1)
    assert await inbox.claim_stale(store) == [(41, b'{"update_id": 41}')]
    assert await inbox.claim_stale(store) == []
    assert await inbox.pending(store) == [(41, b'{"update_id": 41}')]


async def test_a_stale_update_behind_a_later_one_of_its_sender_is_dropped(
    store: Store, clock: FakeClock
) -> None:
    # Given a worker that stored two updates of one sender and died before handling the first
    raws = [(51, b'{"update_id": 51}'), (52, b'{"update_id": 52}'), (53, b'{"update_id": 53}')]
    await inbox.store_updates(store, raws, {51: 700, 52: 700, 53: 701})
    # When the second was handled meanwhile (another worker took the sender's next step)
    await inbox.mark_done(store, 52)
    clock.advance(seconds=store.lease_s + 1)
    # Then the first is not handled on top of it; another sender's stale update still is
    assert await inbox.claim_stale(store) == [(53, b'{"update_id": 53}')]
    assert await inbox.pending(store) == [(53, b'{"update_id": 53}')]


async def test_mark_sent_drops_the_payload(
    store: Store, make_family: MakeFamily, clock: FakeClock
) -> None:
    family = await make_family()
    outbox_id = await _enqueue(store, family.person_id, N1)
    await outbox.claim_due(store)
    clock.advance(seconds=2)
    await outbox.mark_sent(store, outbox_id, 4242)
    assert await _row(store, outbox_id) == {
        "state": "sent",
        "attempts": 0,
        "not_before": "2026-03-01T09:00:00.000000+00:00",
        "sent_at": "2026-03-01T09:00:02.000000+00:00",
        "channel_message_id": 4242,
        "n": 0,
    }
    assert await outbox.recover_in_flight(store) == 0


async def test_retry_later_honours_not_before(
    store: Store, make_family: MakeFamily, clock: FakeClock
) -> None:
    family = await make_family()
    outbox_id = await _enqueue(store, family.person_id, N1)
    await outbox.claim_due(store)
    await outbox.retry_later(store, outbox_id, 30)
    row = await _row(store, outbox_id)
    assert (row["state"], row["attempts"], row["not_before"]) == (
        "pending",
        1,
        "2026-03-01T09:00:30.000000+00:00",
    )
    clock.advance(seconds=29)
    assert await outbox.claim_due(store) == []
    clock.advance(seconds=1)
    (item,) = await outbox.claim_due(store)
    assert (item.id, item.attempts) == (outbox_id, 1)


async def test_give_up_marks_the_person_unreachable(store: Store, make_family: MakeFamily) -> None:
    family, other = await make_family(), await make_family()
    blocked = await _enqueue(store, family.person_id, N1)
    bad_request = await _enqueue(store, other.person_id, N2)
    await outbox.claim_due(store)
    await outbox.give_up(store, blocked, unreachable_person=family.person_id)
    await outbox.give_up(store, bad_request, unreachable_person=None)
    assert await outbox.counts(store) == {"dead": 2}
    assert (await people.get(store, family.person_id)).unreachable is True
    assert (await people.get(store, other.person_id)).unreachable is False
    # consenting again (the user unblocked the bot and wrote /start) makes them reachable
    await people.record_consent(store, family.person_id, str(family.telegram_id))
    assert (await people.get(store, family.person_id)).unreachable is False


def _update(update_id: int, text: str) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "chat": {"id": 987654321012},
                "from": {"first_name": "Olena"},
                "text": text,
            },
        },
        ensure_ascii=False,
    ).encode()


async def test_store_updates_is_idempotent_and_offset_only_advances(store: Store) -> None:
    assert await inbox.offset(store) == 0
    assert await inbox.store_updates(store, []) == []
    assert await inbox.store_updates(store, [(10, _update(10, "a")), (11, _update(11, "b"))]) == [
        10,
        11,
    ]
    assert await inbox.offset(store) == 12
    # Telegram sends 11 again (our confirmation did not reach it) together with 12
    assert await inbox.store_updates(store, [(11, _update(11, "b")), (12, _update(12, "c"))]) == [
        12
    ]
    assert await inbox.offset(store) == 13
    # An older batch replayed never moves the offset back
    assert await inbox.store_updates(store, [(5, _update(5, "old"))]) == [5]
    assert await inbox.offset(store) == 13
    assert [u for u, _ in await inbox.pending(store)] == [5, 10, 11, 12]
    assert dict(await inbox.pending(store))[11] == _update(11, "b")


async def test_offset_compares_numbers_not_text(store: Store) -> None:
    await inbox.store_updates(store, [(9, _update(9, "x"))])
    await inbox.store_updates(store, [(99, _update(99, "y"))])
    await inbox.store_updates(store, [(10, _update(10, "z"))])  # "11" < "100" as text too
    assert await inbox.offset(store) == 100


async def test_mark_done_drops_the_payload(store: Store) -> None:
    await inbox.store_updates(store, [(1, _update(1, "Привіт")), (2, _update(2, "b"))])
    assert await inbox.load(store, 1) == _update(1, "Привіт")
    await inbox.mark_done(store, 1)
    assert await inbox.load(store, 1) is None
    assert [u for u, _ in await inbox.pending(store)] == [2]
    async with store.tx() as tx:
        rows = await tx.all("SELECT id AS update_id, state, payload_enc FROM inbox ORDER BY id")
    assert [(r["update_id"], r["state"], r["payload_enc"] is None) for r in rows] == [
        (1, "done", True),
        (2, "pending", False),
    ]
    assert b"Olena" not in rows[1]["payload_enc"]


async def test_prune_keeps_the_latest_done(store: Store) -> None:
    await inbox.store_updates(store, [(u, _update(u, "t")) for u in range(1, 11)])
    for u in range(1, 10):
        await inbox.mark_done(store, u)
    assert await inbox.prune(store, keep=3) == 6  # done and below 10 - 3
    async with store.tx() as tx:
        rows = await tx.all("SELECT id AS update_id FROM inbox ORDER BY id")
    assert [r[0] for r in rows] == [7, 8, 9, 10]
