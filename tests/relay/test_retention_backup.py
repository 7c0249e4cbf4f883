"""Retention purge destroys each purged message's key: an older backup cannot give it back."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from relay import messages, people, retention
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import CryptoError
from relay.models import Site
from relay.store import Store
from tests.relay.conftest import Family


@pytest.mark.sqlite_only
async def test_purged_message_is_unreadable_even_from_an_older_backup(
    store: Store,
    keyring: KeyRing,
    tmp_path: Path,
    clock: FakeClock,
    sites: dict[str, Site],
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[messages.Submitted]],
) -> None:
    # Given a family with a delivered message (old) and a message still waiting
    family = await make_family()
    old = await send(family, "The old letter, delivered long ago.")
    kept = await send(family, "A new letter, still waiting.")
    async with store.tx() as tx:
        await tx.execute("UPDATE messages SET state = 'delivered' WHERE id = ?", (old.message_id,))
        blob = await tx.one("SELECT body_enc FROM messages WHERE id = ?", (old.message_id,))
    assert blob is not None
    old_body = bytes(blob[0])
    # And a backup taken before the purge
    backup = tmp_path / "before.sqlite3"
    await store.backup(backup)
    # When the site's retention has passed and purge runs
    clock.advance(days=sites["ALP"].retention_days + 1)
    report = await retention.purge(store, sites=sites)
    assert report.messages == 1
    # Then the backup, opened with today's keys, cannot open the purged message...
    restored_path = tmp_path / "restored.sqlite3"
    shutil.copy(backup, restored_path)
    restored = await Store.open(restored_path, keyring, clock=clock)
    try:
        async with restored.tx() as tx:
            row = await tx.one("SELECT * FROM messages WHERE id = ?", (old.message_id,))
            assert row is not None
            assert bytes(row["body_enc"]) == old_body
            with pytest.raises(CryptoError):
                await messages.message_text_in(tx, row)
            # ...while the family and its other message are still readable there
            kept_row = await tx.one("SELECT * FROM messages WHERE id = ?", (kept.message_id,))
            assert kept_row is not None
            assert (await messages.message_text_in(tx, kept_row))[0] == (
                "A new letter, still waiting."
            )
            assert await people.address_in(tx, family.person_id) == str(family.telegram_id)
    finally:
        await restored.close()
