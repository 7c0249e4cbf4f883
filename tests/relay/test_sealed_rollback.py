"""No older or foreign ciphertext of a message opens (issue 14).

Regression: the associated data was ``table.column.row`` only. Writing back the body from
before an approved redaction undid it (the phone number was printed), and changing
``family_id`` on a reply row sent a detainee's reply to another family.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from relay import messages, outbox, replies, review
from relay.crypto import KeyRing, field_ad, open_sealed, seal
from relay.delivery import export_batch
from relay.errors import CryptoError
from relay.keyrotation import rotate
from relay.models import Site
from relay.notices import ReplyArrived
from relay.store import Store
from tests.relay.conftest import Family, NoFindings
from tests.relay.delivery_helpers import Staff, approve_all, make_staff

# These attacks write beneath the store, into the SQLite files themselves.
pytestmark = pytest.mark.sqlite_only

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]
TEXT = "Call me at +41 79 123 45 67, we are well."
PHONE = (11, 27)
COLUMNS = ("ref_enc", "body_enc", "findings_enc", "decision_enc", "sealed_enc", "photo_enc")


@pytest.fixture
async def staff(store: Store) -> Staff:
    return await make_staff(store)


def _row(db_path: Path, message_id: str) -> dict[str, Any]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone())
    conn.close()
    return row


def _write(db_path: Path, message_id: str, values: dict[str, Any]) -> None:
    """What someone with write access to the database file (not the keys) can do."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE messages SET {sets} WHERE id = ?", (*values.values(), message_id))
    conn.close()


async def _redacted(store: Store, staff: Staff, sent: messages.Submitted) -> None:
    item = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert item is not None
    assert item.message_id == sent.message_id
    await review.decide(
        store,
        reviewer_id=staff.reviewer,
        message_id=sent.message_id,
        decision=review.Decision(review.Verdict.APPROVE, redactions=(PHONE,)),
    )


async def _text_of(store: Store, message_id: str) -> tuple[str, list[tuple[int, int]]]:
    async with store.tx() as tx:
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
        assert row is not None
        return await messages.message_text_in(tx, row)


