"""The end-to-end harness (sandbox, bot, client) is shared with tests/e2e."""

from tests.e2e.conftest import bot, client, sandbox

__all__ = ["bot", "client", "sandbox"]
