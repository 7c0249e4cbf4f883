"""Signed print packs: a batch's PDF and manifest, signed with Ed25519, checkable offline.

A delegation or an authority that receives a pack can tell a genuine batch from an altered
one with `rcm verify FILE` and the delegation's public key, without the database or the
master key. The signing key is kept with the other keys (beside the key file, mode 0600),
never in the database or its backups; its public half is written beside it to hand out.

The signature file `<pdf>.sig` is JSON: the pack's files by name with their SHA-256, the
batch and site, the public key, and the signature over all of that in canonical form.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "rcm-print-pack/1"
KEY_NAME = "print-signing.key"
PUBLIC_NAME = "print-signing.pub"
SUFFIX = ".sig"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def load_or_create_key(key_dir: Path) -> Ed25519PrivateKey:
    """Return the print signing key kept in `key_dir`, creating it (0600) the first time."""
    path = key_dir / KEY_NAME
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    (key_dir / PUBLIC_NAME).write_text(public_hex(key.public_key()) + "\n", encoding="ascii")
    return key


def public_hex(key: Ed25519PublicKey) -> str:
    """Return the raw public key as hex (what a delegation hands out to check packs)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def fingerprint(public: str) -> str:
    """Return a short fingerprint of a hex public key, to read out over the phone."""
    digest = hashlib.sha256(bytes.fromhex(public)).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign_blobs(
    key: Ed25519PrivateKey, files: Sequence[tuple[str, bytes]], *, batch: str, site: str
) -> bytes:
    """Return the signature file (JSON) of a pack given as (file name, bytes), PDF first."""
    body = {
        "format": FORMAT,
        "batch": batch,
        "site": site,
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest()} for name, data in files
        ],
        "public_key": public_hex(key.public_key()),
    }
    signature = base64.b64encode(key.sign(_canonical(body))).decode("ascii")
    return json.dumps({**body, "signature": signature}, indent=2).encode() + b"\n"


def sign_pack(key: Ed25519PrivateKey, files: list[Path], *, batch: str, site: str) -> Path:
    """Sign the pack's files (the PDF first); write and return `<first file>.sig`."""
    blobs = [(path.name, path.read_bytes()) for path in files]
    out = files[0].with_name(files[0].name + SUFFIX)
    _write_private(out, sign_blobs(key, blobs, batch=batch, site=site))
    return out


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `verify_pack` found: `problems` is empty for a genuine, complete pack."""

    batch: str
    site: str
    fingerprint: str
    files: tuple[str, ...]
    problems: tuple[str, ...]
    trusted: bool  # the signing key is the one the checker was told to trust

    @property
    def ok(self) -> bool:
        return not self.problems


def find_signature(path: Path) -> Path:
    """Return the signature file of a pack given any of its files (or the .sig itself)."""
    if path.name.endswith(SUFFIX):
        return path
    beside = path.with_name(path.name + SUFFIX)
    if beside.exists():
        return beside
    # A manifest is listed in the signature of its PDF: batch-X.csv -> batch-X.pdf.sig.
    pdf = path.with_suffix(".pdf")
    return pdf.with_name(pdf.name + SUFFIX)


def verify_pack(path: Path, trusted_public: str | None = None) -> Verdict:
    """Check a pack offline: signature, every file's hash, and the key if one is trusted."""
    sig_path = find_signature(path)
    try:
        data = json.loads(sig_path.read_text(encoding="utf-8"))
        signature = base64.b64decode(data.pop("signature"), validate=True)
        public = str(data["public_key"])
        files = [(str(f["name"]), str(f["sha256"])) for f in data["files"]]
        batch, site = str(data["batch"]), str(data["site"])
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Verdict("", "", "", (), (f"{sig_path.name}: unreadable signature ({exc})",), False)
    problems: list[str] = []
    try:
        key.verify(signature, _canonical(data))
    except InvalidSignature:
        problems.append(f"{sig_path.name}: the signature does not match its contents")
    for name, digest in files:
        member = sig_path.with_name(name)
        if not member.exists():
            problems.append(f"{name}: missing")
        elif _sha256(member) != digest:
            problems.append(f"{name}: altered since it was signed")
    trusted = trusted_public is not None and trusted_public.strip().lower() == public.lower()
    if trusted_public is not None and not trusted:
        problems.append("signed with a key other than the trusted one")
    return Verdict(
        batch, site, fingerprint(public), tuple(n for n, _ in files), tuple(problems), trusted
    )
