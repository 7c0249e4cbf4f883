"""A round-robin reverse proxy for webhook workers, as nginx or a cloud balancer would be.

Each call goes to the next worker; a worker that is down (connection refused, reset) is
skipped for this call, like nginx's ``proxy_next_upstream error``. When none answers the
caller gets 502 and Telegram (the sandbox) retries later.
"""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web


class Balancer:
    """Forward POSTs on ``/tg`` to ``http://127.0.0.1:<port>/tg`` of the workers in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0
        self.forwarded: dict[int, int] = dict.fromkeys(ports, 0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg"

    async def __aenter__(self) -> Balancer:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post("/tg", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = "application/json"
        start = next(self._turn)
        for n in range(len(self.ports)):
            port = self.ports[(start + n) % len(self.ports)]
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{port}/tg", data=body, headers=headers
                ) as answer:
                    await answer.read()
                    self.forwarded[port] += 1
                    return web.Response(status=answer.status)
            except (aiohttp.ClientConnectionError, TimeoutError):
                continue
        return web.Response(status=502)
