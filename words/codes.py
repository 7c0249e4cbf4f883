"""The sentences that name the domain's codes: message states, return reasons, rules findings,
photo verdicts, why a letter could not be handed over.

Marked with ``N_`` and translated where they are shown (``name(gettext, TABLE, code)``): the
bot tells the family and the reviewer, the console shows the staff, in the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from words.catalog import N_

# A message's state as the family reads it (and the staff see it beside the message).
STATES = {
    "draft": N_("draft"),
    "submitted": N_("waiting for review"),
    "in_review": N_("being reviewed"),
    "escalated": N_("being reviewed by a senior reviewer"),
    "approved": N_("approved"),
    "returned": N_("returned to you for editing"),
    "printed": N_("printed, travelling with the delegate"),
    "delivered": N_("handed over"),
    "undeliverable": N_("could not be handed over"),
    "cancelled": N_("cancelled"),
}
# A reply's last step is not "handed over" but reaching the family.
REPLY_DELIVERED = N_("delivered to you")

# Why a reviewer returned a message (the family reads it).
RETURN_REASONS = {
    "not_family_news": N_("Red Cross messages may carry family news only."),
    "political_military": N_("Political or military matters cannot be written about."),
    "money": N_("Money transfers and account numbers cannot be sent."),
    "contact_details": N_("Phone numbers, addresses and links of other people are not allowed."),
    "too_long": N_("The message is longer than this place of detention allows."),
    "addressee_unclear": N_("We could not be sure who the message is for."),
    "code_like": N_("Parts of the message look like a code and cannot be passed on."),
    "unprintable": N_(
        "Some letters of the message cannot be printed on the paper form, so it cannot "
        "travel as it is."
    ),
    "other": N_("The message cannot be passed on as it is."),
}

# What a rules finding means (the family's preview, the reviewer's card and page).
CATEGORIES = {
    "length": N_("too long for this place of detention"),
    "contact": N_("contact details (phone, e-mail, link) will be removed"),
    "money": N_("money transfers and account numbers are not allowed"),
    "coordinates": N_("map coordinates will be removed"),
    "code": N_("looks like a code; a reviewer will check it"),
    "military": N_("military matters are not allowed"),
    "political": N_("political matters are not allowed"),
    "hate": N_("words against a group of people are not allowed"),
    "obfuscation": N_("unusual characters; a reviewer will check them"),
    "unprintable": N_("characters that cannot be printed on paper; a reviewer will check them"),
}
# What a finding asks of the reviewer.
SEVERITIES = {"block": N_("blocks"), "redact": N_("remove"), "flag": N_("check")}

# Why a delegate could not hand a letter over.
UNDELIVERABLE = {
    "released": N_("the person has been released"),
    "transferred": N_("the person has been transferred to another place"),
    "unknown": N_("the person is not known at this place"),
    "refused": N_("the person did not accept the message"),
}

# Why a reviewer removed a photo (the family reads it too).
PHOTO_REASONS = {
    "weapons_or_symbols": N_("it shows weapons, flags or signs that cannot travel"),
    "writing": N_("it carries writing, numbers or a map that cannot travel"),
    "place_or_people": N_("it shows a place or people that cannot be shown"),
    "other": N_("it cannot travel as it is"),
}

# A staff role, as the staff call it (the console's staff page; relay.models.Role's codes).
ROLES = {
    "reviewer": N_("reviewer"),
    "senior": N_("senior reviewer"),
    "delegate": N_("delegate"),
    "admin": N_("administrator"),
}


def name(
    gettext: Callable[[str], str],
    table: Mapping[str, str],
    code: str,
    fallback: str | None = None,
) -> str:
    """Return the translated sentence for ``code``; ``fallback``'s sentence (or the code
    itself) for a code the table does not know, so a new code never shows a blank."""
    if code in table:
        return gettext(table[code])
    if fallback is not None and fallback in table:
        return gettext(table[fallback])
    return code
