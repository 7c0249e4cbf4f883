"""``rcm console [--listen HOST:PORT]`` and ``rcm console link TELEGRAM_USER_ID``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.cli_args import add_verb, check_bindable, host_port, open_store
from relay.settings import Settings


async def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the staff web console, or print a single-use sign-in link."""
    if args.console_verb == "link":
        return await _link(args, settings)
    from console.run import serve

    host, port = args.listen
    check_bindable(host, port, "--listen")
    # Opened as every verb opens it: PostgreSQL when RCM_DATABASE_URL is set.
    store = await open_store(settings)
    try:
        await serve(store, settings, host, port)
    finally:
        await store.close()
    return 0


async def _link(args: argparse.Namespace, settings: Settings) -> int:
    from bot.transport import address_of
    from relay import staff_access
    from relay.errors import NotFound

    store = await open_store(settings)
    try:
        token = await staff_access.create_link_for(
            store, address=address_of(args.telegram_user_id), actor="admin-cli"
        )
    except NotFound:
        print(f"rcm: {args.telegram_user_id} holds no staff role", file=sys.stderr)
        return 2
    finally:
        await store.close()
    print(f"{settings.console_url}/login/{token}")
    return 0


def add_verbs(sub: Any) -> None:
    """Add ``console`` to the rcm parser."""
    console = add_verb(
        sub,
        "console",
        "serve the staff web console",
        "rcm console --listen 127.0.0.1:8088",
        "rcm console link 123456789",
    )
    console.add_argument(
        "--listen",
        type=host_port,
        default=("127.0.0.1", 8088),
        metavar="HOST:PORT",
        help="where to serve (default: 127.0.0.1:8088; TLS by a reverse proxy)",
    )
    # The server's INFO lines are its log; `link` answers in one line.
    console.set_defaults(func=cmd_console, console_verb=None, log_level=logging.INFO)
    verbs = console.add_subparsers(dest="console_verb")
    link = add_verb(
        verbs,
        "link",
        "print a single-use sign-in link for a staff member (valid 10 minutes)",
        "rcm console link 123456789",
    )
    link.add_argument(
        "telegram_user_id",
        type=int,
        metavar="TELEGRAM_USER_ID",
        help="the staff member's Telegram user id (as in RCM_ADMIN_IDS)",
    )
    link.set_defaults(log_level=logging.WARNING)
