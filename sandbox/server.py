"""SandboxServer: the Bot API, file downloads and the control API on one loopback port."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox import api_manage, api_send  # noqa: F401  (importing them registers methods)
from sandbox.api import METHODS, TOKEN_RE, ApiError, Call, Params, Upload, canonical_name
from sandbox.api import dispatch as dispatch_method
from sandbox.control import PREFIX, ControlApi
from sandbox.limits import FaultConfig, FaultInjector, FaultPlan, LimitConfig, RateLimiter
from sandbox.state import JSON, SandboxError, World
from sandbox.webhooks import WebhookDelivery

log = logging.getLogger("sandbox")

# Telegram accepts uploads up to 50 MB from bots.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


INDEX = """RCM Relay sandbox: a local stand-in for Telegram's Bot API (no chat window here).

A bot talks to it at {root}/bot<token>/<method>, for example:
  RCM_TELEGRAM_API_URL={root} RCM_BOT_TOKEN=123:abc .venv/bin/rcm run

To talk to the bot yourself, as a family or a staff member, run:
  .venv/bin/rcm demo --interactive
(it starts its own sandbox and bot, plays the story, then lets you type as anyone).

Scripts play users through the control API under {root}/_sandbox/ (GET /_sandbox/health).
"""


def _error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering, as a flaky network would."""
    if request.transport is not None:
        request.transport.abort()
    # aiohttp discards a response to an aborted transport; returning one avoids an error log.
    return web.Response(status=204)


async def read_params(request: web.Request) -> Params:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.can_read_body:
        return Params(values, uploads)
    if request.content_type == "multipart/form-data":
        # Read parts into memory ourselves: request.post() would spool files to disk.
        reader = await request.multipart()
        total = 0
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is None:
                values[part.name] = await part.text()
                continue
            data = bytes(await part.read(decode=False))
            total += len(data)
            if total > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            uploads[part.name] = Upload(part.filename, part.headers.get("Content-Type"), data)
    elif request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
        if isinstance(body, dict):
            values.update(body)
    else:
        values.update(await request.post())
    return Params(values, uploads)


class SandboxServer:
    """A local Telegram Bot API server for the demo, the tests and the benchmarks."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limits: bool = False,
        text_limits: bool = True,
        faults: FaultConfig | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.state = World()
        self.limiter = RateLimiter(LimitConfig(rate_limits=rate_limits, text_limits=text_limits))
        self.faults = FaultInjector(faults)
        self.control = ControlApi(self.state, self.limiter, self.faults)
        self.webhooks = WebhookDelivery(self.state)
        self.state.on_webhook = self.webhooks.watch
        self._runner: web.AppRunner | None = None

    @property
    def api_root(self) -> str:
        """Return the root URL, e.g. http://127.0.0.1:PORT (Bot API at <root>/bot<token>)."""
        if self._runner is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    def make_app(self) -> web.Application:
        """Build the aiohttp application."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.add_routes(self.control.routes())
        app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self._bot_api),
                web.get("/file/bot{token}/{path:.+}", self._download),
                web.get("/", self._index),
                web.route("*", "/{tail:.*}", self._not_found),
            ]
        )
        return app

    async def start(self) -> None:
        """Listen on the configured host and port (0 picks a free port)."""
        if self._runner is not None:
            return
        # Cancel a handler when its client goes away (an abandoned long poll must not linger
        # and later swallow nothing); keep shutdown short for fast tests.
        runner = web.AppRunner(
            self.make_app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = site._server  # aiohttp exposes the bound port only on the asyncio server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = int(server.sockets[0].getsockname()[1])
        log.info("sandbox Bot API listening on %s", self.api_root)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("sandbox Bot API stopped")

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- handlers -------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        # People open the root in a browser after `rcm sandbox`: say what this is, not 404.
        return web.Response(text=INDEX.format(root=self.api_root), content_type="text/plain")

    async def _not_found(self, request: web.Request) -> web.Response:
        if request.path.startswith(PREFIX + "/"):
            return web.json_response(
                {"ok": False, "error": "unknown control endpoint"}, status=404
            )
        return _error(404, "Not Found")

    # Each early answer mirrors one of Telegram's refusals; a single exit would hide that.
    async def _bot_api(self, request: web.Request) -> web.Response:
        match = TOKEN_RE.match(request.match_info["token"])
        if match is None:
            return _error(401, "Unauthorized")
        raw_method = request.match_info["method"]
        if raw_method.lower() not in METHODS:
            self.state.counters.requests[raw_method.lower()] += 1
            return _error(404, "Not Found")
        method = canonical_name(raw_method)
        bot_id = int(match.group(1))
        self.state.counters.requests[method] += 1
        plan = self.faults.plan(method)
        try:
            early = await self._apply_faults(request, plan, bot_id, method)
            if early is not None:
                return early
            bot = self.state.ensure_bot(bot_id)
            call = Call(self.state, bot, await read_params(request), self.limiter, method)
            result = await dispatch_method(call)
        except ApiError as err:
            return _error(err.status, err.description, err.parameters)
        except SandboxError as err:
            return _error(err.status, err.description)
        if plan.drop_after:
            log.info("fault drop_after bot=%s method=%s", bot_id, method)
            return _drop(request)
        return web.json_response({"ok": True, "result": result})

    async def _apply_faults(
        self, request: web.Request, plan: FaultPlan, bot_id: int, method: str
    ) -> web.Response | None:
        for name in plan.injected:
            self.state.counters.faults[name] += 1
        if plan.delay:
            log.info("fault delay=%.3fs bot=%s method=%s", plan.delay, bot_id, method)
            await asyncio.sleep(plan.delay)
        if plan.action is None:
            return None
        log.info("fault %s bot=%s method=%s", plan.action, bot_id, method)
        if plan.action == "drop":
            return _drop(request)
        if plan.action == "429":
            self.state.counters.too_many_requests += 1
            return _error(
                429,
                f"Too Many Requests: retry after {plan.retry_after}",
                {"retry_after": plan.retry_after},
            )
        if plan.action == "502":
            return _error(502, "Bad Gateway")
        return _error(500, "Internal Server Error")

    async def _download(self, request: web.Request) -> web.Response:
        if TOKEN_RE.match(request.match_info["token"]) is None:
            return _error(401, "Unauthorized")
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


async def serve_forever(host: str, port: int, *, rate_limits: bool) -> None:
    """Run a sandbox until cancelled (the `rcm sandbox` verb)."""
    server = SandboxServer(host, port, rate_limits=rate_limits)
    await server.start()
    log.info("sandbox ready: RCM_TELEGRAM_API_URL=%s", server.api_root)
    log.info("to talk to a bot by hand: .venv/bin/rcm demo --interactive")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
