"""The Telegram transport: how updates come in durably, and how Telegram users map to people.

relay/ knows people by an opaque channel address (``relay.channels.Address``); this package
is where a Telegram user id becomes one, and where Telegram's updates and offsets live.
"""

from __future__ import annotations

from relay.channels import Address
from relay.settings import TELEGRAM_CHANNEL

TELEGRAM = TELEGRAM_CHANNEL  # this channel's name in every Address


def address_of(user_id: int) -> Address:
    """Return the channel address of a Telegram user."""
    return Address(TELEGRAM, str(user_id))
