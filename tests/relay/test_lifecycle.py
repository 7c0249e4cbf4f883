"""The life cycle table: every (from, to, action) combination, and concurrent moves."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from bot.transport import address_of
from relay import people
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import Conflict, InvalidTransition
from relay.lifecycle import NOTIFY_FAMILY, TRANSITIONS, Action, allowed, transition
from relay.models import MessageState as S
from relay.reference import new_reference
from relay.store import Store
from tests.conftest import Database
from tests.relay.conftest import Family

ACTIONS = sorted(v for k, v in vars(Action).items() if k.isupper())
COMBINATIONS = list(itertools.product(list(S), list(S), ACTIONS))


def test_the_table_names_only_known_actions() -> None:
    assert len(ACTIONS) == 15
    used = set().union(*TRANSITIONS.values())
    assert used == set(ACTIONS)
    assert len(COMBINATIONS) == 10 * 10 * 15
    # 15 pairs with one action, release and lease expiry on one pair, 5 cancellable states
    assert sum(allowed(a, b, c) for a, b, c in COMBINATIONS) == 21


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def table_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Store, str]]:
    """One store for the 1 500 combinations (each gets its own message)."""
    root = tmp_path_factory.mktemp("lifecycle")
    keys = KeyRing.load_or_create(root / "keys" / "master.json")
    store = await Store.open(root / "rcm.sqlite3", keys, clock=FakeClock())
    person = await people.ensure(store, address_of(123_456_789), "en")
    yield store, person.id
    await store.close()


async def _new_message(store: Store, family_id: str, state: S) -> str:
    message_id = "m_" + secrets.token_hex(8)
    async with store.tx() as tx:
        await tx.execute(
            "INSERT INTO messages(id, ref_index, ref_enc, kind, family_id, site_code, lang,"
            " state, created_at, updated_at) VALUES (?, ?, ?, 'message', ?, 'ALP', 'en', ?,"
            " ?, ?)",
            (
                message_id,
                secrets.token_bytes(16),
                await tx.seal_for(family_id, "messages", "ref", message_id, new_reference()),
                family_id,
                state.value,
                tx.now(),
                tx.now(),
            ),
        )
    return message_id


async def _counts(store: Store, message_id: str) -> tuple[str, int, int, int]:
    async with store.tx() as tx:
        state = await tx.one("SELECT state FROM messages WHERE id = ?", (message_id,))
        events = await tx.one("SELECT COUNT(*) FROM events WHERE message_id = ?", (message_id,))
        audit = await tx.one("SELECT COUNT(*) FROM audit WHERE object = ?", (message_id,))
        outbox = await tx.one("SELECT COUNT(*) FROM outbox")
    assert state is not None
    assert events is not None
    assert audit is not None
    assert outbox is not None
    return state[0], events[0], audit[0], outbox[0]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("current", "wanted", "action"),
    COMBINATIONS,
    ids=[f"{a.value}-{b.value}-{c}" for a, b, c in COMBINATIONS],
)
async def test_every_combination(
    table_store: tuple[Store, str], current: S, wanted: S, action: str
) -> None:
    store, family_id = table_store
    message_id = await _new_message(store, family_id, current)
    _, events0, audit0, outbox0 = await _counts(store, message_id)
    assert (events0, audit0) == (0, 0)
    if action in TRANSITIONS.get((current, wanted), frozenset()):
        async with store.tx() as tx:
            left = await transition(
                tx, message_id=message_id, to=wanted, action=action, actor="tester"
            )
        assert left == current
        told = 1 if wanted in NOTIFY_FAMILY else 0
        assert await _counts(store, message_id) == (wanted.value, 1, 1, outbox0 + told)
        async with store.tx() as tx:
            entry = await tx.one(
                "SELECT actor, action, detail FROM audit WHERE object = ?", (message_id,)
            )
            event = await tx.one(
                "SELECT seq, state FROM events WHERE message_id = ?", (message_id,)
            )
        assert entry is not None
        assert event is not None
        assert tuple(entry) == (
            "tester",
            f"message.{action}",
            f'{{"from":"{current.value}","to":"{wanted.value}"}}',
        )
        assert tuple(event) == (1, wanted.value)
    else:
        with pytest.raises(InvalidTransition) as raised:
            async with store.tx() as tx:
                await transition(
                    tx, message_id=message_id, to=wanted, action=action, actor="tester"
                )
        assert (raised.value.current, raised.value.wanted) == (current.value, wanted.value)
        assert await _counts(store, message_id) == (current.value, 0, 0, outbox0)


async def _set_state(store: Store, message_id: str, state: S) -> None:
    async with store.tx() as tx:
        await tx.execute("UPDATE messages SET state = ? WHERE id = ?", (state.value, message_id))


async def test_two_concurrent_moves_on_one_store_one_wins(
    store: Store,
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[object]],
) -> None:
    family = await make_family()
    message_id = (await send(family)).message_id  # type: ignore[attr-defined]
    await _set_state(store, message_id, S.IN_REVIEW)

    async def move(to: S, action: str) -> S:
        async with store.tx() as tx:
            await asyncio.sleep(0)  # let the other task try to start meanwhile
            return await transition(tx, message_id=message_id, to=to, action=action, actor="r")

    results = await asyncio.gather(
        move(S.APPROVED, Action.APPROVE), move(S.RETURNED, Action.RETURN), return_exceptions=True
    )
    wins = [r for r in results if r == S.IN_REVIEW]
    losses = [r for r in results if isinstance(r, InvalidTransition | Conflict)]
    assert (len(wins), len(losses)) == (1, 1)
    async with store.tx() as tx:
        row = await tx.one("SELECT state FROM messages WHERE id = ?", (message_id,))
        events = await tx.all(
            "SELECT state FROM events WHERE message_id = ? ORDER BY seq", (message_id,)
        )
    assert row is not None
    assert row["state"] == (S.APPROVED if results[0] == S.IN_REVIEW else S.RETURNED)
    assert [e["state"] for e in events] == ["submitted", row["state"]]


async def test_two_connections_on_one_file_one_wins(
    store: Store,
    db_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    database: Database,
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[object]],
) -> None:
    # Given a message in review and a second process (its own connection) on the same file
    family = await make_family()
    message_id = (await send(family)).message_id  # type: ignore[attr-defined]
    await _set_state(store, message_id, S.IN_REVIEW)
    other = await Store.open(
        db_path, keyring, clock=clock, url=database.url, vault_url=database.vault_url
    )
    first_inside = asyncio.Event()

    async def approve() -> S:
        async with store.tx() as tx:
            first_inside.set()
            await asyncio.sleep(0.05)  # hold the write lock while the other one knocks
            return await transition(
                tx, message_id=message_id, to=S.APPROVED, action=Action.APPROVE, actor="r1"
            )

    async def give_back() -> S:
        await first_inside.wait()
        async with other.tx() as tx:  # BEGIN IMMEDIATE waits for the first to commit
            return await transition(
                tx, message_id=message_id, to=S.RETURNED, action=Action.RETURN, actor="r2"
            )

    try:
        # When both try at once
        results = await asyncio.gather(approve(), give_back(), return_exceptions=True)
    finally:
        await other.close()
    # Then exactly one wins and the other is refused
    assert results[0] == S.IN_REVIEW
    assert isinstance(results[1], InvalidTransition)
    assert (results[1].current, results[1].wanted) == ("approved", "returned")
    async with store.tx() as tx:
        row = await tx.one("SELECT state FROM messages WHERE id = ?", (message_id,))
        audit_rows = await tx.all("SELECT actor FROM audit WHERE object = ?", (message_id,))
    assert row is not None
    assert row["state"] == "approved"
    assert [a["actor"] for a in audit_rows] == [family.person_id, "r1"]
