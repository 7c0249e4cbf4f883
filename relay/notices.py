"""What the outbox carries: one dataclass per kind of notice, and the one codec for them.

A notice names what happened (kind, state, reason codes, a reference), never words: the
front end renders it in the recipient's language at send time. The codec writes the JSON
shape the outbox has always stored (a ``type`` key and flat fields), so rows queued before
these classes existed still decode. An unknown kind or a bad shape raises ``NoticeError``;
the outbox drops such a row by id instead of retrying it forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

JsonScalar = str | int | bool
Payload = dict[str, JsonScalar | dict[str, str]]


class NoticeError(ValueError):
    """A stored payload that is no notice this version knows (unknown kind, bad field)."""


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A family's message moved (approved, returned, printed, delivered, undeliverable)."""

    message_id: str
    kind: str  # MessageKind's code
    state: str  # MessageState's code
    reference: str
    detail: dict[str, str] = field(default_factory=dict)  # the timeline's reason codes
    note: str = ""  # the reviewer's note to the family, when returned


@dataclass(frozen=True, slots=True)
class ReplyArrived:
    """A detainee's reply, transcribed and approved, for the family who wrote."""

    message_id: str
    reference: str
    text: str
    has_photo: bool
    photo_removed: str = ""  # reason code when the reviewer held the photo back


@dataclass(frozen=True, slots=True)
class DigitalMessage:
    """An approved message delivered in the chat (between linked people, or a held one)."""

    message_id: str
    reference: str
    text: str
    sender: str


@dataclass(frozen=True, slots=True)
class EscalationAlert:
    """A message waits for a senior reviewer."""

    reference: str
    site: str
    lang: str


@dataclass(frozen=True, slots=True)
class ClaimAlert:
    """A released person's claim waits for an admin's identity check."""

    claim: str


@dataclass(frozen=True, slots=True)
class BacklogAlert:
    """A site's review backlog: the daily summary, or once its oldest is overdue."""

    alert: Literal["daily", "overdue"]
    site: str
    waiting: int
    overdue: int


@dataclass(frozen=True, slots=True)
class PrintHeld:
    """A message its reviewer approved was held back from print (unprintable letters)."""

    reference: str
    chars: str


StaffAlert = EscalationAlert | ClaimAlert | BacklogAlert
Notice = StatusChanged | ReplyArrived | DigitalMessage | StaffAlert | PrintHeld


def encode(notice: Notice) -> Payload:
    """Return the JSON-able payload the outbox seals for ``notice``."""
    match notice:
        case StatusChanged():
            payload: Payload = {
                "type": "status",
                "message_id": notice.message_id,
                "kind": notice.kind,
                "state": notice.state,
                "detail": dict(notice.detail),
                "reference": notice.reference,
            }
            if notice.note:
                payload["note"] = notice.note
            return payload
        case ReplyArrived():
            return {
                "type": "reply",
                "message_id": notice.message_id,
                "reference": notice.reference,
                "text": notice.text,
                "has_photo": notice.has_photo,
                "photo_removed": notice.photo_removed,
            }
        case DigitalMessage():
            return {
                "type": "digital",
                "message_id": notice.message_id,
                "reference": notice.reference,
                "text": notice.text,
                "sender": notice.sender,
            }
        case EscalationAlert():
            return {
                "type": "alert",
                "alert": "escalation",
                "reference": notice.reference,
                "site": notice.site,
                "lang": notice.lang,
            }
        case ClaimAlert():
            return {"type": "alert", "alert": "claim", "claim": notice.claim}
        case BacklogAlert():
            return {
                "type": "alert",
                "alert": notice.alert,
                "site": notice.site,
                "waiting": notice.waiting,
                "overdue": notice.overdue,
            }
        case PrintHeld():
            return {"type": "print_held", "reference": notice.reference, "chars": notice.chars}


class _Fields:
    """Typed reads of one payload's fields; a missing or mistyped one is a NoticeError."""

    def __init__(self, payload: object) -> None:
        if not isinstance(payload, dict):
            raise NoticeError(f"payload is a {type(payload).__name__}, not an object")
        self.raw: dict[object, object] = payload

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str):
            raise NoticeError(f"field {key!r} is not text")
        return value

    def number(self, key: str) -> int:
        value = self.raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise NoticeError(f"field {key!r} is not a number")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise NoticeError(f"field {key!r} is not a flag")
        return value

    def codes(self, key: str) -> dict[str, str]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise NoticeError(f"field {key!r} is not a map of codes")
        return dict(value)


def decode(payload: object) -> Notice:
    """Return the notice an outbox payload holds; raise NoticeError if it holds none."""
    f = _Fields(payload)
    kind = f.raw.get("type")
    if kind == "status":
        return StatusChanged(
            message_id=f.text("message_id"),
            kind=f.text("kind", ""),
            state=f.text("state"),
            reference=f.text("reference", ""),
            detail=f.codes("detail"),
            note=f.text("note", "") if f.raw.get("note") is not None else "",
        )
    if kind == "reply":
        return ReplyArrived(
            message_id=f.text("message_id"),
            reference=f.text("reference", ""),
            text=f.text("text", ""),
            has_photo=f.flag("has_photo"),
            photo_removed=f.text("photo_removed", ""),
        )
    if kind == "digital":
        return DigitalMessage(
            message_id=f.text("message_id"),
            reference=f.text("reference", ""),
            text=f.text("text", ""),
            sender=f.text("sender", ""),
        )
    if kind == "print_held":
        return PrintHeld(reference=f.text("reference", ""), chars=f.text("chars", ""))
    if kind == "alert":
        alert = f.raw.get("alert")
        if alert == "escalation":
            return EscalationAlert(f.text("reference"), f.text("site"), f.text("lang"))
        if alert == "claim":
            return ClaimAlert(f.text("claim"))
        if alert in ("daily", "overdue"):
            return BacklogAlert(
                "overdue" if alert == "overdue" else "daily",
                f.text("site"),
                f.number("waiting"),
                f.number("overdue"),
            )
        raise NoticeError("unknown alert")
    raise NoticeError("unknown notice kind")
