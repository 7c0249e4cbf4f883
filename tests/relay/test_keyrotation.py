"""keys rotate: one new master, everything still opens, restarts and restores included."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.transport import inbox
from relay import audit, messages, people
from relay.clock import FakeClock
from relay.crypto import KeyRing, blob_key_id
from relay.keyrotation import SYSTEM_FIELDS, RotationReport, rotate
from relay.models import MessageState as S
from relay.models import Profile
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]
RELAY = Path(__file__).resolve().parents[2] / "relay"


def _key_file(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _restore(backup: Path, db_path: Path) -> None:
    """Copy a backup over the database, as an operator restoring it would."""
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, db_path)


async def _world(store: Store, make_family: MakeFamily, send: Send) -> dict[str, object]:
    """Three families with profiles and messages, and three pending inbox updates."""
    families = [await make_family(telegram_id=900_000_000 + n) for n in range(3)]
    texts: dict[str, str] = {}
    for n, family in enumerate(families):
        await people.save_profile(
            store, family.person_id, Profile(full_name=f"Амина {n}", latin_name=f"Amina {n}")
        )
        sent = await send(family, f"Letter {n}: the garden is green.")
        texts[sent.message_id] = f"Letter {n}: the garden is green."
    updates = [
        (100 + n, f'{{"update_id": {100 + n}, "name": "Олена"}}'.encode()) for n in range(3)
    ]
    await inbox.store_updates(store, updates)
    await inbox.store_updates(store, [(103, b'{"update_id": 103}')])
    await inbox.mark_done(store, 103)  # its payload is gone: nothing to re-seal
    return {"families": families, "texts": texts, "updates": updates}


async def _everything_opens(store: Store, world: dict[str, object]) -> None:
    families: list[Family] = world["families"]  # type: ignore[assignment]
    texts: dict[str, str] = world["texts"]  # type: ignore[assignment]
    for n, family in enumerate(families):
        profile = await people.load_profile(store, family.person_id)
        assert profile is not None
        assert profile.full_name == f"Амина {n}"
        views = await messages.list_for(store, family.person_id)
        assert [(v.state, v.addressee_name) for v in views] == [(S.SUBMITTED, "Karim Haddad")]
        async with store.tx() as tx:
            assert await people.address_in(tx, family.person_id) == str(family.telegram_id)
            row = await tx.one("SELECT * FROM messages WHERE id = ?", (views[0].id,))
            assert row is not None
            assert (await messages.message_text_in(tx, row))[0] == texts[views[0].id]
    assert await inbox.pending(store) == world["updates"]


async def test_rotate_rewraps_reseals_and_retires(
    store: Store, key_path: Path, make_family: MakeFamily, send: Send
) -> None:
    # Given a store with family data and inbox updates under m1
    world = await _world(store, make_family, send)
    audited = await audit.verify(store)

    # When the keys are rotated
    report = await rotate(store, actor="p_admin")

    # Then one new master is left in the key file and everything opens
    # (three families and their three messages: each message has a data key of its own)
    assert report == RotationReport(
        new_key_id="m2", family_keys_rewrapped=6, fields_resealed=3, retired=("m1",)
    )
    data = _key_file(key_path)
    assert data["current"] == "m2"
    assert [m["id"] for m in data["masters"]] == ["m2"]  # type: ignore[attr-defined]
    assert store.keys.master_ids == ["m2"]
    store.key_cache.clear()  # make every family key come from the vault again
    await _everything_opens(store, world)
    async with store.tx() as tx:
        wrapped = await tx.all("SELECT wrapped FROM vault.family_keys")
        sealed = await tx.all("SELECT payload_enc FROM inbox WHERE payload_enc IS NOT NULL")
    assert {blob_key_id(r[0]) for r in wrapped} == {"m2"}
    assert [blob_key_id(r[0]) for r in sealed] == ["m2", "m2", "m2"]
    # And the rotation is in the audit chain
    assert await audit.verify(store) == audited + 1
    (entry,) = await audit.entries(store, obj="m2")
    assert (entry.actor, entry.action, json.loads(entry.detail)) == (
        "p_admin",
        "keys.rotate",
        {"family_keys": 6, "fields": 3, "retire": ["m1"]},
    )


@pytest.mark.sqlite_only
async def test_after_rotation_a_restart_and_a_restore_read_everything(
    store: Store,
    db_path: Path,
    key_path: Path,
    clock: FakeClock,
    tmp_path: Path,
    make_family: MakeFamily,
    send: Send,
) -> None:
    world = await _world(store, make_family, send)
    await rotate(store, actor="admin-cli")
    backup = tmp_path / "after-rotation.sqlite3"
    await store.backup(backup)
    await store.close()

    # A restart: the key file and the database are read afresh
    ring = KeyRing.load_or_create(key_path)
    assert (ring.current_id, ring.master_ids) == ("m2", ["m2"])
    restarted = await Store.open(db_path, ring, clock=clock)
    await _everything_opens(restarted, world)
    entries = await audit.verify(restarted)
    # New data after the restart goes under the new key too
    await inbox.store_updates(restarted, [(200, b'{"update_id": 200}')])
    assert await inbox.load(restarted, 200) == b'{"update_id": 200}'
    await restarted.close()

    # A restore: the backup is copied over the database
    _restore(backup, db_path)
    restored = await Store.open(db_path, KeyRing.load_or_create(key_path), clock=clock)
    try:
        await _everything_opens(restored, world)
        assert await audit.verify(restored) == entries
    finally:
        await restored.close()


@pytest.mark.sqlite_only
async def test_crash_after_add_master_before_commit_loses_nothing(
    store: Store,
    key_path: Path,
    db_path: Path,
    clock: FakeClock,
    make_family: MakeFamily,
    send: Send,
) -> None:
    # Given a rotation that stopped right after the new key reached the key file
    world = await _world(store, make_family, send)
    assert store.keys.add_master() == "m2"
    await store.close()
    # Then a restart still reads everything (blobs name m1, which is still in the file)
    ring = KeyRing.load_or_create(key_path)
    assert (ring.current_id, ring.master_ids) == ("m2", ["m1", "m2"])
    restarted = await Store.open(db_path, ring, clock=clock)
    try:
        await _everything_opens(restarted, world)
        # And the next rotation finishes the job and retires both older keys
        report = await rotate(restarted, actor="admin-cli")
        assert (report.new_key_id, report.retired) == ("m3", ("m1", "m2"))
        assert KeyRing.load_or_create(key_path).master_ids == ["m3"]
        restarted.key_cache.clear()
        await _everything_opens(restarted, world)
    finally:
        await restarted.close()


@pytest.mark.sqlite_only
async def test_crash_after_commit_before_retire_is_finished_by_the_next_rotation(
    store: Store,
    key_path: Path,
    db_path: Path,
    clock: FakeClock,
    make_family: MakeFamily,
    send: Send,
) -> None:
    world = await _world(store, make_family, send)
    # retire=False is exactly the state a crash between commit and retire leaves
    kept = await rotate(store, actor="admin-cli", retire=False)
    assert (kept.new_key_id, kept.retired) == ("m2", ())
    await store.close()
    ring = KeyRing.load_or_create(key_path)
    assert ring.master_ids == ["m1", "m2"]
    restarted = await Store.open(db_path, ring, clock=clock)
    try:
        await _everything_opens(restarted, world)
        report = await rotate(restarted, actor="admin-cli")
        assert (report.new_key_id, report.retired) == ("m3", ("m1", "m2"))
        restarted.key_cache.clear()
        await _everything_opens(restarted, world)
        assert await audit.verify(restarted) >= 2
    finally:
        await restarted.close()


async def test_rotation_of_an_empty_store(store: Store) -> None:
    report = await rotate(store, actor="admin-cli")
    assert report == RotationReport("m2", 0, 0, ("m1",))
    assert await audit.verify(store) == 1


def test_every_system_sealed_field_is_rotated() -> None:
    # A new ``seal_system("table", "column", ...)`` must be listed in SYSTEM_FIELDS, or its
    # blobs would not open once the old master key is retired.
    used: set[tuple[str, str]] = set()
    for path in RELAY.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'seal_system\(\s*"(\w+)",\s*"(\w+)"', text))
    assert used == {(table, column) for table, column, _ in SYSTEM_FIELDS}
