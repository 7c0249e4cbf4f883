"""The ``rcm`` command line: the one entry point for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError

from relay.errors import RelayError
from relay.settings import Settings, load_settings

log = logging.getLogger("rcm")

Verb = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


async def _open_store(settings: Settings) -> Any:
    from relay.crypto import KeyRing
    from relay.store import Store

    keys = KeyRing.load_or_create(settings.resolved_key_file)
    return await Store.open(
        settings.db_path, keys, url=settings.database_url, vault_url=settings.vault_url
    )


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot (long polling) until interrupted."""
    from bot.app import run_until_signalled
    from bot.webhook import WebhookOptions
    from relay.runlock import exclusive

    webhook = None
    if args.webhook_url:
        host, _, port = args.listen.rpartition(":")
        webhook = WebhookOptions(url=args.webhook_url, host=host or "127.0.0.1", port=int(port))
        if settings.webhook_secret:
            webhook = replace(webhook, secret=settings.webhook_secret)
    if webhook is not None and settings.database_url:
        # Webhook workers on PostgreSQL share the database by design (claims skip locked rows).
        await run_until_signalled(settings, webhook)
        return 0
    with exclusive(settings.data_dir, "rcm run"):
        await run_until_signalled(settings, webhook)
    return 0


async def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Run the local Bot API server alone."""
    from bot.sandbox import serve_forever

    await serve_forever(args.host, args.port, rate_limits=args.rate_limits)
    return 0


async def cmd_sites(args: argparse.Namespace, settings: Settings) -> int:
    """List the detention sites."""
    from relay.sites import load_sites

    for site in load_sites(settings.sites_file).values():
        langs = ",".join(site.languages)
        where = f"{site.name} ({site.country})"
        print(f"{site.code:6} {where} languages={langs} words<={site.word_limit}")
    return 0


async def cmd_rules_check(args: argparse.Namespace, settings: Settings) -> int:
    """Read a text on standard input and print the findings as JSON."""
    from relay.rules import RuleEngine, findings_to_json
    from relay.sites import load_sites

    engine = RuleEngine.load(settings.rules_file)
    limit = None
    if args.site:
        sites = load_sites(settings.sites_file)
        if args.site not in sites:
            print(f"unknown site {args.site}", file=sys.stderr)
            return 2
        limit = sites[args.site].word_limit
    text = sys.stdin.read()
    print(
        findings_to_json(engine.check(text, lang=args.lang, site_code=args.site, word_limit=limit))
    )
    return 0


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the database with SQLite's online backup."""
    store = await _open_store(settings)
    try:
        await store.backup(Path(args.file))
    finally:
        await store.close()
    print(f"backup written to {args.file} (keys are not in it: keep the key file safe apart)")
    return 0


async def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Walk the audit chain."""
    from relay import audit

    store = await _open_store(settings)
    try:
        count = await audit.verify(store)
    finally:
        await store.close()
    print(f"audit log intact: {count} entries")
    return 0


async def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """Add a new master key, re-encrypt under it, retire the old one."""
    import dataclasses

    from relay.keyrotation import rotate
    from relay.runlock import exclusive

    with exclusive(settings.data_dir, "rcm keys rotate"):
        store = await _open_store(settings)
        try:
            report = await rotate(store, actor="admin-cli")
        finally:
            await store.close()
    print(json.dumps(dataclasses.asdict(report), default=str))
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``rcm``."""
    p = argparse.ArgumentParser(prog="rcm", description="RCM Relay: Red Cross messages")
    p.add_argument("--env-file", type=Path, default=Path(".env"), help="KEY=value file to read")
    p.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = p.add_subparsers(dest="verb", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--webhook-url", help="public HTTPS URL for Telegram to call (webhook mode)")
    run.add_argument(
        "--listen", default="127.0.0.1:8443", help="HOST:PORT the webhook server listens on"
    )
    run.set_defaults(func=cmd_run)
    sb = sub.add_parser("sandbox", help="run the local Bot API server")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8081)
    sb.add_argument("--rate-limits", action="store_true", help="enforce Telegram's rate limits")
    sb.set_defaults(func=cmd_sandbox)
    sub.add_parser("sites", help="list detention sites").set_defaults(func=cmd_sites)
    rules = sub.add_parser("rules", help="content rules")
    rules_sub = rules.add_subparsers(dest="rules_verb", required=True)
    check = rules_sub.add_parser("check", help="print findings for a text read on stdin")
    check.add_argument("--site")
    check.add_argument("--lang")
    check.set_defaults(func=cmd_rules_check)
    backup = sub.add_parser("backup", help="online backup of the database")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    audit = sub.add_parser("audit", help="audit log")
    audit_sub = audit.add_subparsers(dest="audit_verb", required=True)
    audit_sub.add_parser("verify", help="verify the hash chain").set_defaults(
        func=cmd_audit_verify
    )
    keys = sub.add_parser("keys", help="encryption keys")
    keys_sub = keys.add_subparsers(dest="keys_verb", required=True)
    keys_sub.add_parser("rotate", help="rotate the master key").set_defaults(func=cmd_keys_rotate)
    for extra in _extra_verbs():
        extra(sub)
    return p


def _extra_verbs() -> list[Callable[[Any], None]]:
    """Verbs defined next to their features (demo, export, hand-over, purge)."""
    from bot import cli_delegate, cli_demo

    return [cli_demo.add_verbs, cli_delegate.add_verbs]


def _why(error: TelegramError) -> str:
    if isinstance(error, InvalidToken):
        return "the bot token was rejected: check RCM_BOT_TOKEN"
    if isinstance(error, NetworkError):
        return "network error: check RCM_TELEGRAM_API_URL and the connection"
    return type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """Run one ``rcm`` verb; exit 2 with a clear sentence on a configuration error."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.app import quiet_libraries

    quiet_libraries()
    try:
        settings = load_settings(env_file=args.env_file)
        func: Verb = args.func
        return asyncio.run(func(args, settings))
    except RelayError as exc:
        print(f"rcm: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:
        # Never print the exception's text: PTB puts the token in some of them.
        print(f"rcm: the Bot API refused or could not be reached ({_why(exc)})", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
