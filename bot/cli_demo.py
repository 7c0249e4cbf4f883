"""``rcm demo``: the verb; the story lives in bot/demo.py."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from relay.settings import Settings


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole story offline; keep data in RCM_DATA_DIR only when it is set."""
    import os

    from bot.demo import run_demo

    db = {"database_url": settings.database_url, "vault_url": settings.vault_url}
    out = Path(args.out)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    if os.environ.get("RCM_DATA_DIR"):
        return await run_demo(out, settings.data_dir, interactive=args.interactive, **db)
    # A demo never touches real data: a fresh temporary folder otherwise.
    with tempfile.TemporaryDirectory(prefix="rcm-demo-") as tmp:
        return await run_demo(
            out, Path(tmp) / "data", interactive=args.interactive, **db
        )


def add_verbs(sub: Any) -> None:
    """Add ``demo`` to the rcm command line."""
    demo = sub.add_parser("demo", help="run the whole story offline against the sandbox")
    demo.add_argument("--out", default="demo-out", help="where the PDF and summary go")
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="then leave the sandbox and bot running to play users by hand",
    )
    demo.set_defaults(func=cmd_demo)
