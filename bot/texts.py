"""Localized words for the domain's codes: states, reasons, rule categories, relationships."""

from __future__ import annotations

from bot.i18n.catalog import SUPPORTED, Translator
from relay.delivery import relationship_label


def state_name(tr: Translator, state: str, kind: str = "message") -> str:
    """Return the family-facing name of a message state (a reply's last step differs)."""
    _ = tr.gettext
    if kind == "reply" and state == "delivered":
        return _("delivered to you")
    names = {
        "draft": _("draft"),
        "submitted": _("waiting for review"),
        "in_review": _("being reviewed"),
        "escalated": _("being reviewed by a senior reviewer"),
        "approved": _("approved"),
        "returned": _("returned to you for editing"),
        "printed": _("printed, travelling with the delegate"),
        "delivered": _("handed over"),
        "undeliverable": _("could not be handed over"),
        "cancelled": _("cancelled"),
    }
    return names.get(state, state)


def return_reason(tr: Translator, code: str) -> str:
    """Return why a message was returned, as the family reads it."""
    _ = tr.gettext
    reasons = {
        "not_family_news": _("Red Cross messages may carry family news only."),
        "political_military": _("Political or military matters cannot be written about."),
        "money": _("Money transfers and account numbers cannot be sent."),
        "contact_details": _(
            "Phone numbers, addresses and links of other people are not allowed."
        ),
        "too_long": _("The message is longer than this place of detention allows."),
        "addressee_unclear": _("We could not be sure who the message is for."),
        "code_like": _("Parts of the message look like a code and cannot be passed on."),
        "other": _("The message cannot be passed on as it is."),
    }
    return reasons.get(code, reasons["other"])


def category_reason(tr: Translator, category: str) -> str:
    """Explain a rules finding (what will be removed or returned, and why)."""
    _ = tr.gettext
    reasons = {
        "length": _("too long for this place of detention"),
        "contact": _("contact details (phone, e-mail, link) will be removed"),
        "money": _("money transfers and account numbers are not allowed"),
        "coordinates": _("map coordinates will be removed"),
        "code": _("looks like a code; a reviewer will check it"),
        "military": _("military matters are not allowed"),
        "political": _("political matters are not allowed"),
        "hate": _("words against a group of people are not allowed"),
        "obfuscation": _("unusual characters; a reviewer will check them"),
    }
    return reasons.get(category, category)


def undeliverable_reason(tr: Translator, code: str) -> str:
    _ = tr.gettext
    reasons = {
        "released": _("the person has been released"),
        "transferred": _("the person has been transferred to another place"),
        "unknown": _("the person is not known at this place"),
        "refused": _("the person did not accept the message"),
    }
    return reasons.get(code, code)


def photo_reason(tr: Translator, code: str) -> str:
    """Return why a reviewer removed a photo, as the family (and the reviewer) reads it."""
    _ = tr.gettext
    reasons = {
        "weapons_or_symbols": _("it shows weapons, flags or signs that cannot travel"),
        "writing": _("it carries writing, numbers or a map that cannot travel"),
        "place_or_people": _("it shows a place or people that cannot be shown"),
        "other": _("it cannot travel as it is"),
    }
    return reasons.get(code, reasons["other"])


RELATIONSHIPS = ("mother", "father", "son", "daughter", "brother", "sister", "spouse", "other")


def relationship_name(tr: Translator, code: str) -> str:
    """Return how the sender is related to the addressee (the same words as on paper)."""
    return relationship_label(code, tr.gettext)


def input_error(tr: Translator, code: str) -> str:
    """Explain why typed input was refused."""
    _ = tr.gettext
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
