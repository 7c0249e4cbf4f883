"""The family side: idempotent submit, limits, cancel, resubmit, isolation, forget."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.transport import address_of
from relay import messages, people
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import CryptoError, InvalidTransition, NotFound, RateLimited
from relay.lifecycle import Action, transition
from relay.models import MessageState as S
from relay.models import Profile, Site
from relay.reference import PATTERN
from relay.store import Store
from tests.relay.conftest import Family, NoFindings

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]


async def _state(store: Store, message_id: str) -> str:
    async with store.tx() as tx:
        row = await tx.one("SELECT state FROM messages WHERE id = ?", (message_id,))
    assert row is not None
    return str(row["state"])


async def _set_state(store: Store, message_id: str, state: S) -> None:
    async with store.tx() as tx:
        await tx.execute("UPDATE messages SET state = ? WHERE id = ?", (state.value, message_id))


async def test_submit_is_idempotent_per_submit_key(
    store: Store, make_family: MakeFamily, send: Send, checker: NoFindings
) -> None:
    family = await make_family()
    first = await send(family, "Hello brother, all is well.", submit_key="tap-1")
    again = await send(family, "Hello brother, all is well.", submit_key="tap-1")
    assert PATTERN.fullmatch(first.reference) is not None
    assert (first.created, again.created) == (True, False)
    assert (again.message_id, again.reference) == (first.message_id, first.reference)
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT id, state FROM messages WHERE family_id = ?", (family.person_id,)
        )
        counter = await tx.one(
            "SELECT count FROM counters WHERE person_id = ?", (family.person_id,)
        )
    assert [tuple(r) for r in rows] == [(first.message_id, "submitted")]
    assert counter is not None
    assert counter["count"] == 1  # the replay does not count against the daily limit
    assert checker.checked == ["Hello brother, all is well."]
    assert await messages.find_reference(store, family.person_id, first.reference.lower()) == (
        first.message_id
    )


# Regression: submit_key was once UNIQUE across families but looked up per family.
async def test_same_submit_key_in_two_families_makes_two_messages(
    make_family: MakeFamily, send: Send
) -> None:
    one, two = await make_family(), await make_family()
    a = await send(one, submit_key="update-1")
    b = await send(two, submit_key="update-1")
    assert (a.created, b.created) == (True, True)
    assert a.message_id != b.message_id


async def test_daily_limit(
    store: Store, make_family: MakeFamily, send: Send, clock: FakeClock
) -> None:
    family = await make_family()
    for n in range(3):
        await send(family, f"Letter number {n}.", per_day=3)
    clock.advance(hours=3)  # 12:00 UTC
    with pytest.raises(RateLimited) as limited:
        await send(family, "One too many.", per_day=3)
    assert limited.value.what == "submit"
    assert limited.value.retry_after_s == 12 * 3600
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT COUNT(*) FROM messages WHERE family_id = ?", (family.person_id,)
        )
    assert row is not None
    assert row[0] == 3
    clock.advance(hours=12)  # next day
    assert (await send(family, "A new day.", per_day=3)).created is True


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_REVIEW, S.ESCALATED, S.APPROVED, S.RETURNED])
async def test_cancel_before_printed(
    store: Store, make_family: MakeFamily, send: Send, state: S
) -> None:
    family = await make_family()
    sent = await send(family)
    await _set_state(store, sent.message_id, state)
    await messages.cancel(store, person_id=family.person_id, message_id=sent.message_id)
    assert await _state(store, sent.message_id) == "cancelled"


@pytest.mark.parametrize("state", [S.PRINTED, S.DELIVERED, S.UNDELIVERABLE, S.CANCELLED])
async def test_cancel_refused_once_printed(
    store: Store, make_family: MakeFamily, send: Send, state: S
) -> None:
    family = await make_family()
    sent = await send(family)
    await _set_state(store, sent.message_id, state)
    with pytest.raises(InvalidTransition) as refused:
        await messages.cancel(store, person_id=family.person_id, message_id=sent.message_id)
    assert (refused.value.current, refused.value.wanted) == (state.value, "cancelled")
    assert await _state(store, sent.message_id) == state.value


async def test_resubmit_after_return(
    store: Store, make_family: MakeFamily, send: Send, checker: NoFindings, sites: dict[str, Site]
) -> None:
    family = await make_family()
    sent = await send(family, "First version with a phone number.")
    for to, action in (
        (S.IN_REVIEW, Action.CLAIM),
        (S.RETURNED, Action.RETURN),
    ):
        async with store.tx() as tx:
            await transition(tx, message_id=sent.message_id, to=to, action=action, actor="p_r")
    again = await messages.resubmit(
        store,
        person_id=family.person_id,
        message_id=sent.message_id,
        text="Second version, family news only.",
        checker=checker,
        sites=sites,
    )
    assert (again.message_id, again.reference, again.created) == (
        sent.message_id,
        sent.reference,
        True,
    )
    async with store.tx() as tx:
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (sent.message_id,))
        assert row is not None
        text, redactions = await messages.message_text_in(tx, row)
    assert (row["state"], row["version"]) == ("submitted", 2)
    assert (text, redactions) == ("Second version, family news only.", [])
    views = await messages.list_for(store, family.person_id)
    assert [e.state for e in views[0].timeline] == [
        S.SUBMITTED,
        S.IN_REVIEW,
        S.RETURNED,
        S.SUBMITTED,
    ]
    # A second tap on the same resubmission changes nothing
    replay = await messages.resubmit(
        store,
        person_id=family.person_id,
        message_id=sent.message_id,
        text="Second version, family news only.",
        checker=checker,
        sites=sites,
    )
    assert replay.created is False


async def test_resubmit_refused_unless_returned(
    store: Store, make_family: MakeFamily, send: Send, checker: NoFindings, sites: dict[str, Site]
) -> None:
    family = await make_family()
    sent = await send(family)
    await _set_state(store, sent.message_id, S.APPROVED)
    with pytest.raises(InvalidTransition):
        await messages.resubmit(
            store,
            person_id=family.person_id,
            message_id=sent.message_id,
            text="Changed my mind.",
            checker=checker,
            sites=sites,
        )


async def test_another_family_cannot_see_or_act(
    store: Store, make_family: MakeFamily, send: Send, checker: NoFindings, sites: dict[str, Site]
) -> None:
    owner, stranger = await make_family(), await make_family()
    sent = await send(owner)
    assert await messages.list_for(store, stranger.person_id) == []
    with pytest.raises(NotFound):
        await messages.cancel(store, person_id=stranger.person_id, message_id=sent.message_id)
    with pytest.raises(NotFound):
        await messages.find_reference(store, stranger.person_id, sent.reference)
    with pytest.raises(NotFound):
        await messages.resubmit(
            store,
            person_id=stranger.person_id,
            message_id=sent.message_id,
            text="x y z",
            checker=checker,
            sites=sites,
        )
    with pytest.raises(NotFound):  # nor write through somebody else's addressee
        await messages.submit(
            store,
            person_id=stranger.person_id,
            addressee_id=owner.addressee_id,
            text="Hello",
            lang="en",
            submit_key="s-1",
            checker=checker,
            sites=sites,
        )
    assert await messages.addressees(store, stranger.person_id) != await messages.addressees(
        store, owner.person_id
    )
    assert await _state(store, sent.message_id) == "submitted"


async def _sealed_blobs(db_path: Path, person_id: str) -> list[tuple[str, str, str, bytes]]:
    """Return (table, column, row id, blob) of every sealed field of a family, read raw."""
    conn = sqlite3.connect(db_path)
    out: list[tuple[str, str, str, bytes]] = []
    queries = [
        ("people", "chat", "SELECT id, address_enc FROM people WHERE id = ?"),
        ("people", "profile", "SELECT id, profile_enc FROM people WHERE id = ?"),
        ("addressees", "data", "SELECT id, data_enc FROM addressees WHERE family_id = ?"),
        ("messages", "ref", "SELECT id, ref_enc FROM messages WHERE family_id = ?"),
        ("messages", "body", "SELECT id, body_enc FROM messages WHERE family_id = ?"),
        ("messages", "findings", "SELECT id, findings_enc FROM messages WHERE family_id = ?"),
        ("outbox", "payload", "SELECT id, payload_enc FROM outbox WHERE person_id = ?"),
    ]
    for table, column, sql in queries:
        for row_id, blob in conn.execute(sql, (person_id,)):
            assert blob, f"{table}.{column} is empty"
            out.append((table, column, str(row_id), blob))
    conn.close()
    return out


async def _open_all(store: Store, person_id: str, blobs: list[tuple[str, str, str, bytes]]) -> int:
    opened = 0
    async with store.tx() as tx:
        for table, column, row_id, blob in blobs:
            await tx.open_for(person_id, table, column, row_id, blob)
            opened += 1
    return opened


async def _failures(store: Store, person_id: str, blobs: list[tuple[str, str, str, bytes]]) -> int:
    failed = 0
    async with store.tx() as tx:
        for table, column, row_id, blob in blobs:
            try:
                await tx.open_for(person_id, table, column, row_id, blob)
            except CryptoError:
                failed += 1
    return failed


@pytest.mark.sqlite_only
async def test_forget_destroys_the_family_key_in_the_database_and_in_backups(
    store: Store,
    db_path: Path,
    key_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    tmp_path: Path,
    make_family: MakeFamily,
    send: Send,
) -> None:
    # Given two families with a profile, messages and a notification each
    gone, kept = await make_family(), await make_family()
    for family in (gone, kept):
        await people.save_profile(
            store, family.person_id, Profile(full_name="Leila Nasser", latin_name="Leila Nasser")
        )
        sent = await send(family, "We miss you and pray for you.")
        for to, action in ((S.IN_REVIEW, Action.CLAIM), (S.APPROVED, Action.APPROVE)):
            async with store.tx() as tx:
                await transition(tx, message_id=sent.message_id, to=to, action=action, actor="r")
    gone_blobs = await _sealed_blobs(db_path, gone.person_id)
    kept_blobs = await _sealed_blobs(db_path, kept.person_id)
    assert len(gone_blobs) == len(kept_blobs) == 7
    assert await _open_all(store, gone.person_id, gone_blobs) == 7
    async with store.tx() as tx:
        wrapped = await tx.one(
            "SELECT wrapped FROM vault.family_keys WHERE owner_id = ?", (gone.person_id,)
        )
    assert wrapped is not None
    backup_path = tmp_path / "before-forget.sqlite3"
    await store.backup(backup_path)

    # When the family asks to be forgotten
    printed = await messages.forget(store, gone.person_id)

    # Then none of its blobs opens any more, its rows are gone, and the other family is intact
    assert printed == 0
    assert await _failures(store, gone.person_id, gone_blobs) == 7
    assert await _open_all(store, kept.person_id, kept_blobs) == 7
    async with store.tx() as tx:
        left = await tx.one(
            "SELECT (SELECT COUNT(*) FROM messages WHERE family_id = :p)"
            " + (SELECT COUNT(*) FROM addressees WHERE family_id = :p)"
            " + (SELECT COUNT(*) FROM outbox WHERE person_id = :p)"
            " + (SELECT COUNT(*) FROM vault.family_keys WHERE owner_id = :p) AS n",
            {"p": gone.person_id},
        )
    assert left is not None
    assert left["n"] == 0
    # The wrapped key is overwritten in the vault file, not just unlinked from its b-tree
    vault_bytes = (key_path.parent / "vault.sqlite3").read_bytes()
    assert vault_bytes.count(wrapped["wrapped"]) == 0

    # And a backup taken before the erasure, reopened with the same keys, cannot bring it back
    restored = await Store.open(backup_path, keyring, clock=clock)
    try:
        async with restored.tx() as tx:
            still = await tx.one(
                "SELECT COUNT(*) FROM messages WHERE family_id = ?", (gone.person_id,)
            )
        assert still is not None
        assert still[0] == 1  # the rows are in the backup...
        assert await _failures(restored, gone.person_id, gone_blobs) == 7  # ...but dead
        assert await _open_all(restored, kept.person_id, kept_blobs) == 7
        views = await messages.list_for(restored, kept.person_id)
        assert [v.state for v in views] == [S.APPROVED]
    finally:
        await restored.close()


async def test_forget_counts_printed_messages(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    family = await make_family()
    for state in (S.PRINTED, S.DELIVERED, S.SUBMITTED):
        sent = await send(family)
        await _set_state(store, sent.message_id, state)
    assert await messages.forget(store, family.person_id) == 2
    assert await people.find(store, address_of(family.telegram_id)) is None
