"""Input waiting to be handled, from any channel: sealed by its sender's key, erased with them.

A front end's transport (the Telegram one: ``bot/transport/inbox.py``) keeps what it received
in the ``inbox`` table until handled, and owns everything else about it (ids, offsets,
leases, replay). relay/ owns only what the domain promises about it: input from someone
known is sealed under that person's data key, so that erasing the person (which destroys
the key) makes it unreadable, in backups taken while it waited too; input from someone not
known yet is sealed under the system key (re-sealed by ``relay.keyrotation``). The sender
is kept as the blind index people are found by (``people.channel_index``), so that erasing
a person drops their waiting input without relay/ knowing what it is.
"""

from __future__ import annotations

from relay.crypto import blob_key_id, field_ad, open_sealed, seal
from relay.errors import CryptoError
from relay.store import Tx

TABLE, FIELD = "inbox", "payload"


async def seal_input(tx: Tx, row_id: str, raw: bytes, sender: bytes | None) -> bytes:
    """Seal one waiting input under its sender's data key, else under the system key."""
    if sender is not None:
        person = await tx.one("SELECT id FROM people WHERE channel_index = ?", (sender,))
        if person is not None:
            try:
                key = await tx.family_key(person["id"])
            except CryptoError:
                pass  # no key (being erased): the system key, like a stranger's
            else:
                return seal(key, f"f:{person['id']}", raw, field_ad(TABLE, FIELD, row_id))
    return tx.seal_system("inbox", "payload", row_id, raw)


async def open_input(tx: Tx, row_id: str, blob: bytes) -> bytes:
    """Open what ``seal_input`` sealed; CryptoError once its sender was erased."""
    kid = blob_key_id(blob)
    if not kid.startswith("f:"):
        return tx.open_system(TABLE, FIELD, row_id, blob)
    key = await tx.family_key(kid.removeprefix("f:"))
    return open_sealed(key, blob, field_ad(TABLE, FIELD, row_id))


async def erase_sender(tx: Tx, sender_index: bytes) -> int:
    """Erase the waiting input of one sender (a person being forgotten); return how many."""
    return await tx.execute(
        "UPDATE inbox SET state = 'done', payload_enc = NULL"
        " WHERE sender_index = ? AND state = 'pending'",
        (sender_index,),
    )
