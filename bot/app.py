"""Composition root: settings, keys, store, rules and the python-telegram-bot Application.

Handlers are registered in explicit groups; the order matters:
  group -2  gatekeeper: per-user request limit, before anything else runs
  group -1  staff input that must not reach the family's compose: a reviewer's typed note
            or passage, a delegate's reply photo (they stop the update when they take it)
  group  0  commands and buttons of every role, then typed text, then the catch-alls last
            (within a group the first matching handler wins, so the catch-alls only answer
            what nobody else took)
Updates do not come through PTB's Updater (it confirms them before handlers run) but
through ``bot.polling.DurablePoller``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.alerts import AlertTicker
from bot.context import CONTEXT_TYPES, RequestLimiter, Services
from bot.dispatcher import OutboxDispatcher
from bot.handlers import (
    admin,
    claims,
    common,
    compose,
    console_link,
    delegate,
    fallback,
    family,
    links,
    review,
)
from bot.i18n.catalog import LOCALES_DIR, missing_catalogs
from bot.i18n.menus import menus
from bot.polling import DurablePoller, UpdateFeed
from bot.ratelimit import PacingRetryingLimiter
from bot.webhook import DurableWebhook, WebhookOptions
from relay import recovery, roles
from relay.clock import Clock
from relay.crypto import KeyRing
from relay.errors import ConfigError
from relay.findings import Checker
from relay.models import Site
from relay.rules import RuleEngine
from relay.settings import Settings
from relay.sites import load_sites
from relay.store import Store

log = logging.getLogger("bot.app")

App = Application[Any, Any, Any, Any, Any, Any]


def quiet_libraries() -> None:
    """Keep the bot token and update contents out of the logs."""
    # httpx logs every request URL at INFO, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def open_services(
    settings: Settings, *, clock: Clock | None = None, checker: Checker | None = None
) -> Services:
    """Open keys, store, sites and rules once."""
    keys = KeyRing.load_or_create(settings.resolved_key_file)
    sites: dict[str, Site] = load_sites(settings.sites_file)
    engine = checker or RuleEngine.load(settings.rules_file)
    store = await Store.open(
        settings.db_path,
        keys,
        clock=clock,
        url=settings.database_url,
        vault_url=settings.vault_url,
    )
    store.lease_s = float(settings.worker_lease_s)
    try:
        # Before any update is replayed: a send torn by a kill is written again, not failed.
        await recovery.drop_torn_messages(store)
        await roles.bootstrap_admins(store, settings.admin_addresses)
    except BaseException:
        await store.close()
        raise
    return Services(
        settings=settings,
        store=store,
        sites=sites,
        checker=engine,
        limiter=RequestLimiter(settings.requests_per_minute),
    )


def register_handlers(app: App) -> None:
    """Register every handler in its group (see the module docstring for the order)."""
    app.add_handler(TypeHandler(Update, common.gatekeeper), group=-2)
    for module in (family, compose, links, review, admin, delegate, claims, console_link):
        module.register(app)
    fallback.register(app)  # last: it answers whatever nobody else took
    app.add_error_handler(common.on_error)


def build_application(settings: Settings) -> App:
    """Build the Application for the configured Bot API server (no Updater)."""
    if settings.bot_token is None:
        raise ConfigError("RCM_BOT_TOKEN: not set (the bot needs its token from @BotFather)")
    # A missing catalog would answer an Arabic family in English without a word: refuse.
    missing = missing_catalogs()
    if missing:
        raise ConfigError(
            f"translations missing for {', '.join(missing)} in {LOCALES_DIR}: reinstall rcm-relay"
        )
    root = settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
        .context_types(CONTEXT_TYPES)
        # Paces chat requests overall, retries per request, never pauses the whole bot.
        .rate_limiter(PacingRetryingLimiter(per_second=29.0))
        .connection_pool_size(64)
        .build()
    )
    register_handlers(app)
    return app


@dataclass
class RunningBot:
    app: App
    services: Services
    poller: UpdateFeed
    dispatcher: OutboxDispatcher
    ticker: AlertTicker | None = None

    async def stop(self) -> None:
        """Stop receiving, finish what is being handled, then close everything."""
        await self.poller.stop()
        if self.ticker is not None:
            await self.ticker.stop()
        await self.dispatcher.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.services.store.close()


async def start_bot(
    settings: Settings,
    *,
    clock: Clock | None = None,
    poll_timeout_s: int = 25,
    checker: Checker | None = None,
    webhook: WebhookOptions | None = None,
) -> RunningBot:
    """Open everything and start polling and the outbox; return handles to stop it."""
    quiet_libraries()
    app = build_application(settings)
    svc = await open_services(settings, clock=clock, checker=checker)
    app.bot_data.services = svc
    # Long polling is one process by nature (Telegram refuses a second getUpdates), so is
    # SQLite (rcm run holds the data folder); webhook workers on PostgreSQL may be several.
    shared = webhook is not None and svc.store.kind != "sqlite"
    dispatcher = OutboxDispatcher(app.bot, svc.store, shared=shared)
    poller: UpdateFeed = (
        DurableWebhook(app, svc.store, webhook)
        if webhook is not None
        else DurablePoller(app, svc.store, timeout_s=poll_timeout_s)
    )
    running = RunningBot(app, svc, poller, dispatcher)
    try:
        await app.initialize()
        for code, commands in menus():
            await app.bot.set_my_commands(commands, language_code=code)
        await app.start()
        svc.dispatcher = dispatcher
        dispatcher.start()
        running.ticker = AlertTicker(svc.store, svc.wake_outbox)  # staff backlog summaries
        running.ticker.start()
        poller.start()
        # Return once updates can come in (the webhook is registered, the poller polls).
        await poller.wait_ready()
    except BaseException:
        # Close what was opened: a store left open keeps the process from exiting.
        await running.stop()
        raise
    log.info("bot started")
    return running


async def run_until_signalled(settings: Settings, webhook: WebhookOptions | None = None) -> None:
    """Run the bot until SIGINT or SIGTERM (``rcm run``)."""
    running = await start_bot(settings, webhook=webhook)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await running.stop()
