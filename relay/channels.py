"""How a person is reached: an opaque address on a channel (a messenger, a web console).

relay/ never reads an address: a front end gives one (``Address(channel, id)``) to find or
create the person it belongs to, and an opaque reply address (``people.record_consent``) to
be handed back with each outbox row. A second front end fits by naming its own channel.

A person is found by the blind index of their address, never by the address itself. The
index is keyed by ``"<channel>-user"``: the Telegram front end names its channel ``"tg"``
so that every person indexed before channels existed (as ``"tg-user"``) is found unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay.crypto import KeyRing


@dataclass(frozen=True, slots=True)
class Address:
    """A person's identity on one channel: ``channel`` names the front end, ``id`` is its own."""

    channel: str
    id: str

    def __post_init__(self) -> None:
        if not self.channel or not self.id:
            raise ValueError("an address needs a channel and an id")


# The sealed reply address (people.address_enc) is bound to the field name it was first sealed
# under: renaming it would leave every stored address unreadable.
ADDRESS_FIELD = "chat"


def channel_index(keys: KeyRing, address: Address) -> bytes:
    """Return the blind index a person is found by (``people.channel_index``)."""
    return keys.blind_index(f"{address.channel}-user", address.id)
