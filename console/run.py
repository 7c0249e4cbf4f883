"""Serve the console over an open store until SIGINT or SIGTERM (``rcm console``).

The caller opens the store (bot/cli_console.py, as every ``rcm`` verb does), so the console
reads the same database as the bot: PostgreSQL when ``RCM_DATABASE_URL`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from relay import roles
from relay.export.worker import set_label_translator_factory
from relay.settings import Settings
from relay.sites import load_sites
from relay.store import Store

from console.i18n import label_gettext
from console.server import build_app

log = logging.getLogger("console")


async def serve(store: Store, settings: Settings, host: str, port: int) -> None:
    """Serve the console over the installation's ``store`` until signalled."""
    set_label_translator_factory(label_gettext)
    runner: web.AppRunner | None = None
    try:
        await roles.bootstrap_admins(store, settings.admin_addresses)
        app = build_app(store=store, sites=load_sites(settings.sites_file), settings=settings)
        runner = web.AppRunner(app, access_log=None)  # the access log would carry login tokens
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        log.info("console listening on %s:%d", host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()
