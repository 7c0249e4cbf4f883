"""``rcm demo``: the verb; the story lives in demo/story.py."""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from bot.cli_args import CliError, add_verb
from relay.settings import Settings


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole story offline; keep data in RCM_DATA_DIR only when it is set."""
    import os

    from demo.story import run_demo

    db = {"database_url": settings.database_url, "vault_url": settings.vault_url}
    out = Path(args.out)
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(_probe, out)
    except OSError as exc:
        # Found before the story starts, not after it has run for seconds.
        why = exc.strerror or type(exc).__name__
        raise CliError(
            f"--out {out}: cannot write there ({why}); give a folder you can write to"
        ) from None
    if os.environ.get("RCM_DATA_DIR"):
        return await run_demo(out, settings.data_dir, interactive=args.interactive, **db)
    # A demo never touches real data: a fresh temporary folder otherwise.
    with tempfile.TemporaryDirectory(prefix="rcm-demo-") as tmp:
        return await run_demo(out, Path(tmp) / "data", interactive=args.interactive, **db)


def _probe(out: Path) -> None:
    probe = out / ".rcm-write-test"
    probe.write_bytes(b"")
    probe.unlink()


def add_verbs(sub: Any) -> None:
    """Add ``demo`` to the rcm command line."""
    demo = add_verb(
        sub,
        "demo",
        "run the whole story offline against the sandbox, narrated",
        "rcm demo --out /tmp/demo-out",
        "rcm demo --interactive",
    )
    demo.add_argument(
        "--out", default="demo-out", help="folder for the PDF and summary (default: demo-out)"
    )
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="then leave the sandbox and bot running to play users by hand",
    )
    # The narration is the output: INFO log lines would mix into it (-v brings them back).
    demo.set_defaults(func=cmd_demo, log_level=logging.WARNING)
