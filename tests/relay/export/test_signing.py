"""Signed print packs: Ed25519 over the PDF and manifest, checked offline (issue 12)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from relay import messages
from relay.export import signing
from relay.store import Store
from tests.relay.conftest import Family
from tests.relay.delivery_helpers import approve_all, make_staff

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]


@pytest.fixture
def pack(tmp_path: Path) -> tuple[Path, Path, Path]:
    pdf = tmp_path / "batch-ALP-B1.pdf"
    csv = tmp_path / "batch-ALP-B1.csv"
    pdf.write_bytes(b"%PDF-1.3 a batch")
    csv.write_text("reference,outcome\nRCM-7K3F-9Q2V,\n", encoding="utf-8")
    key = signing.load_or_create_key(tmp_path / "keys")
    sig = signing.sign_pack(key, [pdf, csv], batch="B1", site="ALP")
    return pdf, csv, sig


def _trusted(tmp_path: Path) -> str:
    return (tmp_path / "keys" / signing.PUBLIC_NAME).read_text(encoding="ascii").strip()


def test_a_genuine_pack_verifies_from_any_of_its_files(
    tmp_path: Path, pack: tuple[Path, Path, Path]
) -> None:
    for path in pack:
        verdict = signing.verify_pack(path, _trusted(tmp_path))
        assert verdict.problems == ()
        assert (verdict.batch, verdict.site, verdict.trusted) == ("B1", "ALP", True)
        assert verdict.files == ("batch-ALP-B1.pdf", "batch-ALP-B1.csv")


def test_the_signing_key_is_private_and_kept_with_the_keys(
    tmp_path: Path, pack: tuple[Path, Path, Path]
) -> None:
    key_file = tmp_path / "keys" / signing.KEY_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(pack[2].stat().st_mode) == 0o600
    # The same key is used again, not replaced
    again = signing.load_or_create_key(tmp_path / "keys")
    assert signing.public_hex(again.public_key()) == _trusted(tmp_path)


@pytest.mark.parametrize(
    ("target", "change", "problem"),
    [
        pytest.param(
            0,
            b"%PDF-1.3 a batcH",
            "batch-ALP-B1.pdf: altered since it was signed",
            id="pdf-altered",
        ),
        pytest.param(
            1,
            b"reference,outcome\nRCM-7K3F-9Q2V,handed_over\n",
            "batch-ALP-B1.csv: altered since it was signed",
            id="manifest-altered",
        ),
    ],
)
def test_an_altered_file_is_named(
    tmp_path: Path, pack: tuple[Path, Path, Path], target: int, change: bytes, problem: str
) -> None:
    pack[target].write_bytes(change)
    verdict = signing.verify_pack(pack[0], _trusted(tmp_path))
    assert verdict.problems == (problem,)


def test_a_missing_file_or_a_forged_signature_is_caught(
    tmp_path: Path, pack: tuple[Path, Path, Path]
) -> None:
    pdf, csv, sig = pack
    data = json.loads(sig.read_text(encoding="utf-8"))
    data["batch"] = "B2"  # claims another batch: the signature no longer matches
    sig.write_text(json.dumps(data), encoding="utf-8")
    csv.unlink()
    verdict = signing.verify_pack(pdf, _trusted(tmp_path))
    assert verdict.problems == (
        "batch-ALP-B1.pdf.sig: the signature does not match its contents",
        "batch-ALP-B1.csv: missing",
    )


def test_a_pack_re_signed_with_another_key_is_not_trusted(
    tmp_path: Path, pack: tuple[Path, Path, Path]
) -> None:
    pdf, csv, _sig = pack
    trusted = _trusted(tmp_path)
    pdf.write_bytes(b"%PDF-1.3 forged")
    forger = signing.load_or_create_key(tmp_path / "forger")
    signing.sign_pack(forger, [pdf, csv], batch="B1", site="ALP")
    verdict = signing.verify_pack(pdf, trusted)
    assert verdict.problems == ("signed with a key other than the trusted one",)
    assert verdict.trusted is False


def _rcm(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RCM_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.sqlite_only
async def test_rcm_export_signs_the_pack_and_rcm_verify_checks_it(
    store: Store, make_family: MakeFamily, send: Send, data_dir: Path, tmp_path: Path
) -> None:
    # Given an approved message for ALP
    staff = await make_staff(store)
    await send(await make_family(), "All is well at home.")
    await approve_all(store, staff.reviewer)
    # When the delegate exports with a manifest
    out = tmp_path / "out" / "batch.pdf"
    exported = _rcm("export", "--site", "ALP", "--manifest", "--out", str(out), data=data_dir)
    assert exported.returncode == 0, exported.stderr
    # Then the PDF and the manifest are signed, and the pack verifies offline
    assert (tmp_path / "out" / "batch.pdf.sig").exists()
    checked = _rcm("verify", str(out), data=data_dir)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: batch B")
    assert "batch.pdf, batch.csv" in checked.stdout
    assert "signed by the trusted key" in checked.stdout
    # And the signing key is beside the master key, never in the database
    key_pem = (data_dir / "keys" / signing.KEY_NAME).read_bytes()
    body = key_pem.split(b"-----")[2].strip()
    assert body not in (data_dir / "rcm.sqlite3").read_bytes()
    # When the manifest is altered, verify says so and exits 1
    manifest = out.with_suffix(".csv")
    manifest.write_text(manifest.read_text(encoding="utf-8") + "x\n", encoding="utf-8")
    altered = _rcm("verify", str(manifest), data=data_dir)
    assert altered.returncode == 1
    assert altered.stdout.strip() == f"NOT GENUINE: {manifest}"
    assert "batch.csv: altered since it was signed" in altered.stderr