async def test_the_body_from_before_a_redaction_does_not_open(
    store: Store, db_path: Path, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    # Given a message whose phone number a reviewer redacted, and its body from before
    family = await make_family()
    sent = await send(family, TEXT)
    before = _row(db_path, sent.message_id)
    await _redacted(store, staff, sent)
    assert await _text_of(store, sent.message_id) == (TEXT, [PHONE])
    # When the pre-approval body is written back
    _write(db_path, sent.message_id, {"body_enc": before["body_enc"]})
    # Then it does not open: the redaction cannot be undone
    with pytest.raises(CryptoError):
        await _text_of(store, sent.message_id)


async def test_the_whole_row_rolled_back_does_not_open_either(
    store: Store, db_path: Path, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    family = await make_family()
    sent = await send(family, TEXT)
    before = _row(db_path, sent.message_id)
    await _redacted(store, staff, sent)
    _write(db_path, sent.message_id, {c: before[c] for c in COLUMNS})
    store.key_cache.clear()
    with pytest.raises(CryptoError):
        await _text_of(store, sent.message_id)


async def test_fields_a_write_did_not_touch_still_open_after_it(
    store: Store, db_path: Path, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    family = await make_family()
    sent = await send(family, TEXT)
    await _redacted(store, staff, sent)
    store.key_cache.clear()  # from the vault, as another process would
    async with store.tx() as tx:
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (sent.message_id,))
        assert row is not None
        ref = await tx.open_for(family.person_id, "messages", "ref", row["id"], row["ref_enc"])
    assert ref.decode() == sent.reference


async def test_a_reply_moved_to_another_family_is_not_delivered(
    store: Store,
    db_path: Path,
    make_family: MakeFamily,
    send: Send,
    staff: Staff,
    sites: dict[str, Site],
    checker: NoFindings,
) -> None:
    # Given a printed message and its reply waiting for review
    family, other = await make_family(), await make_family()
    original = await send(family, "We are all well.")
    await approve_all(store, staff.reviewer)
    await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    await outbox.claim_due(store, limit=500)
    got = await replies.receive_reply(
        store,
        delegate_id=staff.delegate_alp,
        reference=original.reference,
        photo=None,
        transcription="Kiss the children for me.",
        checker=checker,
        sites=sites,
    )
    # When someone with write access moves the reply to another family
    _write(db_path, got.reply_id, {"family_id": other.person_id})
    # Then it cannot be reviewed into that family's chat: nothing opens for them
    with pytest.raises(CryptoError):
        await approve_all(store, staff.reviewer)
    sent = [
        (i.person_id, i.notice)
        for i in await outbox.claim_due(store, limit=500)
        if isinstance(i.notice, ReplyArrived)
    ]
    assert sent == []


async def test_a_store_sealed_the_old_way_is_upgraded_once(
    store: Store,
    db_path: Path,
    keyring: KeyRing,
    make_family: MakeFamily,
    send: Send,
) -> None:
    # Given a message whose fields are sealed as before (bound to table.column.row only)
    family, other = await make_family(), await make_family()
    sent = await send(family, "An old letter.")
    async with store.tx() as tx:
        key = await tx.family_key(sent.message_id)
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (sent.message_id,))
        assert row is not None
        old_way = {}
        for column in ("ref", "body", "findings"):
            ad = field_ad("messages", column, sent.message_id, family.person_id)
            plain = open_sealed(key, row[f"{column}_enc"], ad)
            legacy = field_ad("messages", column, sent.message_id)
            old_way[f"{column}_enc"] = seal(key, f"f:{sent.message_id}", plain, legacy)
        await tx.execute("DELETE FROM meta WHERE key = 'sealed_owner'")
    _write(db_path, sent.message_id, old_way)
    with pytest.raises(CryptoError):
        await _text_of(store, sent.message_id)
    # When the store is opened by this version
    reopened = await Store.open(db_path, keyring)
    try:
        # Then the message opens, bound to its family...
        assert (await _text_of(reopened, sent.message_id))[0] == "An old letter."
        # ...so that moving it to another family is refused like any other
        _write(db_path, sent.message_id, {"family_id": other.person_id})
        with pytest.raises(CryptoError):
            await _text_of(reopened, sent.message_id)
    finally:
        await reopened.close()


def _vault_key(store: Store, message_id: str) -> bytes:
    vault = sqlite3.connect(store.keys.path.with_name("vault.sqlite3"))
    (wrapped,) = vault.execute(
        "SELECT wrapped FROM family_keys WHERE owner_id = ?", (message_id,)
    ).fetchone()
    vault.close()
    return bytes(wrapped)


async def test_every_write_moves_the_version_on_in_the_vault(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    family = await make_family()
    sent = await send(family, TEXT)
    created = store.keys.unwrap(_vault_key(store, sent.message_id), sent.message_id)
    await _redacted(store, staff, sent)
    approved = store.keys.unwrap(_vault_key(store, sent.message_id), sent.message_id)
    # The same key, one version on (a key from before versions reads as version 0)
    assert approved[:32] == created[:32]
    assert int.from_bytes(created[32:], "big") == 0
    assert int.from_bytes(approved[32:], "big") == 1


async def test_a_crash_between_the_database_and_the_vault_loses_nothing(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    # SQLite commits the database before the vault: a kill in between leaves the rows one
    # version ahead of the vault. Given exactly that state after the redaction...
    family = await make_family()
    sent = await send(family, TEXT)
    before = _vault_key(store, sent.message_id)
    await _redacted(store, staff, sent)
    vault = sqlite3.connect(store.keys.path.with_name("vault.sqlite3"), isolation_level=None)
    vault.execute(
        "UPDATE family_keys SET wrapped = ? WHERE owner_id = ?", (before, sent.message_id)
    )
    vault.close()
    store.key_cache.clear()
    # ...the message still opens, redacted, and the next write carries on from there
    assert await _text_of(store, sent.message_id) == (TEXT, [PHONE])
    async with store.tx() as tx:
        blob = await tx.seal_for(
            family.person_id, "messages", "decision", sent.message_id, {"note": "again"}
        )
        await tx.execute(
            "UPDATE messages SET decision_enc = ? WHERE id = ?", (blob, sent.message_id)
        )
    store.key_cache.clear()
    assert await _text_of(store, sent.message_id) == (TEXT, [PHONE])


async def test_key_rotation_keeps_a_written_message_readable(
    store: Store, make_family: MakeFamily, send: Send, staff: Staff
) -> None:
    # Rotation re-wraps the key with its version: a message written since still opens.
    family = await make_family()
    sent = await send(family, TEXT)
    await _redacted(store, staff, sent)
    report = await rotate(store, actor="p_admin")
    assert report.retired == ("m1",)
    store.key_cache.clear()
    assert await _text_of(store, sent.message_id) == (TEXT, [PHONE])
    unwrapped = store.keys.unwrap(_vault_key(store, sent.message_id), sent.message_id)
    assert int.from_bytes(unwrapped[32:], "big") == 1
