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
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from bot.context import CONTEXT_TYPES, RequestLimiter, Services
from bot.dispatcher import OutboxDispatcher
from bot.handlers import admin, common, compose, delegate, fallback, family, links, review
from bot.i18n.menus import menus
from bot.polling import DurablePoller
from relay import roles
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

TRANSIENT_RETRIES = 5


class RetryingRateLimiter(AIORateLimiter):
    """Pace requests, and retry the ones Telegram's own trouble failed (5xx, network).

    AIORateLimiter itself retries a 429 after its retry_after. Without this a 500 or a
    dropped connection on a handler's answer reaches the error handler, and the user reads
    "something went wrong" for a fault that was never theirs. getUpdates is left alone: the
    poller retries it. A retry after an answer was lost may repeat a message; that is the
    lesser harm than a lost one.
    """

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        for attempt in range(TRANSIENT_RETRIES):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                if attempt > 0 and endpoint == "answerCallbackQuery":
                    return True  # our earlier try was taken; only its answer was lost
                raise  # the request itself is wrong: asking again cannot help
            except NetworkError as exc:
                if endpoint == "getUpdates":
                    raise
                log.info("%s failed (%s); retry %d", endpoint, type(exc).__name__, attempt + 1)
                await asyncio.sleep(min(4.0, 0.25 * 2**attempt))
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


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
    store = await Store.open(settings.db_path, keys, clock=clock)
    sites: dict[str, Site] = load_sites(settings.sites_file)
    engine = checker or RuleEngine.load(settings.rules_file)
    await roles.bootstrap_admins(store, settings.admin_ids)
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
    for module in (family, compose, links, review, admin, delegate):
        module.register(app)
    fallback.register(app)  # last: it answers whatever nobody else took
    app.add_error_handler(common.on_error)


def build_application(settings: Settings) -> App:
    """Build the Application for the configured Bot API server (no Updater)."""
    if settings.bot_token is None:
        raise ConfigError("RCM_BOT_TOKEN: not set (the bot needs its token from @BotFather)")
    root = settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
        .context_types(CONTEXT_TYPES)
        # The limiter paces, and retries what failed on Telegram's side (see above); the
        # outbox still sees a 429 that outlasts three retries and reschedules the row.
        .rate_limiter(
            RetryingRateLimiter(overall_max_rate=29, overall_time_period=1, max_retries=3)
        )
        .connection_pool_size(64)
        .build()
    )
    register_handlers(app)
    return app


@dataclass
class RunningBot:
    app: App
    services: Services
    poller: DurablePoller
    dispatcher: OutboxDispatcher

    async def stop(self) -> None:
        """Stop receiving, finish what is being handled, then close everything."""
        await self.poller.stop()
        await self.dispatcher.stop()
        await self.app.stop()
        await self.app.shutdown()
        await self.services.store.close()


async def start_bot(
    settings: Settings,
    *,
    clock: Clock | None = None,
    poll_timeout_s: int = 25,
    checker: Checker | None = None,
) -> RunningBot:
    """Open everything and start polling and the outbox; return handles to stop it."""
    quiet_libraries()
    app = build_application(settings)
    svc = await open_services(settings, clock=clock, checker=checker)
    app.bot_data.services = svc
    await app.initialize()
    for code, commands in menus():
        await app.bot.set_my_commands(commands, language_code=code)
    await app.start()
    dispatcher = OutboxDispatcher(app.bot, svc.store)
    svc.dispatcher = dispatcher
    dispatcher.start()
    poller = DurablePoller(app, svc.store, timeout_s=poll_timeout_s)
    poller.start()
    log.info("bot started")
    return RunningBot(app, svc, poller, dispatcher)


async def run_until_signalled(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM (``rcm run``)."""
    running = await start_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await running.stop()
