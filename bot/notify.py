"""Turn an outbox payload into what the recipient reads, in their language."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import cb
from bot.i18n.catalog import Translator
from bot.texts import category_reason, photo_reason, return_reason, undeliverable_reason


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo_of: str | None = None  # message id whose photo goes with the text


def _approved(tr: Translator, ref: str, detail: dict[str, str]) -> str:
    _ = tr.gettext
    text = _("Your message {ref} was approved.").format(ref=ref)
    removed = int(detail.get("redactions", "0") or 0)
    if removed:
        categories = [c for c in detail.get("categories", "").split(",") if c]
        why = "; ".join(category_reason(tr, c) for c in categories)
        text += "\n" + tr.ngettext(
            "One passage was removed before printing.",
            "{n} passages were removed before printing.",
            removed,
        ).format(n=removed)
        if why:
            text += "\n" + _("Why: {why}").format(why=why)
    if detail.get("photo_removed"):
        text += "\n" + _("The photo does not travel with it: {reason}.").format(
            reason=photo_reason(tr, detail["photo_removed"])
        )
    return text


def _status(tr: Translator, payload: dict[str, Any], when: dt.datetime) -> Outgoing:
    _ = tr.gettext
    ref = payload.get("reference") or ""
    state = payload.get("state", "")
    detail: dict[str, str] = payload.get("detail", {})
    message_id = str(payload.get("message_id", ""))
    if state == "approved":
        return Outgoing(_approved(tr, ref, detail))
    if state == "returned":
        text = _("Your message {ref} was returned to you.").format(ref=ref)
        text += "\n" + return_reason(tr, detail.get("reason", "other"))
        if payload.get("chars"):  # held back at export: which letters to write otherwise
            text += "\n" + _("Letters that cannot be printed: {chars}").format(
                chars=payload["chars"]
            )
        note = str(payload.get("note") or "")
        if note:
            text += "\n" + _("Reviewer's note: {note}").format(note=note)
        text += "\n" + _("You can edit it and send it again.")
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("Edit and send again"), callback_data=cb("msg", "edit", message_id)
                    )
                ],
                [
                    InlineKeyboardButton(
                        _("Cancel this message"), callback_data=cb("msg", "cancel", message_id)
                    )
                ],
            ]
        )
        return Outgoing(text, markup)
    if state == "printed":
        return Outgoing(
            _("Your message {ref} was printed. A delegate will take it on the next visit.").format(
                ref=ref
            )
        )
    if state == "delivered":
        if detail.get("channel") == "chat":
            return Outgoing(_("Your message {ref} was delivered in the chat.").format(ref=ref))
        # The delegate's record carries the day of the visit; the send time is a fallback.
        day: dt.date | dt.datetime = when
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(detail.get("date") or "")
        return Outgoing(
            _("Your message {ref} was handed over on {date}.").format(ref=ref, date=tr.date(day))
        )
    if state == "undeliverable":
        reason = detail.get("reason", "unknown")
        text = _("Your message {ref} could not be handed over: {reason}.").format(
            ref=ref, reason=undeliverable_reason(tr, reason)
        )
        if reason == "transferred" and detail.get("to"):
            text += "\n" + _("It will be taken to the new place of detention.")
        elif reason == "transferred":
            text += "\n" + _("We will tell you when we know where your relative is now.")
        elif reason == "released":
            text += "\n" + _(
                "If your relative uses this bot, they can ask for the messages written to them."
            )
        return Outgoing(text)
    return Outgoing(_("Your message {ref}: new status.").format(ref=ref))


def alert_text(tr: Translator, payload: dict[str, Any]) -> str:
    """Return a staff alert in the staff member's language (codes and counts only)."""
    _ = tr.gettext
    alert = payload.get("alert")
    if alert == "escalation":
        return _(
            "A message waits for a senior reviewer: {ref} ({site}, {lang}). Type /next to take it."
        ).format(ref=payload.get("reference"), site=payload.get("site"), lang=payload.get("lang"))
    if alert == "claim":
        return _(
            "A released person asks for the messages kept for them ({id}). "
            "Check who they are: /confirm_claim {id}"
        ).format(id=payload.get("claim"))
    waiting, overdue = int(payload.get("waiting", 0)), int(payload.get("overdue", 0))
    lines = [
        tr.ngettext(
            "{site}: {n} message waits for review.",
            "{site}: {n} messages wait for review.",
            waiting,
        ).format(site=payload.get("site"), n=waiting)
    ]
    if overdue:
        lines.append(
            "⚠ "
            + tr.ngettext(
                "{n} is past its deadline.", "{n} are past their deadline.", overdue
            ).format(n=overdue)
        )
    lines.append(_("Type /next to review. /alerts off mutes these alerts."))
    return "\n".join(lines)


def render(tr: Translator, payload: dict[str, Any], when: dt.datetime) -> Outgoing:
    """Return the text (and buttons) for one outbox payload."""
    _ = tr.gettext
    kind = payload.get("type")
    if kind == "status":
        return _status(tr, payload, when)
    if kind == "reply":
        text = _("A reply to your message {ref} has arrived.").format(ref=payload.get("reference"))
        if payload.get("text"):
            text += "\n\n" + _("Transcription:") + "\n" + str(payload["text"])
        if payload.get("photo_removed"):
            text += "\n\n" + _("The photo of the reply was held back: {reason}.").format(
                reason=photo_reason(tr, str(payload["photo_removed"]))
            )
        photo = str(payload["message_id"]) if payload.get("has_photo") else None
        return Outgoing(text, photo_of=photo)
    if kind == "digital":
        sender = str(payload.get("sender") or "")
        head = _("Red Cross message {ref}. From: {name}").format(
            name=sender, ref=payload.get("reference")
        )
        return Outgoing(head + "\n\n" + str(payload.get("text", "")))
    if kind == "text":
        return Outgoing(str(payload.get("text", "")))
    if kind == "alert":
        return Outgoing(alert_text(tr, payload))
    if kind == "print_held":
        return Outgoing(
            _(
                "Message {ref}, which you approved, was held back from print: it has "
                "letters that no font can print ({chars}). It was returned to the family, "
                "who can write those words again and send it anew."
            ).format(ref=payload.get("reference"), chars=payload.get("chars"))
        )
    return Outgoing(_("You have a new notification."))
