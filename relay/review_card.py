"""What the review card tells about a message besides its text: who writes to whom, and what
this sender wrote before; and the photo's own verdict.

A reviewer cannot judge a message without knowing who writes to whom: a "cousin" may be a
code, a relationship may not fit, an earlier message may have been returned for the same
thing. Names are shown in both scripts, as the form prints them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from relay import people
from relay.clock import parse_iso
from relay.messages import message_text_in
from relay.models import MessageState
from relay.store import Row, Tx

EARLIER = 5
EXCERPT = 60


class PhotoReason(StrEnum):
    """Why a reviewer removes a photo (the family reads it in their language)."""

    WEAPONS_OR_SYMBOLS = "weapons_or_symbols"  # weapons, flags, victory signs
    WRITING = "writing"  # handwriting, numbers, a map: text that was not reviewed
    PLACE_OR_PEOPLE = "place_or_people"  # a place or people that must not be shown
    OTHER = "other"


KEEP = "keep"


@dataclass(frozen=True, slots=True)
class Earlier:
    """One earlier message of the same sender, in short."""

    reference: str
    state: MessageState
    at: dt.datetime
    excerpt: str


@dataclass(frozen=True, slots=True)
class CardDetails:
    """Who writes to whom, and what they wrote before."""

    sender_name: str = ""
    sender_latin: str = ""
    addressee_name: str = ""
    addressee_latin: str = ""
    relationship: str = ""
    submitted_at: dt.datetime | None = None
    waited_days: int = 0  # since it was submitted
    earlier: list[Earlier] = field(default_factory=list)


def excerpt(text: str, spans: list[tuple[int, int]], limit: int = EXCERPT) -> str:
    """Return the start of a text, redacted passages left out, on one line."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = "█" if not chars[i].isspace() else chars[i]
    flat = " ".join("".join(chars).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def details_in(tx: Tx, row: Row) -> CardDetails:
    """Return the card's details of a message row (inside the caller's transaction)."""
    family = row["family_id"]
    profile = await people.profile_in(tx, family)
    addressee: dict[str, object] = {}
    if row["addressee_id"] is not None:
        ad = await tx.one("SELECT data_enc FROM addressees WHERE id = ?", (row["addressee_id"],))
        if ad is not None:
            addressee = await tx.open_json_for(
                family, "addressees", "data", row["addressee_id"], ad["data_enc"]
            )
    rows = await tx.all(
        "SELECT * FROM messages WHERE family_id = ? AND id != ? AND kind = 'message'"
        " ORDER BY created_at DESC LIMIT ?",
        (family, row["id"], EARLIER),
    )
    await tx.preload_keys([r["id"] for r in rows])
    earlier: list[Earlier] = []
    for other in rows:
        reference = await tx.open_for(family, "messages", "ref", other["id"], other["ref_enc"])
        text = ""
        if other["body_enc"]:
            body, spans = await message_text_in(tx, other)
            text = excerpt(body, spans)
        earlier.append(
            Earlier(
                reference.decode(),
                MessageState(other["state"]),
                parse_iso(other["submitted_at"] or other["created_at"]),
                text,
            )
        )
    submitted = parse_iso(row["submitted_at"]) if row["submitted_at"] else None
    return CardDetails(
        sender_name=profile.full_name if profile else "",
        sender_latin=profile.latin_name if profile else "",
        addressee_name=str(addressee.get("full_name") or ""),
        addressee_latin=str(addressee.get("latin_name") or ""),
        relationship=str(addressee.get("relationship") or ""),
        submitted_at=submitted,
        waited_days=max(0, (tx.clock.now() - submitted).days) if submitted else 0,
        earlier=earlier,
    )


def photo_removed(verdict: str | None) -> PhotoReason | None:
    """Return why a photo was removed, or None when it is kept or not judged."""
    if verdict is None or verdict == KEEP:
        return None
    try:
        return PhotoReason(verdict)
    except ValueError:
        return PhotoReason.OTHER
