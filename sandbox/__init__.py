"""A local Telegram Bot API server (the sandbox) for the demo, the end-to-end tests and benches.

Point python-telegram-bot at it with
``Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")`` and play the users
through :class:`SandboxClient` (HTTP, any process) or ``SandboxServer.state`` (in-process).
"""

from sandbox.client import SandboxClient, SandboxClientError, SimUser, TranscriptEntry
from sandbox.limits import FaultConfig, LimitConfig
from sandbox.server import SandboxServer, serve_forever
from sandbox.state import World

__all__ = [
    "FaultConfig",
    "LimitConfig",
    "SandboxClient",
    "SandboxClientError",
    "SandboxServer",
    "SimUser",
    "TranscriptEntry",
    "World",
    "serve_forever",
]
