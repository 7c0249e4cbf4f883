"""Open the store and serve the console until SIGINT or SIGTERM (``rcm console``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from relay import roles
from relay.crypto import KeyRing
from relay.export.worker import set_label_translator_factory
from relay.settings import Settings
from relay.sites import load_sites
from relay.store import Store

from console.i18n import label_gettext
from console.server import build_app

log = logging.getLogger("console")


def parse_listen(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (the port may be 0: any free port)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen: {text!r} is not HOST:PORT")
    return host, int(port)


async def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the console over the installation's store until signalled."""
    set_label_translator_factory(label_gettext)
    store = await Store.open(settings.db_path, KeyRing.load_or_create(settings.resolved_key_file))
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
        await store.close()
