"""A webhook whose port is taken fails start_bot at once and leaves nothing open behind it."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from bot.app import start_bot
from bot.webhook import WebhookOptions
from sandbox import SandboxServer
from tests.e2e.conftest import e2e_settings


def _lingering(wait_s: float = 0.0) -> list[str]:
    """Threads that keep a process alive at exit (the store's connection is one).

    A closed connection's thread ends a moment after the close returns: each is given up to
    ``wait_s`` to finish (a condition, not a sleep); one that is still running stays listed.
    """
    for thread in threading.enumerate():
        if not thread.daemon and thread is not threading.current_thread():
            thread.join(timeout=wait_s)
    return sorted(t.name for t in threading.enumerate() if not t.daemon and t.is_alive())


async def test_a_taken_webhook_port_raises_and_closes_the_store(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # `rcm run --webhook-url` printed a traceback and then hung: stopping the dead feed
    # re-raised its error before the store was closed, and the store's thread stayed.
    before = _lingering(wait_s=10.0)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        options = WebhookOptions(url="https://rcm.example.org/tg", port=other.getsockname()[1])
        with pytest.raises(OSError, match="address already in use"):
            await start_bot(e2e_settings(tmp_path / "data", sandbox.api_root), webhook=options)
    assert _lingering(wait_s=10.0) == before
