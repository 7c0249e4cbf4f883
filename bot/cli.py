"""The ``rcm`` command line: the one entry point for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.cli_args import (
    CliError,
    OneLineParser,
    add_verb,
    check_bindable,
    check_writable,
    env_file,
    host_port,
    language,
    one_of,
    open_store,
    port,
)
from bot.i18n.catalog import SUPPORTED as LANGUAGES
from relay.errors import NotFound, RelayError
from relay.settings import Settings, load_settings

log = logging.getLogger("rcm")

Verb = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
# Adds verbs to the subparsers: how rcm/ brings in the demo's, which bot/ must not import.
AddVerbs = Callable[[Any], None]


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot (long polling) until interrupted."""
    from bot.app import run_until_signalled
    from bot.webhook import WebhookOptions
    from relay.runlock import exclusive

    webhook = None
    if args.webhook_url and settings.database_url and not settings.webhook_secret:
        # Several workers may share PostgreSQL: each would register its own random secret,
        # the last setWebhook would win and the others would refuse Telegram's calls.
        raise CliError(
            "webhook mode on PostgreSQL needs RCM_WEBHOOK_SECRET, the same in every worker"
            " (e.g. export RCM_WEBHOOK_SECRET=$(openssl rand -hex 32); see README, Deployment)"
        )
    if args.webhook_url:
        host, listen_port = args.listen
        check_bindable(host, listen_port, "--listen")
        webhook = WebhookOptions(url=args.webhook_url, host=host, port=listen_port)
        if settings.webhook_secret:
            webhook = replace(webhook, secret=settings.webhook_secret)
    if settings.key_in_data_dir:
        log.warning(
            "the master key (%s) is inside the data folder: whoever copies the folder can read"
            " everything; set RCM_KEY_FILE to a path elsewhere (see README, Deployment)",
            settings.resolved_key_file,
        )
    if webhook is not None and settings.database_url:
        # Webhook workers on PostgreSQL share the database by design (claims skip locked rows).
        await run_until_signalled(settings, webhook)
        return 0
    with exclusive(settings.data_dir, "rcm run"):
        await run_until_signalled(settings, webhook)
    return 0


async def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Run the local Bot API server alone."""
    from sandbox import serve_forever

    check_bindable(args.host, args.port, "--host/--port")
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

    limit = None
    site = args.site.upper() if args.site else None
    sites = load_sites(settings.sites_file) if site else {}
    engine = RuleEngine.load(settings.rules_file, sites=sites)  # phones read by site country
    if site:
        if site not in sites:
            raise CliError(f"unknown site {site}; valid codes: {one_of(sites)}")
        limit = sites[site].word_limit
    if sys.stdin.isatty():  # otherwise it would wait silently for input
        print("rcm: type or paste the text, then Ctrl-D", file=sys.stderr)
    text = sys.stdin.read()
    print(findings_to_json(engine.check(text, lang=args.lang, site_code=site, word_limit=limit)))
    return 0


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the database with SQLite's online backup."""
    target = Path(args.file)
    check_writable(target)
    store = await open_store(settings)
    try:
        await store.backup(target)
    finally:
        await store.close()
    print(f"backup written to {args.file} (keys are not in it: keep the key file safe apart)")
    return 0


