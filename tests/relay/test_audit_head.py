"""The audit chain continues from the head kept in the vault, never from the last row.

Regression (issue 14): after the tail was cut, the next audited action (even a stranger's
refused /queue) appended from the last remaining row and moved the head there, after which
verify said "intact"; a restored backup behaved the same; a missing head skipped the check.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from relay import audit, roles
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.errors import AuditChainBroken, NotAllowed
from relay.models import Role
from relay.store import Store
from tests.relay.conftest import Family

# These attacks write beneath the store, into the SQLite files themselves.
pytestmark = pytest.mark.sqlite_only

MakeFamily = Callable[..., Awaitable[Family]]


async def _refused_queue(store: Store) -> None:
    """What a stranger typing /queue does: a refusal, audited."""
    with pytest.raises(NotAllowed):
        await roles.require(store, None, Role.REVIEWER, action="queue")


async def _chain(store: Store, make_family: MakeFamily, families: int) -> int:
    for _ in range(families):
        await make_family()  # one consent entry each
    return families


def _cut(db_path: Path, from_seq: int) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq >= ?", (from_seq,))
    conn.close()


async def test_a_cut_tail_stays_reported_after_the_next_action(
    store: Store, db_path: Path, make_family: MakeFamily
) -> None:
    # Given a chain of four entries whose last two are cut off in the database
    count = await _chain(store, make_family, 4)
    _cut(db_path, 3)
    # When a stranger's refused /queue is audited next
    await _refused_queue(store)
    # Then verify still fails, naming the gap the next entry recorded
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert broken.value.seq == count + 1
    assert broken.value.why == (
        "recorded gap: entries 3 to 4 were missing"
        " (cut from the database, or the database was restored from a backup)"
    )
    # And the refusal itself follows the gap entry, numbered after the lost ones
    entries = await audit.entries(store, limit=3)
    assert [(e.seq, e.action) for e in entries] == [
        (6, "refused"),
        (5, "audit.gap"),
        (2, "person.consent"),
    ]
    # And more actions do not clear the alarm
    await _refused_queue(store)
    with pytest.raises(AuditChainBroken) as again:
        await audit.verify(store)
    assert again.value.seq == count + 1


async def test_a_restored_backup_keeps_reporting_the_lost_entries(
    store: Store,
    keyring: KeyRing,
    clock: FakeClock,
    tmp_path: Path,
    make_family: MakeFamily,
) -> None:
    # Given a backup taken after two entries, then three more entries
    await _chain(store, make_family, 2)
    backup = tmp_path / "backup.sqlite3"
    await store.backup(backup)
    await _chain(store, make_family, 3)
    await store.close()
    # When the database is restored from the backup and the bot carries on
    live = tmp_path / "restored.sqlite3"
    shutil.copy(backup, live)
    restored = await Store.open(live, keyring, clock=clock)
    try:
        with pytest.raises(AuditChainBroken) as before:
            await audit.verify(restored)
        assert before.value.why == "missing: the chain ended at 5"
        await _refused_queue(restored)
        # Then verify reports the three entries the restore lost
        with pytest.raises(AuditChainBroken) as broken:
            await audit.verify(restored)
        assert broken.value.seq == 6
        assert broken.value.why.startswith("recorded gap: entries 3 to 5 were missing")
    finally:
        await restored.close()


async def test_a_missing_head_is_an_error_once_the_chain_has_entries(
    store: Store, make_family: MakeFamily
) -> None:
    await _chain(store, make_family, 2)
    vault = store.keys.path.with_name("vault.sqlite3")
    raw = sqlite3.connect(vault, isolation_level=None)
    raw.execute("DELETE FROM audit_head")
    raw.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (
        2,
        "the recorded head of the chain is missing from the vault",
    )
    # The next action records the gap, and verify goes on reporting it
    await _refused_queue(store)
    with pytest.raises(AuditChainBroken) as after:
        await audit.verify(store)
    assert (after.value.seq, after.value.why) == (
        3,
        "recorded gap: the head of the chain was missing after entry 2",
    )


async def test_a_forged_gap_entry_does_not_pass(
    store: Store, db_path: Path, make_family: MakeFamily
) -> None:
    # An attacker without the audit key cannot write a gap entry of their own.
    await _chain(store, make_family, 2)
    conn = sqlite3.connect(db_path, isolation_level=None)
    prev = conn.execute("SELECT mac FROM audit WHERE seq = 2").fetchone()[0]
    conn.execute(
        "INSERT INTO audit(seq, at, actor, action, object, detail, prev, mac)"
        " VALUES (9, 'x', 'system', 'audit.gap', 'audit', '{}', ?, ?)",
        (prev, "f" * 64),
    )
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert broken.value.seq == 3
    assert broken.value.why == "missing (next entry found is 9)"


async def test_an_intact_chain_with_a_head_verifies(store: Store, make_family: MakeFamily) -> None:
    count = await _chain(store, make_family, 3)
    await _refused_queue(store)
    assert await audit.verify(store) == count + 1
