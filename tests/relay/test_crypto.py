"""Key file and sealed fields: permissions, malformed files, tampering, moved ciphertexts."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from relay.crypto import KeyRing, blob_key_id, field_ad, new_data_key, open_sealed, seal
from relay.errors import CryptoError, KeyFileError
from relay.store import Store
from tests.relay.conftest import Family


def test_key_file_is_created_0600_in_a_0700_directory(key_path: Path) -> None:
    ring = KeyRing.load_or_create(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700
    data = json.loads(key_path.read_text(encoding="utf-8"))
    assert data["current"] == "m1"
    assert [m["id"] for m in data["masters"]] == ["m1"]
    assert ring.master_ids == ["m1"]
    assert len(ring.master("m1")) == 32
    assert (len(ring.index_key), len(ring.audit_key)) == (32, 32)


def test_key_file_is_read_back_with_the_same_keys(key_path: Path) -> None:
    first = KeyRing.load_or_create(key_path)
    second = KeyRing.load_or_create(key_path)
    assert second.master("m1") == first.master("m1")
    assert (second.index_key, second.audit_key) == (first.index_key, first.audit_key)


def test_leftover_temporary_file_does_not_widen_the_key_file_mode(key_path: Path) -> None:
    # Regression: a stale master.json.tmp with a loose mode kept it through O_CREAT.
    key_path.parent.mkdir(mode=0o700)
    tmp = key_path.with_name(key_path.name + ".tmp")
    tmp.write_text("old", encoding="utf-8")
    tmp.chmod(0o644)
    KeyRing.load_or_create(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o700 | 0o004])
def test_key_file_readable_by_others_is_refused(key_path: Path, mode: int) -> None:
    KeyRing.load_or_create(key_path)
    key_path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"readable by others \\(mode {mode:o}\\)"):
        KeyRing.load_or_create(key_path)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"masters": []}',
        '{"current": "m1", "masters": [{"id": "m1", "key": "!!"}], "index": "", "audit": ""}',
        '{"current": "m1", "masters": [{"key": "AAAA"}], "index": "AAAA", "audit": "AAAA"}',
    ],
)
def test_malformed_key_file_is_refused(key_path: Path, content: str) -> None:
    key_path.parent.mkdir(mode=0o700)
    key_path.write_text(content, encoding="utf-8")
    key_path.chmod(0o600)
    with pytest.raises(KeyFileError, match="malformed key file"):
        KeyRing.load_or_create(key_path)


def test_key_file_whose_current_key_is_missing_is_refused(key_path: Path) -> None:
    KeyRing.load_or_create(key_path)
    data = json.loads(key_path.read_text(encoding="utf-8"))
    data["current"] = "m9"
    key_path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(KeyFileError, match="current key m9 is missing"):
        KeyRing.load_or_create(key_path)


def test_seal_open_round_trip_and_key_id() -> None:
    key = new_data_key()
    ad = field_ad("messages", "body", "m_1")
    blob = seal(key, "f:p_1", "سلام، نحن بخير".encode(), ad)
    assert blob_key_id(blob) == "f:p_1"
    assert open_sealed(key, blob, ad).decode() == "سلام، نحن بخير"
    assert "سلام".encode() not in blob
    # Two seals of the same text differ (fresh nonce).
    assert seal(key, "f:p_1", b"x", ad) != seal(key, "f:p_1", b"x", ad)


def test_every_flipped_byte_of_the_ciphertext_is_detected() -> None:
    key = new_data_key()
    ad = field_ad("people", "chat", "p_1")
    blob = seal(key, "k", b"987654321012", ad)
    header = 2 + len(b"k")
    opened = 0
    for pos in range(header, len(blob)):  # nonce, ciphertext and tag
        tampered = bytearray(blob)
        tampered[pos] ^= 0x01
        with pytest.raises(CryptoError, match="does not open"):
            open_sealed(key, bytes(tampered), ad)
        opened += 1
    assert opened == len(blob) - header


def test_wrong_key_wrong_ad_and_garbage_are_refused() -> None:
    key = new_data_key()
    blob = seal(key, "k", b"text", field_ad("t", "c", "1"))
    with pytest.raises(CryptoError):
        open_sealed(new_data_key(), blob, field_ad("t", "c", "1"))
    with pytest.raises(CryptoError):
        open_sealed(key, blob, field_ad("t", "c", "2"))
    with pytest.raises(CryptoError):
        open_sealed(key, blob, field_ad("t", "other", "1"))
    with pytest.raises(CryptoError, match="not a sealed field"):
        open_sealed(key, b"", field_ad("t", "c", "1"))
    with pytest.raises(CryptoError, match="not a sealed field"):
        blob_key_id(b"\x02\x01k")


def test_family_key_wrapping_is_bound_to_its_owner(keyring: KeyRing) -> None:
    data_key = new_data_key()
    wrapped = keyring.wrap(data_key, "p_a")
    assert blob_key_id(wrapped) == "m1"
    assert keyring.unwrap(wrapped, "p_a") == data_key
    with pytest.raises(CryptoError):
        keyring.unwrap(wrapped, "p_b")  # a wrapped key copied to another family


def test_blind_index_is_keyed_and_kind_separated(keyring: KeyRing, tmp_path: Path) -> None:
    other = KeyRing.load_or_create(tmp_path / "other" / "k.json")
    index = keyring.blind_index("tg-user", "987654321012")
    assert len(index) == 16
    assert index == keyring.blind_index("tg-user", "987654321012")
    assert index != keyring.blind_index("detainee", "987654321012")
    assert index != other.blind_index("tg-user", "987654321012")


@pytest.mark.sqlite_only
async def test_ciphertext_copied_to_another_row_does_not_open(
    store: Store,
    db_path: Path,
    make_family: Callable[..., Awaitable[Family]],
    send: Callable[..., Awaitable[object]],
) -> None:
    # Given two messages of one family (same data key)
    family = await make_family()
    first = await send(family, "First letter to my brother.")
    second = await send(family, "Second letter to my brother.")
    ids = [first.message_id, second.message_id]  # type: ignore[attr-defined]
    # When an attacker with the database file copies the body of one row onto the other
    raw = sqlite3.connect(db_path)
    with raw:
        raw.execute(
            "UPDATE messages SET body_enc = (SELECT body_enc FROM messages WHERE id = ?)"
            " WHERE id = ?",
            (ids[0], ids[1]),
        )
    raw.close()
    # Then the moved body does not open, and the untouched one still does
    async with store.tx() as tx:
        rows = {
            r["id"]: r
            for r in await tx.all(
                "SELECT id, family_id, body_enc FROM messages WHERE id IN (?, ?)", ids
            )
        }
        assert rows[ids[0]]["body_enc"] == rows[ids[1]]["body_enc"]
        text = await tx.open_json_for(
            family.person_id, "messages", "body", ids[0], rows[ids[0]]["body_enc"]
        )
        assert text == {"text": "First letter to my brother.", "redactions": []}
        with pytest.raises(CryptoError, match="does not open"):
            await tx.open_for(
                family.person_id, "messages", "body", ids[1], rows[ids[1]]["body_enc"]
            )


@pytest.mark.sqlite_only
async def test_flipped_byte_in_a_stored_field_is_detected(
    store: Store,
    db_path: Path,
    make_family: Callable[..., Awaitable[Family]],
) -> None:
    family = await make_family()
    raw = sqlite3.connect(db_path)
    (blob,) = raw.execute(
        "SELECT address_enc FROM people WHERE id = ?", (family.person_id,)
    ).fetchone()
    tampered = bytearray(blob)
    tampered[-1] ^= 0x80
    with raw:
        raw.execute(
            "UPDATE people SET address_enc = ? WHERE id = ?", (bytes(tampered), family.person_id)
        )
    raw.close()
    async with store.tx() as tx:
        with pytest.raises(CryptoError):
            await tx.open_for(
                family.person_id, "people", "chat", family.person_id, bytes(tampered)
            )


def test_domain_errors_survive_a_process_boundary() -> None:
    # Regression: UnprintableCharacters from the export worker came back as BrokenProcessPool.
    import pickle

    from relay.errors import (
        AuditChainBroken,
        InvalidTransition,
        RateLimited,
        UnprintableCharacters,
    )

    for error in (
        UnprintableCharacters("RCM-0000-0000", "\U00010000"),
        InvalidTransition("m_1", "draft", "printed"),
        AuditChainBroken(3, "altered"),
        RateLimited("submit", 60.0),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
