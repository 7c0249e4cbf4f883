"""Receive updates by webhook (``rcm run --webhook-url``), as durably as by polling.

Telegram retries a webhook call until it gets a 200. We answer 200 only after the update is
stored in the inbox, so an update Telegram handed over survives a crash; it is then handled
like a polled one (and replayed at start if the process died meanwhile). Every call must
carry the secret token given to setWebhook, so nobody else can inject updates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.polling import UpdateFeed, sender_of
from bot.transport import inbox
from relay.store import Store

log = logging.getLogger("bot.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_UPDATE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram should call us, and where we listen."""

    url: str  # public HTTPS URL Telegram calls, e.g. https://rcm.example.org/tg
    host: str = "127.0.0.1"  # behind a TLS-terminating reverse proxy
    port: int = 8443
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def path(self) -> str:
        tail = self.url.split("://", 1)[-1]
        return "/" + tail.split("/", 1)[1] if "/" in tail else "/"


class DurableWebhook(UpdateFeed):
    """An aiohttp server that stores each update before answering Telegram."""

    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], store: Store, options: WebhookOptions
    ) -> None:
        super().__init__(app, store)
        self.shared = store.kind != "sqlite"
        self.options = options
        self._runner_web: web.AppRunner | None = None
        self.port: int | None = None

    async def run(self) -> None:
        """Replay what is pending, register the webhook, and serve until cancelled."""
        await self.replay_pending()
        server = web.Application(client_max_size=MAX_UPDATE_BYTES)
        server.router.add_post(self.options.path, self._receive)
        self._runner_web = web.AppRunner(server, access_log=None)
        await self._runner_web.setup()
        site = web.TCPSite(self._runner_web, self.options.host, self.options.port)
        await site.start()
        addresses = self._runner_web.addresses
        self.port = int(addresses[0][1]) if addresses else self.options.port
        await self.app.bot.set_webhook(
            self.options.url, secret_token=self.options.secret, allowed_updates=[]
        )
        self.ready.set()
        log.info("webhook listening on %s:%s", self.options.host, self.port)
        try:
            await asyncio.Event().wait()  # serve until cancelled
        finally:
            await self._runner_web.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.options.secret.encode()):
            return web.Response(status=401)
        raw = await request.read()
        try:
            update_id = int(json.loads(raw)["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        who = sender_of(raw)
        senders = {update_id: who} if who is not None else None
        fresh = await inbox.store_updates(self.store, [(update_id, raw)], senders)
        if fresh:
            self._spawn(update_id, raw)
        return web.Response(status=200)
