"""Updates waiting in the inbox are erased with their family (issue 14).

Regression: waiting updates were sealed under the system key, so a backup taken while a
family's update waited could still be read after /forget. They are now sealed under the
family's key (destroyed by /forget) and dropped from the inbox with the family.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.polling import sender_of
from bot.transport import inbox
from relay import messages
from relay.clock import FakeClock
from relay.crypto import KeyRing, blob_key_id
from relay.errors import CryptoError
from relay.store import Store
from tests.relay.conftest import Family

# These attacks write beneath the store, into the SQLite files themselves.
pytestmark = pytest.mark.sqlite_only

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


async def test_a_waiting_update_of_a_known_family_is_sealed_under_its_key(
    store: Store, make_family: MakeFamily
) -> None:
    # A stranger's first /start has no family yet: the system key; a family's, its own key.
    family = await make_family()
    stranger = 700_999_999
    raws = [(801, _update(801, family.telegram_id, "a")), (802, _update(802, stranger, "b"))]
    await inbox.store_updates(store, raws, {801: family.telegram_id, 802: stranger})
    async with store.tx() as tx:
        rows = await tx.all("SELECT id AS update_id, payload_enc FROM inbox ORDER BY id")
    kinds = [blob_key_id(r["payload_enc"]) for r in rows]
    assert kinds == [f"f:{family.person_id}", store.keys.current_id]
    assert await inbox.pending(store) == raws


def test_sender_of_reads_the_from_of_any_payload() -> None:
    callback = {"update_id": 7, "callback_query": {"id": "1", "from": {"id": 42}, "data": "x"}}
    assert sender_of(json.dumps(callback).encode()) == 42
    assert sender_of(b'{"update_id": 8, "poll": {"id": "p"}}') is None
    assert sender_of(b"not json") is None
    assert sender_of(b"[1, 2]") is None