async def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Walk the audit chain."""
    from relay import audit

    store = await open_store(settings)
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
        store = await open_store(settings)
        try:
            report = await rotate(store, actor="admin-cli")
        finally:
            await store.close()
    print(json.dumps(dataclasses.asdict(report), default=str))
    return 0


def parser(extra_verbs: Sequence[AddVerbs] = ()) -> argparse.ArgumentParser:
    """Return the argument parser of ``rcm``, with the verbs of layers above (rcm/cli.py)."""
    p = OneLineParser(
        prog="rcm",
        description="RCM Relay: Red Cross messages between detained people and their families.",
        epilog="examples:\n  rcm demo\n  rcm sites\n  rcm export --site ALP --manifest\n"
        "Run `rcm VERB --help` for the options and an example of each verb.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--env-file",
        type=env_file,
        metavar="FILE",
        help="KEY=value file to read before the environment (default: ./.env when it exists)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    run = add_verb(
        sub,
        "run",
        "run the bot (long polling, or a webhook)",
        "RCM_BOT_TOKEN=<token from @BotFather> rcm run",
        "rcm run --webhook-url https://relay.example.org/tg --listen 127.0.0.1:8443",
    )
    run.add_argument("--webhook-url", help="public HTTPS URL for Telegram to call (webhook mode)")
    run.add_argument(
        "--listen",
        type=host_port,
        default=("127.0.0.1", 8443),
        metavar="HOST:PORT",
        help="where the webhook server listens (default: 127.0.0.1:8443)",
    )
    run.set_defaults(func=cmd_run, log_level=logging.INFO)
    sb = add_verb(sub, "sandbox", "run the local Bot API server alone", "rcm sandbox --port 8081")
    sb.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    sb.add_argument(
        "--port", type=port, default=8081, help="port to listen on (default: 8081; 0: any free)"
    )
    sb.add_argument("--rate-limits", action="store_true", help="enforce Telegram's rate limits")
    sb.set_defaults(func=cmd_sandbox, log_level=logging.INFO)
    add_verb(sub, "sites", "list the detention sites", "rcm sites").set_defaults(func=cmd_sites)
    rules = add_verb(
        sub,
        "rules",
        "check texts against the content rules",
        "echo 'call me on 0944 123 456' | rcm rules check",
    )
    rules_sub = rules.add_subparsers(dest="rules_verb", required=True, metavar="VERB")
    check = add_verb(
        rules_sub,
        "check",
        "print the findings for a text read on standard input, as JSON",
        "echo 'Mi número es 0944 123 456' | rcm rules check --site ALP --lang es",
    )
    check.add_argument("--site", metavar="CODE", help="apply this site's rules and word limit")
    check.add_argument(
        "--lang",
        type=language,
        metavar="xx",
        help=f"language of the text ({' '.join(LANGUAGES)})",
    )
    check.set_defaults(func=cmd_rules_check)
    backup = add_verb(
        sub,
        "backup",
        "online backup of the database (keys are not in it)",
        "rcm backup /media/usb/rcm-2026-11-30.sqlite3",
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy of the database")
    backup.set_defaults(func=cmd_backup)
    audit = add_verb(sub, "audit", "the audit log of every decision", "rcm audit verify")
    audit_sub = audit.add_subparsers(dest="audit_verb", required=True, metavar="VERB")
    add_verb(
        audit_sub, "verify", "walk the audit log's hash chain", "rcm audit verify"
    ).set_defaults(func=cmd_audit_verify)
    keys = add_verb(sub, "keys", "the master encryption key", "rcm keys rotate")
    keys_sub = keys.add_subparsers(dest="keys_verb", required=True, metavar="VERB")
    add_verb(
        keys_sub,
        "rotate",
        "new master key, everything re-encrypted, old key retired",
        "rcm keys rotate",
    ).set_defaults(func=cmd_keys_rotate)
    for extra in (*extra_verbs, *_extra_verbs()):
        extra(sub)
    return p


def _extra_verbs() -> list[AddVerbs]:
    """Verbs defined next to their features (export, hand-over, purge, console)."""
    from bot import cli_console, cli_delegate, cli_pack

    return [cli_delegate.add_verbs, cli_pack.add_verbs, cli_console.add_verbs]


def _why(error: TelegramError) -> str:
    if isinstance(error, InvalidToken):
        return "the bot token was rejected: check RCM_BOT_TOKEN"
    if isinstance(error, NetworkError):
        return "network error: check RCM_TELEGRAM_API_URL and the connection"
    return type(error).__name__


def _logging(args: argparse.Namespace) -> None:
    # A one-shot verb answers in one line: INFO lines (a fresh database's migrations) would
    # bury it. The servers (run, console, sandbox) ask for INFO: their log is read.
    quiet = getattr(args, "log_level", logging.WARNING)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.app import quiet_libraries

    quiet_libraries()


def _refusal(exc: RelayError) -> str:
    if isinstance(exc, NotFound):
        return f"not found: {exc}"
    return str(exc)


def main(argv: list[str] | None = None, extra_verbs: Sequence[AddVerbs] = ()) -> int:
    """Run one ``rcm`` verb; a refusal is one line on stderr and a non-zero exit."""
    args = parser(extra_verbs).parse_args(argv)
    _logging(args)
    try:
        settings = load_settings(env_file=args.env_file or Path(".env"))
        func: Verb = args.func
        return asyncio.run(func(args, settings))
    except CliError as exc:
        print(f"rcm: {exc}", file=sys.stderr)
        return 2
    except RelayError as exc:
        print(f"rcm: {_refusal(exc)}", file=sys.stderr)
        return 2
    except TelegramError as exc:
        # Never print the exception's text: PTB puts the token in some of them.
        print(f"rcm: the Bot API refused or could not be reached ({_why(exc)})", file=sys.stderr)
        return 3
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
            # Taken between check_bindable and the server's own bind: still one line.
            print(f"rcm: cannot listen there: {exc.strerror}", file=sys.stderr)
            return 2
        if exc.filename is None:
            raise
        # A path the user gave that cannot be read or written: say which and why, no traceback.
        print(f"rcm: {exc.filename}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Without the demo's verb this is not the whole command line: refuse rather than half-run.
    raise SystemExit("rcm: run `python -m rcm` (or `rcm`); bot.cli has not every verb")
