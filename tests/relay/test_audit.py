"""The audit chain: verify counts entries and finds every edit, removal and insertion."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from relay import audit
from relay.errors import AuditChainBroken
from relay.lifecycle import Action, transition
from relay.models import MessageState as S
from relay.store import Store
from tests.relay.conftest import Family


@pytest.fixture
async def chain(
    store: Store,
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[object]],
) -> int:
    """Build a chain: consent, submit, claim, approve, print (and a second family)."""
    family = await make_family()
    await make_family()
    message_id = (await send(family)).message_id  # type: ignore[attr-defined]
    for to, action in ((S.IN_REVIEW, Action.CLAIM), (S.APPROVED, Action.APPROVE)):
        async with store.tx() as tx:
            await transition(tx, message_id=message_id, to=to, action=action, actor="p_staff")
    return 5  # two consents, submit, claim, approve


def _raw(db_path: Path, *, drop_triggers: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, isolation_level=None)
    if drop_triggers:  # what an attacker holding the file does first
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
    return conn


async def test_verify_counts_the_entries(store: Store, chain: int) -> None:
    assert await audit.verify(store) == chain
    entries = await audit.entries(store)
    assert [e.action for e in entries] == [
        "message.approve",
        "message.claim",
        "message.submit",
        "person.consent",
        "person.consent",
    ]
    assert [e.seq for e in entries] == [5, 4, 3, 2, 1]


async def test_empty_chain_verifies_as_zero(store: Store) -> None:
    assert await audit.verify(store) == 0


@pytest.mark.sqlite_only
async def test_triggers_refuse_update_and_delete(store: Store, db_path: Path, chain: int) -> None:
    conn = _raw(db_path, drop_triggers=False)
    with pytest.raises(sqlite3.IntegrityError, match="audit log is append-only"):
        conn.execute("UPDATE audit SET detail = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="audit log is append-only"):
        conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.close()
    assert await audit.verify(store) == chain


@pytest.mark.sqlite_only
@pytest.mark.parametrize("column", ["detail", "actor", "action", "object", "at"])
async def test_altered_entry_is_named(
    store: Store, db_path: Path, chain: int, column: str
) -> None:
    conn = _raw(db_path, drop_triggers=True)
    conn.execute(f"UPDATE audit SET {column} = {column} || 'x' WHERE seq = 3")
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (3, "altered")
    assert str(broken.value) == "audit entry 3: altered"


@pytest.mark.sqlite_only
async def test_deleted_middle_entry_is_found(store: Store, db_path: Path, chain: int) -> None:
    conn = _raw(db_path, drop_triggers=True)
    conn.execute("DELETE FROM audit WHERE seq = 3")
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (3, "missing (next entry found is 4)")


@pytest.mark.sqlite_only
async def test_deleted_and_renumbered_entry_is_found(
    store: Store, db_path: Path, chain: int
) -> None:
    conn = _raw(db_path, drop_triggers=True)
    conn.execute("DELETE FROM audit WHERE seq = 3")
    conn.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 3")
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert broken.value.seq == 3
    assert broken.value.why == "does not follow the previous entry (removed or inserted)"


@pytest.mark.sqlite_only
async def test_forged_entry_inserted_in_the_middle_is_found(
    store: Store, db_path: Path, chain: int
) -> None:
    conn = _raw(db_path, drop_triggers=True)
    (prev,) = conn.execute("SELECT mac FROM audit WHERE seq = 2").fetchone()
    for seq in range(chain, 2, -1):  # make room at 3, from the top down (primary key)
        conn.execute("UPDATE audit SET seq = seq + 1 WHERE seq = ?", (seq,))
    conn.execute(
        "INSERT INTO audit(seq, at, actor, action, object, detail, prev, mac)"
        " VALUES (3, '2026-03-01T09:00:00.000000+00:00', 'p_staff', 'message.approve',"
        " 'm_forged', '{}', ?, ?)",
        (prev, "ab" * 32),
    )
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (3, "altered")


@pytest.mark.sqlite_only
async def test_forged_entry_appended_is_found(store: Store, db_path: Path, chain: int) -> None:
    conn = _raw(db_path, drop_triggers=False)  # appending needs no trigger removed
    (prev,) = conn.execute("SELECT mac FROM audit WHERE seq = ?", (chain,)).fetchone()
    conn.execute(
        "INSERT INTO audit(seq, at, actor, action, object, detail, prev, mac)"
        " VALUES (?, '2026-03-02T09:00:00.000000+00:00', 'admin-cli', 'keys.rotate', 'm9',"
        " '{}', ?, ?)",
        (chain + 1, prev, "cd" * 32),
    )
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (chain + 1, "altered")


@pytest.mark.sqlite_only
async def test_replaced_mac_is_found(store: Store, db_path: Path, chain: int) -> None:
    conn = _raw(db_path, drop_triggers=True)
    # (a fixed 'ef' prefix left 1 mac in 256 unchanged: the test then failed by chance)
    conn.execute(
        "UPDATE audit SET mac = CASE WHEN substr(mac, 1, 2) = 'ef' THEN '00' ELSE 'ef' END"
        " || substr(mac, 3) WHERE seq = 1"
    )
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert (broken.value.seq, broken.value.why) == (1, "altered")


async def test_appending_after_verify_keeps_the_chain(store: Store, chain: int) -> None:
    async with store.tx() as tx:
        seq = await audit.append(tx, actor="admin-cli", action="backup", obj="b1", detail={"n": 1})
    assert seq == chain + 1
    assert await audit.verify(store) == chain + 1


@pytest.mark.sqlite_only
async def test_cutting_the_tail_is_detected(store: Store, db_path: Path, chain: int) -> None:
    # Regression: with only a chain inside the database, deleting the last entries went unseen.
    conn = _raw(db_path, drop_triggers=True)
    conn.execute("DELETE FROM audit WHERE seq >= ?", (chain - 1,))
    conn.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert broken.value.seq == chain - 1
    assert broken.value.why == f"missing: the chain ended at {chain}"


@pytest.mark.sqlite_only
async def test_a_head_lagging_after_a_crash_is_not_a_break(
    store: Store, db_path: Path, chain: int
) -> None:
    # A kill between the database's commit and the vault's leaves the head one entry behind.
    vault = store.keys.path.with_name("vault.sqlite3")
    conn = _raw(db_path, drop_triggers=False)
    previous = conn.execute("SELECT mac FROM audit WHERE seq = ?", (chain - 1,)).fetchone()[0]
    conn.close()
    raw_vault = sqlite3.connect(vault, isolation_level=None)
    raw_vault.execute("UPDATE audit_head SET seq = ?, mac = ?", (chain - 1, previous))
    raw_vault.close()
    assert await audit.verify(store) == chain
    # But a head naming an entry that is not in the chain is a break
    raw_vault = sqlite3.connect(vault, isolation_level=None)
    raw_vault.execute("UPDATE audit_head SET mac = ?", ("0" * 64,))
    raw_vault.close()
    with pytest.raises(AuditChainBroken) as broken:
        await audit.verify(store)
    assert broken.value.seq == chain - 1
