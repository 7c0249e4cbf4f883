"""Notices: one codec between the outbox's sealed JSON and the dataclasses the front ends read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from relay import notices, outbox
from relay.notices import (
    BacklogAlert,
    ClaimAlert,
    DigitalMessage,
    EscalationAlert,
    Notice,
    NoticeError,
    PrintHeld,
    ReplyArrived,
    StatusChanged,
)
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]

EVERY_KIND: list[Notice] = [
    StatusChanged("m_1", "message", "approved", "RCM-AAAA-BBBB", {"redactions": "2"}),
    StatusChanged("m_2", "message", "returned", "RCM-CCCC-DDDD", {"reason": "other"}, "Shorter"),
    ReplyArrived("m_3", "RCM-EEEE-FFFF", "Kiss the children", has_photo=True),
    ReplyArrived("m_4", "RCM-EEEE-FFFF", "", has_photo=False, photo_removed="face"),
    DigitalMessage("m_5", "RCM-GGGG-HHHH", "We are well", "Amal Haddad"),
    EscalationAlert("RCM-JJJJ-KKKK", "ALP", "ar"),
    ClaimAlert("c_1"),
    BacklogAlert("daily", "ALP", 3, 0),
    BacklogAlert("overdue", "BRV", 5, 2),
    PrintHeld("RCM-LLLL-MMMM", "U+10FFFF"),
]

# What the producers wrote before notices were dataclasses (relay/lifecycle.py,
# chat_delivery.py, claims.py, alerts.py and print_held.py at commit 8006310): rows queued
# then and still in the outbox at the upgrade decode to these notices.
OLD_ROWS: list[tuple[dict[str, object], Notice]] = [
    (
        {
            "type": "status",
            "message_id": "m_1",
            "kind": "message",
            "state": "returned",
            "detail": {"reason": "too_long"},
            "reference": "RCM-AAAA-BBBB",
            "note": "Please shorten it",
        },
        StatusChanged(
            "m_1",
            "message",
            "returned",
            "RCM-AAAA-BBBB",
            {"reason": "too_long"},
            "Please shorten it",
        ),
    ),
    (
        {
            "type": "status",
            "message_id": "m_1",
            "kind": "message",
            "state": "printed",
            "detail": {},
            "reference": "RCM-AAAA-BBBB",
        },
        StatusChanged("m_1", "message", "printed", "RCM-AAAA-BBBB"),
    ),
    (
        {
            "type": "reply",
            "message_id": "m_3",
            "reference": "RCM-EEEE-FFFF",
            "text": "Kiss the children",
            "has_photo": False,
            "photo_removed": "",
        },
        ReplyArrived("m_3", "RCM-EEEE-FFFF", "Kiss the children", has_photo=False),
    ),
    (
        {
            "type": "digital",
            "message_id": "m_5",
            "reference": "RCM-GGGG-HHHH",
            "text": "We are well",
            "sender": "",
        },
        DigitalMessage("m_5", "RCM-GGGG-HHHH", "We are well", ""),
    ),
    (
        {
            "type": "alert",
            "alert": "escalation",
            "reference": "RCM-JJJJ-KKKK",
            "site": "ALP",
            "lang": "fa",
        },
        EscalationAlert("RCM-JJJJ-KKKK", "ALP", "fa"),
    ),
    ({"type": "alert", "alert": "claim", "claim": "c_9"}, ClaimAlert("c_9")),
    (
        {"type": "alert", "alert": "overdue", "site": "ALP", "waiting": 4, "overdue": 1},
        BacklogAlert("overdue", "ALP", 4, 1),
    ),
    (
        {"type": "print_held", "reference": "RCM-LLLL-MMMM", "chars": "U+E000"},
        PrintHeld("RCM-LLLL-MMMM", "U+E000"),
    ),
]


@pytest.mark.parametrize("notice", EVERY_KIND, ids=lambda n: type(n).__name__)
def test_every_notice_survives_the_codec(notice: Notice) -> None:
    assert notices.decode(notices.encode(notice)) == notice


@pytest.mark.parametrize(("payload", "notice"), OLD_ROWS, ids=lambda p: str(p)[:30])
def test_rows_written_by_the_old_producers_decode(
    payload: dict[str, object], notice: Notice
) -> None:
    assert notices.decode(payload) == notice
    assert notices.encode(notice) == payload  # and are written in the same shape


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ([1, 2], "payload is a list, not an object"),
        ({"type": "hello"}, "unknown notice kind"),
        ({"n": 1}, "unknown notice kind"),
        ({"type": "alert", "alert": "party"}, "unknown alert"),
        ({"type": "status", "state": "approved"}, "field 'message_id' is not text"),
        (
            {"type": "alert", "alert": "daily", "site": "A", "waiting": "3", "overdue": 0},
            "field 'waiting' is not a number",
        ),
        (
            {"type": "reply", "message_id": "m", "has_photo": "yes"},
            "field 'has_photo' is not a flag",
        ),
        (
            {"type": "status", "message_id": "m", "state": "x", "detail": {"n": 2}},
            "field 'detail' is not a map of codes",
        ),
    ],
)
def test_a_payload_that_is_no_notice_raises_a_typed_error(payload: object, why: str) -> None:
    with pytest.raises(NoticeError) as caught:
        notices.decode(payload)
    assert str(caught.value) == why


async def _queue_raw(store: Store, person_id: str, payload: object) -> int:
    """Queue a payload the way the producers did before the codec (a sealed plain dict)."""
    async with store.tx() as tx:
        row = await tx.one(
            "INSERT INTO outbox(person_id, payload_enc, not_before, created_at)"
            " VALUES (?, x'', ?, ?) RETURNING id",
            (person_id, tx.now(), tx.now()),
        )
        assert row is not None
        blob = await tx.seal_for(person_id, "outbox", "payload", str(row["id"]), payload)
        await tx.execute("UPDATE outbox SET payload_enc = ? WHERE id = ?", (blob, row["id"]))
        return int(row["id"])


async def test_old_rows_are_claimed_as_notices_and_a_bad_one_is_dropped_once(
    store: Store, make_family: MakeFamily, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an outbox holding rows queued before the upgrade, and one no version can read
    family = await make_family()
    old = [await _queue_raw(store, family.person_id, payload) for payload, _ in OLD_ROWS[:3]]
    bad = await _queue_raw(store, family.person_id, {"type": "hologram", "text": "secret"})
    new = await _queue_raw(store, family.person_id, notices.encode(ClaimAlert("c_2")))
    # When the dispatcher claims them
    claimed = await outbox.claim_due(store)
    # Then the old rows come back as notices, the bad one is dead and logged by id only
    assert [(i.id, i.notice) for i in claimed] == [
        *zip(old, [n for _, n in OLD_ROWS[:3]], strict=True),
        (new, ClaimAlert("c_2")),
    ]
    assert await outbox.counts(store) == {"sending": 4, "dead": 1}
    assert [r.getMessage() for r in caplog.records if r.name == "relay.outbox"] == [
        f"outbox {bad}: undecodable notice (unknown notice kind); dropped"
    ]
    # And it is never claimed again (no crash loop)
    await outbox.recover_in_flight(store)
    assert [i.id for i in await outbox.claim_due(store)] == [*old, new]
