"""``rcm verify FILE``: check a signed print pack offline (picked up by bot.cli).

Needs neither the database nor the master key: only the pack and, to know the signer, the
delegation's public key (`--key`, or the one beside the local key file when there is one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli_args import CliError, add_verb
from relay.settings import Settings


def sign_export(settings: Settings, files: list[Path], *, batch: str, site: str) -> Path:
    """Sign an exported pack with the key kept beside the key file; return the .sig path."""
    from relay.export import signing

    key = signing.load_or_create_key(settings.resolved_key_file.parent)
    return signing.sign_pack(key, files, batch=batch, site=site)


async def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Check a print pack: exit 0 if genuine and complete, 1 otherwise."""
    from relay.export import signing

    path = _readable(args.file)
    trusted: str | None = None
    key_path = Path(args.key) if args.key else None
    if key_path is None:
        local = settings.resolved_key_file.parent / signing.PUBLIC_NAME
        key_path = local if local.exists() else None
    if key_path is not None:
        trusted = key_path.read_text(encoding="ascii").strip()
    signature = signing.find_signature(path)
    if not signature.exists():
        # Unsigned is not genuine, but say why in words rather than an errno.
        print(f"rcm verify: no signature beside it (expected {signature})", file=sys.stderr)
        print(f"NOT GENUINE: {args.file}")
        return 1
    verdict = signing.verify_pack(path, trusted)
    for problem in verdict.problems:
        print(f"rcm verify: {problem}", file=sys.stderr)
    if not verdict.ok:
        print(f"NOT GENUINE: {args.file}")
        return 1
    who = "the trusted key" if verdict.trusted else "a key not checked against a trusted one"
    print(
        f"OK: batch {verdict.batch} of {verdict.site}, {len(verdict.files)} file(s) "
        f"({', '.join(verdict.files)}), signed by {who}, fingerprint {verdict.fingerprint}"
    )
    return 0


def _readable(name: str) -> Path:
    """A file the user named that cannot be read is a usage error (exit 2), not a forgery."""
    path = Path(name).expanduser()
    if path.is_dir():
        raise CliError(
            f"{name} is a folder, not a file; give the batch PDF, its manifest CSV or its .sig"
        )
    if not path.exists():
        raise CliError(f"no such file: {name}")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise CliError(f"cannot read {name} ({exc.strerror or type(exc).__name__})") from None
    return path


def add_verbs(sub: Any) -> None:
    """Add ``verify`` to the ``rcm`` parser."""
    verify = add_verb(
        sub,
        "verify",
        "check a signed print pack offline",
        "rcm verify exports/batch-ALP.pdf",
        "rcm verify batch.csv --key print-signing.pub",
    )
    verify.add_argument(
        "file", metavar="FILE", help="the batch PDF, its manifest CSV or its .sig file"
    )
    verify.add_argument(
        "--key",
        metavar="PUBFILE",
        help="file with the delegation's public key (hex; default: keys/print-signing.pub)",
    )
    verify.set_defaults(func=cmd_verify)
