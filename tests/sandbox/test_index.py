"""The sandbox's root page: someone who opens it in a browser learns what to do next."""

from __future__ import annotations

import aiohttp

from sandbox import SandboxServer


async def test_the_root_says_how_to_talk_to_the_bot(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(sandbox.api_root + "/") as response:
        body = await response.text()
        assert response.status == 200
        assert response.content_type == "text/plain"
    assert ".venv/bin/rcm demo --interactive" in body
    assert f"RCM_TELEGRAM_API_URL={sandbox.api_root} " in body


async def test_other_unknown_paths_still_answer_404(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(sandbox.api_root + "/nope") as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found"
