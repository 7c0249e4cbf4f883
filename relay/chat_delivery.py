"""Delivery in the chat: approved messages between linked people, and approved replies.

Both go through the outbox to the recipient's chat, with redacted passages blacked out.
"""

from __future__ import annotations

import json

from relay import links, outbox
from relay.lifecycle import Action, transition
from relay.models import MessageKind, MessageState
from relay.notices import DigitalMessage, Notice, ReplyArrived
from relay.store import Row, Tx


def redacted(text: str, spans: list[tuple[int, int]], mark: str = "█") -> str:
    """Return ``text`` with every redacted character replaced (spaces kept)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if not chars[i].isspace():
                chars[i] = mark
    return "".join(chars)


async def deliver_in_chat(
    tx: Tx,
    row: Row,
    text: str,
    spans: list[tuple[int, int]],
    *,
    photo_removed: str | None = None,
) -> None:
    """Deliver an approved digital message or reply to its recipient's chat via the outbox.

    ``photo_removed`` is the reason code when the reviewer held the photo back.
    """
    message_id, family = row["id"], row["family_id"]
    reference = (await tx.open_for(family, "messages", "ref", message_id, row["ref_enc"])).decode()
    if row["kind"] == MessageKind.REPLY:
        recipient = family
        notice: Notice = ReplyArrived(
            message_id=message_id,
            reference=reference,
            text=redacted(text, spans) if text else "",
            has_photo=row["photo_enc"] is not None and photo_removed is None,
            photo_removed=photo_removed or "",
        )
    else:
        addressee = await tx.one(
            "SELECT data_enc FROM addressees WHERE id = ?", (row["addressee_id"],)
        )
        assert addressee is not None
        data = json.loads(
            await tx.open_for(
                family, "addressees", "data", row["addressee_id"], addressee["data_enc"]
            )
        )
        recipient = str(data["linked_person_id"])
        if not await links.is_linked_in(tx, family, recipient):
            # The link ended while the message was in review: it is not delivered.
            await transition(
                tx,
                message_id=message_id,
                to=MessageState.CANCELLED,
                action=Action.CANCEL,
                actor="system",
                detail={"why": "link_ended"},
                notify=False,
            )
            return
        profile = await tx.one("SELECT profile_enc FROM people WHERE id = ?", (family,))
        sender = ""
        if profile is not None and profile["profile_enc"] is not None:
            sender = json.loads(
                await tx.open_for(family, "people", "profile", family, profile["profile_enc"])
            )["full_name"]
        notice = DigitalMessage(
            message_id=message_id, reference=reference, text=redacted(text, spans), sender=sender
        )
    await outbox.enqueue(tx, recipient, notice)
    await transition(
        tx,
        message_id=message_id,
        to=MessageState.DELIVERED,
        action=Action.DELIVER_DIGITAL,
        actor="system",
        detail={"channel": "chat"},
        notify=row["kind"] != MessageKind.REPLY,
    )
