"""Localized words for the domain's codes: states, reasons, rule categories, relationships."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n.catalog import SUPPORTED, Translator
from relay.delivery import relationship_label
from words import codes


def state_name(tr: Translator, state: str, kind: str = "message") -> str:
    """Return the family-facing name of a message state (a reply's last step differs)."""
    if kind == "reply" and state == "delivered":
        return tr.gettext(codes.REPLY_DELIVERED)
    return codes.name(tr.gettext, codes.STATES, state)


def return_reason(tr: Translator, code: str) -> str:
    """Return why a message was returned, as the family reads it."""
    return codes.name(tr.gettext, codes.RETURN_REASONS, code, fallback="other")


def category_reason(tr: Translator, category: str) -> str:
    """Explain a rules finding (what will be removed or returned, and why)."""
    return codes.name(tr.gettext, codes.CATEGORIES, category)


def undeliverable_reason(tr: Translator, code: str) -> str:
    """Say why a letter could not be handed over."""
    return codes.name(tr.gettext, codes.UNDELIVERABLE, code)


def photo_reason(tr: Translator, code: str) -> str:
    """Return why a reviewer removed a photo, as the family (and the reviewer) reads it."""
    return codes.name(tr.gettext, codes.PHOTO_REASONS, code, fallback="other")


RELATIONSHIPS = ("mother", "father", "son", "daughter", "brother", "sister", "spouse", "other")


def relationship_name(tr: Translator, code: str) -> str:
    """Return how the sender is related to the addressee (the same words as on paper)."""
    return relationship_label(code, tr.gettext)


def input_error(tr: Translator, code: str, params: Mapping[str, object] | None = None) -> str:
    """Explain why typed input was refused (with its numbers, when the refusal has them)."""
    _ = tr.gettext
    length, limit = (params or {}).get("length"), (params or {}).get("limit")
    if code == "too_long" and isinstance(length, int) and isinstance(limit, int):
        # Translators: {length} characters typed, {limit} the most this answer takes
        return tr.ngettext(
            "This text has {length} character; at most {limit} fit. Please shorten it.",
            "This text has {length} characters; at most {limit} fit. Please shorten it.",
            length,
        ).format(length=length, limit=limit)
    errors = {
        "bad_characters": _(
            "This text contains invisible or control characters that we cannot accept. "
            "Please type it again without them."
        ),
        "empty": _("The text is empty. Please type something."),
        "too_long": _("This is too long. Please shorten it."),
        "not_a_name": _("Please type a name (letters only, on one line)."),
        "name_start": _("A name cannot start with =, +, - or @. Please type it again."),
        "bad_date": _(
            "Please type the date as day.month.year (25.12.1980) or year/month/day "
            "(1980/12/25 or 1359/10/04)."
        ),
        "impossible_date": _(
            "This day does not exist in the calendar. Please check the day and the month."
        ),
        "date_out_of_range": _(
            "Please check the year: the date must be after 1900 and not in the future."
        ),
        "bad_reference": _("That reference is not valid. A reference looks like RCM-7K3F-9Q2V."),
        "photo_too_large": _("This photo is too large. Please send a smaller one."),
        "not_latin": _("Please use Latin letters (A-Z) for this spelling."),
        "bad_invitation": _("This invitation link is not valid any more. Ask for a new one."),
        "own_invitation": _("This is your own invitation link: send it to your relative."),
        "profile_needed": _("Please give your name first: send /start."),
        "use_buttons": _("Please use the buttons."),
        "unknown_language": _("Unknown language code. Use one of: {codes}.").format(
            codes=", ".join(SUPPORTED)
        ),
        "bad_span": _("That passage is not in the message."),
        "note_required": _("Please add a note explaining the decision."),
        "already_escalated": _("This message is already with a senior reviewer."),
    }
    return errors.get(code, _("We could not use this. Please try again."))
