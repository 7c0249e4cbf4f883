"""Keys and field encryption.

- The key file (JSON, mode 0600) holds the master keys (with ids, so ``keys rotate`` can add
  one and retire the old), the blind-index key and the audit key. It lives outside the
  database; a process refuses to start when others can read it.
- A field is sealed with AES-GCM; the associated data binds it to ``table.column.row`` so a
  ciphertext moved to another row or column fails to open, and for a message also to its
  family (the owner) and its version, which every write increments (kept in the vault, see
  ``relay.store``): a message moved to another family, or an older ciphertext of the same
  field (a body from before a redaction), does not open.
- System data (waiting input from someone not known yet) is sealed with a key derived from
  the current master key; a known family's waiting input is under its own key. Each
  family's data is sealed with the family's own random data key, wrapped by the master key
  and stored in the key vault (see ``relay.store``), not in the database: destroying the
  wrapped key erases the family, from backups too.
- Blind indexes (HMAC-SHA256, truncated) let us look up by channel address (a user id), detainee
  number or reference without storing them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from relay.errors import CryptoError, KeyFileError

_FORMAT = 1  # first byte of every sealed blob
_NONCE = 12


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def field_ad(
    table: str, column: str, row_id: str, owner: str | None = None, version: int = 0
) -> bytes:
    """Return the associated data that binds a sealed field to its place (owner, version)."""
    if owner is None:
        return f"{table}.{column}.{row_id}".encode()
    return f"{table}.{column}.{row_id}\x00owner={owner}\x00v={version}".encode()


def seal(key: bytes, key_id: str, plaintext: bytes, ad: bytes) -> bytes:
    """Encrypt ``plaintext`` with AES-GCM; the blob carries the key id and nonce."""
    kid = key_id.encode("ascii")
    if len(kid) > 255:
        raise CryptoError("key id too long")
    nonce = secrets.token_bytes(_NONCE)
    body = AESGCM(key).encrypt(nonce, plaintext, ad)
    return bytes([_FORMAT, len(kid)]) + kid + nonce + body


def blob_key_id(blob: bytes) -> str:
    """Return the key id a sealed blob was made with."""
    if len(blob) < 2 or blob[0] != _FORMAT:
        raise CryptoError("not a sealed field")
    return blob[2 : 2 + blob[1]].decode("ascii")


def open_sealed(key: bytes, blob: bytes, ad: bytes) -> bytes:
    """Decrypt a sealed blob; raise CryptoError when it was altered or moved."""
    if len(blob) < 2 or blob[0] != _FORMAT:
        raise CryptoError("not a sealed field")
    start = 2 + blob[1]
    nonce, body = blob[start : start + _NONCE], blob[start + _NONCE :]
    try:
        return AESGCM(key).decrypt(nonce, body, ad)
    except InvalidTag:
        raise CryptoError("sealed field does not open (altered, moved or wrong key)") from None


@dataclass(frozen=True, slots=True)
class MasterKey:
    id: str
    key: bytes
    created: str


class KeyRing:
    """The keys of one installation, read from the key file."""

    def __init__(
        self,
        path: Path,
        masters: list[MasterKey],
        current: str,
        index_key: bytes,
        audit_key: bytes,
    ) -> None:
        self.path = path
        self._masters = {m.id: m for m in masters}
        self.current_id = current
        self.index_key = index_key
        self.audit_key = audit_key

    # -- file -----------------------------------------------------------------------------
    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        """Open the key file, creating it (mode 0600) on first run."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            ring = cls(
                path,
                [MasterKey("m1", AESGCM.generate_key(256), _now())],
                "m1",
                secrets.token_bytes(32),
                secrets.token_bytes(32),
            )
            ring._write(create=True)
            return ring
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{path}: readable by others (mode {stat.S_IMODE(mode):o}); run chmod 600 on it"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            masters = [
                MasterKey(m["id"], _unb64(m["key"]), m.get("created", "")) for m in data["masters"]
            ]
            ring = cls(
                path, masters, data["current"], _unb64(data["index"]), _unb64(data["audit"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"{path}: malformed key file ({type(exc).__name__})") from None
        if ring.current_id not in ring._masters:
            raise KeyFileError(f"{path}: current key {ring.current_id} is missing")
        return ring

    def _write(self, *, create: bool = False) -> None:
        data = {
            "format": 1,
            "current": self.current_id,
            "masters": [
                {"id": m.id, "key": _b64(m.key), "created": m.created}
                for m in self._masters.values()
            ],
            "index": _b64(self.index_key),
            "audit": _b64(self.audit_key),
        }
        text = json.dumps(data, indent=2).encode()
        tmp = self.path.with_name(self.path.name + ".tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        fd = os.open(tmp, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)  # O_CREAT keeps the mode of a stale .tmp left by a crash
            os.write(fd, text)
            os.fsync(fd)
        finally:
            os.close(fd)
        if create and self.path.exists():
            raise KeyFileError(f"{self.path}: appeared while being created")
        os.replace(tmp, self.path)

    # -- master keys ----------------------------------------------------------------------
    @property
    def master_ids(self) -> list[str]:
        return list(self._masters)

    def master(self, key_id: str) -> bytes:
        try:
            return self._masters[key_id].key
        except KeyError:
            raise CryptoError(f"master key {key_id} is not in the key file") from None

    def add_master(self) -> str:
        """Add a new master key and make it current; return its id."""
        number = max(int(k[1:]) for k in self._masters if k[1:].isdigit()) + 1
        new_id = f"m{number}"
        self._masters[new_id] = MasterKey(new_id, AESGCM.generate_key(256), _now())
        self.current_id = new_id
        self._write()
        return new_id

    def retire(self, key_ids: list[str]) -> None:
        """Remove old master keys (after everything was re-encrypted)."""
        for key_id in key_ids:
            if key_id != self.current_id:
                self._masters.pop(key_id, None)
        self._write()

    # -- derived keys ---------------------------------------------------------------------
    def system_key(self, key_id: str) -> bytes:
        """Return the data key for system fields under master ``key_id``."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"rcm system data v1"
        ).derive(self.master(key_id))

    def wrap(self, data_key: bytes, owner_id: str) -> bytes:
        """Wrap a family data key with the current master key."""
        return seal(self.master(self.current_id), self.current_id, data_key, _wrap_ad(owner_id))

    def unwrap(self, wrapped: bytes, owner_id: str) -> bytes:
        """Unwrap a family data key."""
        return open_sealed(self.master(blob_key_id(wrapped)), wrapped, _wrap_ad(owner_id))

    def blind_index(self, kind: str, value: str) -> bytes:
        """Return a keyed, truncated HMAC of ``value`` for lookups."""
        msg = f"{kind}\x00{value}".encode()
        return hmac.new(self.index_key, msg, hashlib.sha256).digest()[:16]


def _wrap_ad(owner_id: str) -> bytes:
    return f"family-key.{owner_id}".encode()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_data_key() -> bytes:
    """Return a fresh random 256-bit data key."""
    return AESGCM.generate_key(256)
