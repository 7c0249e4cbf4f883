"""The review queue on a real SQLite file: no double claims, leases, order, staff helpers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.transport import address_of
from relay import messages, review, review_queue, roles
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import Conflict, InvalidInput, NotAllowed
from relay.figures import collect_figures
from relay.models import MessageState, Role, Site
from relay.review import Decision, Verdict
from relay.store import Store
from tests.conftest import Database
from tests.relay.conftest import Family, NoFindings

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]

_ids = itertools.count(810_000_001)


async def reviewer(
    store: Store, langs: tuple[str, ...] = ("en",), role: Role = Role.REVIEWER
) -> str:
    return await roles.grant(
        store,
        actor_id="test",
        target=address_of(next(_ids)),
        role=role,
        languages=langs,
        bootstrap=True,
    )


async def queue_messages(make_family: MakeFamily, send: Send, n: int) -> list[str]:
    family = await make_family()
    return [(await send(family, f"News number {i}.", per_day=1000)).message_id for i in range(n)]


async def state_of(store: Store, message_id: str) -> tuple[str, str | None]:
    async with store.tx() as tx:
        row = await tx.one("SELECT state, claimed_by FROM messages WHERE id = ?", (message_id,))
    assert row is not None
    return row["state"], row["claimed_by"]


async def test_fifty_concurrent_claims_never_hand_out_one_message_twice(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    # Given 30 queued messages and fifty reviewers (a reviewer holds one message at a time)
    queued = await queue_messages(make_family, send, 30)
    staff = [await reviewer(store) for _ in range(50)]
    # When each reviewer claims, all at once
    calls = [review.claim_next(store, reviewer_id=r, lease_s=900) for r in staff]
    items = await asyncio.gather(*calls)
    # Then exactly the 30 messages were handed out, once each, and 20 calls got nothing
    claimed = [i.message_id for i in items if i is not None]
    assert len(claimed) == 30
    assert sorted(claimed) == sorted(queued)
    assert sum(1 for i in items if i is None) == 20


async def test_two_connections_on_one_file_never_double_claim(
    store: Store,
    db_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    database: Database,
    make_family: MakeFamily,
    send: Send,
) -> None:
    # Given a second Store (its own connection: BEGIN IMMEDIATE is what serialises them)
    queued = await queue_messages(make_family, send, 30)
    staff = [await reviewer(store) for _ in range(50)]
    other = await Store.open(
        db_path, keyring, clock=clock, url=database.url, vault_url=database.vault_url
    )
    try:
        # When reviewers claim through both connections at once
        calls = [
            review.claim_next(store if n % 2 else other, reviewer_id=r, lease_s=900)
            for n, r in enumerate(staff)
        ]
        items = await asyncio.gather(*calls)
    finally:
        await other.close()
    # Then no message was handed out twice
    claimed = [i.message_id for i in items if i is not None]
    assert sorted(claimed) == sorted(queued)
    assert len(set(claimed)) == 30


async def test_expired_lease_returns_the_message_to_the_queue(
    store: Store, clock: FakeClock, make_family: MakeFamily, send: Send
) -> None:
    (mid,) = await queue_messages(make_family, send, 1)
    first, second = await reviewer(store), await reviewer(store)
    item = await review.claim_next(store, reviewer_id=first, lease_s=60)
    assert item is not None
    assert await review.claim_next(store, reviewer_id=second, lease_s=60) is None
    # When the lease runs out
    clock.advance(seconds=61)
    # Then the first reviewer can no longer decide, and the other reviewer gets it
    with pytest.raises(Conflict):
        await review.decide(
            store, reviewer_id=first, message_id=mid, decision=Decision(Verdict.APPROVE)
        )
    again = await review.claim_next(store, reviewer_id=second, lease_s=60)
    assert again is not None
    assert again.message_id == mid
    assert await state_of(store, mid) == (MessageState.IN_REVIEW, second)


async def test_the_queue_opens_when_a_lease_ran_out_and_counts_the_message_again(
    store: Store, clock: FakeClock, make_family: MakeFamily, send: Send
) -> None:
    # Given a message claimed by a reviewer who walked away
    (mid,) = await queue_messages(make_family, send, 1)
    first, second = await reviewer(store), await reviewer(store)
    assert await review.claim_next(store, reviewer_id=first, lease_s=60) is not None
    assert sum(line.waiting for line in await review_queue.queue(store, staff_id=second)) == 0
    # When the lease has run out, the other reviewer opens the queue
    clock.advance(seconds=61)
    lines = await review_queue.queue(store, staff_id=second)
    # Then it is there again
    assert sum(line.waiting for line in lines) == 1
    assert await state_of(store, mid) == (MessageState.SUBMITTED, None)


async def test_activity_renews_the_lease(
    store: Store, clock: FakeClock, make_family: MakeFamily, send: Send
) -> None:
    (mid,) = await queue_messages(make_family, send, 1)
    first, second = await reviewer(store), await reviewer(store)
    assert await review.claim_next(store, reviewer_id=first, lease_s=60) is not None
    clock.advance(seconds=50)
    touched = await review.touch(store, reviewer_id=first, message_id=mid, lease_s=60)
    assert touched.lease_until == clock.now() + dt.timedelta(seconds=60)
    clock.advance(seconds=50)  # 100 s after the claim, 50 s after the touch
    assert await review.claim_next(store, reviewer_id=second, lease_s=60) is None
    state = await review.decide(
        store, reviewer_id=first, message_id=mid, decision=Decision(Verdict.APPROVE)
    )
    assert state == MessageState.APPROVED


async def test_queue_order_is_overdue_first_then_oldest(
    store: Store,
    clock: FakeClock,
    make_family: MakeFamily,
    checker: NoFindings,
    sites: dict[str, Site],
) -> None:
    # Given: an old message (14 days to decide), a newer one at a site that allows one day,
    # and one in between; three days later only the newer one is overdue
    fast = {**sites, "BRV": dataclasses.replace(sites["BRV"], review_days=1)}
    alp, brv = await make_family(), await make_family(site_code="BRV")

    async def submit(family: Family, key: str) -> str:
        done = await messages.submit(
            store,
            person_id=family.person_id,
            addressee_id=family.addressee_id,
            text="We are well.",
            lang="en",
            submit_key=key,
            checker=checker,
            sites=fast,
        )
        return done.message_id

    oldest = await submit(alp, "a")
    clock.advance(hours=12)
    middle = await submit(alp, "b")
    clock.advance(hours=12)
    overdue = await submit(brv, "c")
    clock.advance(days=3)
    staff = await reviewer(store)
    # When one reviewer claims and approves them one by one
    order = []
    for _ in range(3):
        item = await review.claim_next(store, reviewer_id=staff, lease_s=900)
        assert item is not None
        order.append((item.message_id, item.overdue))
        await review.decide(
            store,
            reviewer_id=staff,
            message_id=item.message_id,
            decision=Decision(Verdict.APPROVE),
        )
    # Then the overdue one comes first, then the oldest
    assert order == [(overdue, True), (oldest, False), (middle, False)]
    lines = await review.queue(store, staff_id=staff)
    assert lines == []


async def test_queue_counts_readers_and_waits_for_an_unread_language(
    store: Store, make_family: MakeFamily, checker: NoFindings, sites: dict[str, Site]
) -> None:
    family = await make_family(site_code="DLT")
    await messages.submit(
        store,
        person_id=family.person_id,
        addressee_id=family.addressee_id,
        text="همه خوب هستیم.",
        lang="fa",
        submit_key="fa1",
        checker=checker,
        sites=sites,
    )
    ar_reader = await reviewer(store, ("ar", "en"))
    assert await review.claim_next(store, reviewer_id=ar_reader, lease_s=900) is None
    lines = await review.queue(store, staff_id=ar_reader)
    assert [(q.site_code, q.lang, q.waiting, q.readers) for q in lines] == [("DLT", "fa", 1, 0)]
    views = await messages.list_for(store, family.person_id)
    assert [v.waiting_for_reader for v in views] == [True]
    fa_reader = await reviewer(store, ("fa",))
    item = await review.claim_next(store, reviewer_id=fa_reader, lease_s=900)
    assert item is not None
    assert item.lang == "fa"


async def test_release_all_and_figures(store: Store, make_family: MakeFamily, send: Send) -> None:
    await queue_messages(make_family, send, 3)
    staff = await reviewer(store)
    admin = await reviewer(store, (), Role.ADMIN)
    other = await reviewer(store)
    for who in (staff, other):
        assert await review.claim_next(store, reviewer_id=who, lease_s=900) is not None
    figures = await collect_figures(store, staff_id=admin)
    assert figures.by_state == {"in_review": 2, "submitted": 1}
    assert figures.by_site == {"ALP": {"in_review": 2, "submitted": 1}}
    assert await review.release_all(store, reviewer_id=staff) == 1
    assert await review.release_all(store, reviewer_id=other) == 1
    assert (await collect_figures(store, staff_id=admin)).by_state == {"submitted": 3}
    with pytest.raises(NotAllowed):
        await collect_figures(store, staff_id=staff)


@pytest.mark.parametrize(
    ("typed", "span"),
    [
        pytest.param("+963 944", (11, 19), id="exact-words"),
        pytest.param("  +963 944 ", (11, 19), id="surrounding-space"),
        pytest.param("0-4", (0, 4), id="positions"),
        pytest.param("11-27", (11, 27), id="positions-phone"),
    ],
)
def test_find_passage(typed: str, span: tuple[int, int]) -> None:
    assert review.find_passage("Call me on +963 944 123 456, we are all well", typed) == span


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        pytest.param("not there", "passage_not_found", id="absent"),
        pytest.param("we", "passage_ambiguous", id="twice"),
        pytest.param("40-90", "bad_span", id="outside"),
        pytest.param("   ", "empty", id="empty"),
    ],
)
def test_find_passage_refuses(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        review.find_passage("we are well, we are here", typed)
    assert caught.value.code == code
