"""Updates waiting in the inbox are erased with their family (issue 14).

Regression: waiting updates were sealed under the system key, so a backup taken while a
family's update waited could still be read after /forget.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.polling import sender_of
from relay import inbox, messages
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import CryptoError
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]


def _update(update_id: int, user_id: int, text: str) -> bytes:
    message = {
        "message_id": 1,
        "from": {"id": user_id, "is_bot": False, "first_name": "A"},
        "chat": {"id": user_id, "type": "private"},
        "date": 0,
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def _restored(
    store: Store, backup: Path, tmp_path: Path, keyring: KeyRing, clock: FakeClock
) -> Store:
    live = tmp_path / "restored.sqlite3"
    shutil.copy(backup, live)
    return await Store.open(live, keyring, clock=clock)


async def test_a_backup_cannot_read_a_forgotten_familys_waiting_update(
    store: Store, keyring: KeyRing, clock: FakeClock, tmp_path: Path, make_family: MakeFamily
) -> None:
    # Given a family whose update waits in the inbox, and another family's update
    family, other = await make_family(), await make_family()
    mine = _update(501, family.telegram_id, "Mon frère s'appelle Karim")
    theirs = _update(502, other.telegram_id, "Hello")
    raws = [(501, mine), (502, theirs)]
    senders = {u: who for u, raw in raws if (who := sender_of(raw)) is not None}
    assert senders == {501: family.telegram_id, 502: other.telegram_id}
    await inbox.store_updates(store, raws, senders)
    # And a backup taken while it waits
    backup = tmp_path / "backup.sqlite3"
    await store.backup(backup)
    # When the family is forgotten
    await messages.forget(store, family.person_id)
    # Then its update is gone from the inbox, the other family's still waits
    assert await inbox.pending(store) == [(502, theirs)]
    assert await inbox.load(store, 501) is None
    # And the backup, opened with today's keys, cannot give it back
    restored = await _restored(store, backup, tmp_path, keyring, clock)
    try:
        with pytest.raises(CryptoError):
            await inbox.load(restored, 501)
        assert await inbox.load(restored, 502) == theirs
    finally:
        await restored.close()


async def test_a_handled_update_cannot_be_read_from_an_older_backup(
    store: Store, keyring: KeyRing, clock: FakeClock, tmp_path: Path
) -> None:
    raw = _update(601, 700_123_456, "Ma mère va bien")
    await inbox.store_updates(store, [(601, raw)])
    backup = tmp_path / "backup.sqlite3"
    await store.backup(backup)
    await inbox.mark_done(store, 601)
    restored = await _restored(store, backup, tmp_path, keyring, clock)
    try:
        with pytest.raises(CryptoError):
            await inbox.load(restored, 601)
    finally:
        await restored.close()


def test_sender_of_reads_the_from_of_any_payload() -> None:
    callback = {"update_id": 7, "callback_query": {"id": "1", "from": {"id": 42}, "data": "x"}}
    assert sender_of(json.dumps(callback).encode()) == 42
    assert sender_of(b'{"update_id": 8, "poll": {"id": "p"}}') is None
    assert sender_of(b"not json") is None
    assert sender_of(b"[1, 2]") is None


async def _inbox_keys(store: Store) -> list[str]:
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT owner_id FROM vault.family_keys WHERE owner_id LIKE 'inbox:%'"
            " ORDER BY owner_id"
        )
    return [r["owner_id"] for r in rows]


async def test_keys_are_written_before_the_updates_and_strays_are_pruned(store: Store) -> None:
    # Given an update waiting, one handled, and the key of one that never reached the database
    # (a kill between the vault's transaction and the database's)
    await inbox.store_updates(store, [(701, _update(701, 1, "a")), (702, _update(702, 1, "b"))])
    await inbox.mark_done(store, 702)
    async with store.tx() as tx:
        await tx.create_family_key("inbox:703")
    assert await _inbox_keys(store) == ["inbox:701", "inbox:703"]
    # When the bot starts again (it prunes first)
    await inbox.prune(store)
    # Then only the waiting update keeps a key, and it still opens
    assert await _inbox_keys(store) == ["inbox:701"]
    assert await inbox.pending(store) == [(701, _update(701, 1, "a"))]
