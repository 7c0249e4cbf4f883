"""Turn an outbox notice into what the recipient reads, in their language."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import cb
from bot.i18n.catalog import Translator
from bot.texts import category_reason, photo_reason, return_reason, undeliverable_reason
from relay.notices import (
    BacklogAlert,
    ClaimAlert,
    DigitalMessage,
    EscalationAlert,
    Notice,
    PrintHeld,
    ReplyArrived,
    StaffAlert,
    StatusChanged,
)


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


def _returned(tr: Translator, notice: StatusChanged) -> Outgoing:
    _ = tr.gettext
    text = _("Your message {ref} was returned to you.").format(ref=notice.reference)
    text += "\n" + return_reason(tr, notice.detail.get("reason", "other"))
    if notice.note:
        text += "\n" + _("Reviewer's note: {note}").format(note=notice.note)
    text += "\n" + _("You can edit it and send it again.")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Edit and send again"), callback_data=cb("msg", "edit", notice.message_id)
                )
            ],
            [
                InlineKeyboardButton(
                    _("Cancel this message"),
                    callback_data=cb("msg", "cancel", notice.message_id),
                )
            ],
        ]
    )
    return Outgoing(text, markup)


def _undeliverable(tr: Translator, ref: str, detail: dict[str, str]) -> str:
    _ = tr.gettext
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
    return text


def _status(tr: Translator, notice: StatusChanged, when: dt.datetime) -> Outgoing:
    _ = tr.gettext
    ref, detail = notice.reference, notice.detail
    if notice.state == "approved":
        return Outgoing(_approved(tr, ref, detail))
    if notice.state == "returned":
        return _returned(tr, notice)
    if notice.state == "printed":
        return Outgoing(
            _("Your message {ref} was printed. A delegate will take it on the next visit.").format(
                ref=ref
            )
        )
    if notice.state == "delivered":
        if detail.get("channel") == "chat":
            return Outgoing(_("Your message {ref} was delivered in the chat.").format(ref=ref))
        # The delegate's record carries the day of the visit; the send time is a fallback.
        day: dt.date | dt.datetime = when
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(detail.get("date") or "")
        return Outgoing(
            _("Your message {ref} was handed over on {date}.").format(ref=ref, date=tr.date(day))
        )
    if notice.state == "undeliverable":
        return Outgoing(_undeliverable(tr, ref, detail))
    return Outgoing(_("Your message {ref}: new status.").format(ref=ref))


def alert_text(tr: Translator, alert: StaffAlert) -> str:
    """Return a staff alert in the staff member's language (codes and counts only)."""
    _ = tr.gettext
    match alert:
        case EscalationAlert(reference=ref, site=site, lang=lang):
            return _(
                "A message waits for a senior reviewer: {ref} ({site}, {lang}). "
                "Type /next to take it."
            ).format(ref=ref, site=site, lang=lang)
        case ClaimAlert(claim=claim):
            return _(
                "A released person asks for the messages kept for them ({id}). "
                "Check who they are: /confirm_claim {id}"
            ).format(id=claim)
        case BacklogAlert(site=site, waiting=waiting, overdue=overdue):
            lines = [
                tr.ngettext(
                    "{site}: {n} message waits for review.",
                    "{site}: {n} messages wait for review.",
                    waiting,
                ).format(site=site, n=waiting)
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


def _reply(tr: Translator, notice: ReplyArrived) -> Outgoing:
    _ = tr.gettext
    text = _("A reply to your message {ref} has arrived.").format(ref=notice.reference)
    if notice.text:
        text += "\n\n" + _("Transcription:") + "\n" + notice.text
    if notice.photo_removed:
        text += "\n\n" + _("The photo of the reply was held back: {reason}.").format(
            reason=photo_reason(tr, notice.photo_removed)
        )
    return Outgoing(text, photo_of=notice.message_id if notice.has_photo else None)


def render(tr: Translator, notice: Notice, when: dt.datetime) -> Outgoing:
    """Return the text (and buttons) for one notice."""
    _ = tr.gettext
    match notice:
        case StatusChanged():
            return _status(tr, notice, when)
        case ReplyArrived():
            return _reply(tr, notice)
        case DigitalMessage(reference=ref, sender=sender, text=text):
            head = _("Red Cross message {ref}. From: {name}").format(name=sender, ref=ref)
            return Outgoing(head + "\n\n" + text)
        case EscalationAlert() | ClaimAlert() | BacklogAlert():
            return Outgoing(alert_text(tr, notice))
        case PrintHeld(reference=ref, chars=chars):
            return Outgoing(
                _(
                    "Message {ref}, which you approved, was held back from print: it has "
                    "letters that no font can print ({chars}). It stays approved; return it to "
                    "the family to rewrite those words."
                ).format(ref=ref, chars=chars)
            )
