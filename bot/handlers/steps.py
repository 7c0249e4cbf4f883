"""The steps of composing a message: what each asks, and what it accepts.

A step is a name in the person's draft; ``prompt`` says what to ask, ``accept_text`` turns
typed text into draft fields (raising InvalidInput) and names the next step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.callbacks import cb
from bot.handlers.common import Buttons, nav_row
from bot.i18n.catalog import Translator
from bot.texts import RELATIONSHIPS, relationship_name
from relay.calendars import format_gregorian, parse_date
from relay.errors import InvalidInput
from relay.models import Addressee, Site
from relay.sites import search_sites
from relay.text_input import clean_name, clean_text, is_latin

# Steps that only take a button press.
BUTTON_STEPS = frozenset({"pick", "ad_rel", "ad_dob_ok", "ad_site_ok", "preview", "edit_preview"})
# Steps that ask "is this right?" and where a yes leads; a no is the Back button.
CONFIRM_STEPS = {"ad_dob_ok": "ad_number", "ad_site_ok": "text"}
SKIPPABLE = frozenset({"profile_latin", "ad_latin", "ad_father", "ad_dob", "ad_number", "photo"})
SITE_PAGE = 8


def shown(draft: Mapping[str, Any]) -> str:
    """Return a short digest of what a preview shows: the message, its addressee, its photo.

    The preview's Send button carries it, so a press sends only what that preview showed: a
    stale preview (an earlier letter, or a text changed since) is refused, never sent as the
    draft that happens to be current.
    """
    parts = [
        draft.get("submit_key"),
        draft.get("message_id"),
        draft.get("addressee_id"),
        draft.get("ad"),
        draft.get("text"),
        draft.get("photo"),
    ]
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.blake2s(blob, digest_size=6).hexdigest()


def _detainee_number(text: str) -> str:
    value = clean_text(text, max_chars=40, field="detainee_number")
    if "\n" in value:
        raise InvalidInput("too_long")
    return value


def _latin(text: str, field: str) -> str:
    value = clean_name(text, field=field)
    if not is_latin(value):
        raise InvalidInput("not_latin")
    return value


def accept_text(
    step: str, text: str, draft: dict[str, Any], *, today: dt.date, sites: Mapping[str, Site]
) -> str:
    """Store typed text for ``step`` in the draft; return the next step."""
    ad: dict[str, Any] = draft.setdefault("ad", {})
    profile: dict[str, Any] = draft.setdefault("profile", {})
    if step == "profile_name":
        profile["full_name"] = clean_name(text, field="full_name")
        if is_latin(profile["full_name"]):
            profile["latin_name"] = profile["full_name"]
            return "profile_done"
        return "profile_latin"
    if step == "profile_latin":
        profile["latin_name"] = _latin(text, "latin_name")
        return "profile_done"
    if step == "ad_name":
        ad["full_name"] = clean_name(text, field="addressee_name")
        if is_latin(ad["full_name"]):
            ad["latin_name"] = ad["full_name"]
            return "ad_father"
        return "ad_latin"
    if step == "ad_latin":
        ad["latin_name"] = _latin(text, "addressee_latin")
        return "ad_father"
    if step == "ad_father":
        ad["father_name"] = clean_name(text, field="father_name")
        return "ad_dob"
    if step == "ad_dob":
        typed = parse_date(text, today)
        ad["birth_date"] = typed.iso
        # A Solar Hijri date is shown back in both calendars before it is kept.
        return "ad_dob_ok" if typed.solar_hijri else "ad_number"
    if step == "ad_number":
        ad["detainee_number"] = _detainee_number(text)
        return "ad_rel"
    if step == "ad_site":
        matches = search_sites(sites, text)
        if len(matches) == 1:
            ad["site_code"] = matches[0].code
            return "ad_site_ok"
        draft["site_filter"] = text.strip()[:40]
        return "ad_site"
    if step in ("text", "edit_text"):
        draft["text"] = clean_text(text)
        return "photo" if step == "text" else "edit_preview"
    raise InvalidInput("use_buttons")


def skip(step: str, draft: dict[str, Any]) -> str:
    """Leave an optional step empty; return the next step."""
    ad: dict[str, Any] = draft.setdefault("ad", {})
    following = {
        "profile_latin": "profile_done",
        "ad_latin": "ad_father",
        "ad_father": "ad_dob",
        "ad_dob": "ad_number",
        "ad_number": "ad_rel",
        "photo": "preview",
    }
    if step == "profile_latin":
        draft.setdefault("profile", {})["latin_name"] = draft["profile"].get("full_name", "")
    if step == "ad_latin":
        ad["latin_name"] = ad.get("full_name", "")
    return following[step]


def prompt(  # noqa: PLR0912 - one branch per step
    step: str,
    tr: Translator,
    draft: dict[str, Any],
    *,
    sites: Mapping[str, Site],
    addressees: list[Addressee],
) -> tuple[str, Buttons]:
    """Return what to ask at ``step`` and the buttons to show."""
    _ = tr.gettext
    skip_row = [(_("Skip"), cb("new", "skip"))]
    if step == "profile_name":
        return _("First, your own full name, as on your identity papers:"), [
            nav_row(tr, back=False)
        ]
    if step == "profile_latin":
        return _("Your name in Latin letters (A-Z), so that anyone can read it:"), [
            skip_row,
            nav_row(tr),
        ]
    if step == "pick":
        rows: list[list[tuple[str, str]]] = [
            [(f"{a.full_name} ({a.site_code})", cb("new", "to", a.id))] for a in addressees[-6:]
        ]
        new = _("+ Someone new")
        if not addressees:
            # Translators: the only button when nobody was written to yet
            new = _("Enter the person's details")
        rows.append([(new, cb("new", "to", "new"))])
        rows.append(nav_row(tr, back=False))
        return _("Who is the message for?"), rows
    if step == "ad_name":
        return _("The full name of the person you are writing to:"), [nav_row(tr)]
    if step == "ad_latin":
        return _("Their name in Latin letters (A-Z):"), [skip_row, nav_row(tr)]
    if step == "ad_father":
        return _("Their father's name (helps to find the right person):"), [skip_row, nav_row(tr)]
    if step == "ad_dob":
        return _("Their date of birth, for example 25.12.1980:"), [skip_row, nav_row(tr)]
    if step == "ad_number":
        return _("Their detainee number, if you know it:"), [skip_row, nav_row(tr)]
    if step == "ad_rel":
        rows = [[(relationship_name(tr, code), cb("new", "rel", code))] for code in RELATIONSHIPS]
        rows.append(nav_row(tr))
        return _("How are you related to this person?"), rows
    if step in CONFIRM_STEPS:
        return _confirm(step, tr, draft, sites)
    if step == "ad_site":
        found = search_sites(sites, draft.get("site_filter", ""))
        rows = [
            [(f"{s.local_name(tr.lang)} ({s.code})", cb("new", "site", s.code))]
            for s in found[:SITE_PAGE]
        ]
        rows.append(nav_row(tr))
        text = _("Where are they held? Choose below, or type part of the name to search.")
        if not found:
            text = _("No place matches. Type another part of the name.")
        return text, rows
    if step in ("text", "edit_text"):
        site = sites.get(draft.get("ad", {}).get("site_code") or draft.get("site_code", ""))
        limit = site.word_limit if site else 200
        return (
            _(
                "Write your message: family news only (health, family, school, greetings). "
                "Up to {limit} words. Send it as one message."
            ).format(limit=limit),
            [nav_row(tr)],
        )
    if step == "photo":
        return (
            _(
                "You may add one family photo (no weapons, flags or uniforms). "
                "Send it now, or skip."
            ),
            [skip_row, nav_row(tr)],
        )
    return _("Please use the buttons."), [nav_row(tr)]


def _confirm(
    step: str, tr: Translator, draft: dict[str, Any], sites: Mapping[str, Site]
) -> tuple[str, Buttons]:
    """Ask whether a birth date or a place was understood right (no goes back one step)."""
    _ = tr.gettext
    ad = draft.get("ad", {})
    rows: Buttons = [
        [(_("Yes, that is right"), cb("new", "ok"))],
        [(_("No, change it"), cb("new", "back"))],
    ]
    if step == "ad_dob_ok":
        iso = str(ad.get("birth_date", ""))
        return (
            _(
                "Date of birth: {local}. In the Gregorian calendar: {gregorian}. Is that right?"
            ).format(
                local=tr.date(dt.date.fromisoformat(iso)),
                gregorian=format_gregorian(dt.date.fromisoformat(iso), tr.lang),
            ),
            rows,
        )
    site = sites.get(str(ad.get("site_code", "")))
    name = f"{site.local_name(tr.lang)} ({site.code})" if site else "?"
    return _("Place of detention: {site}. Is this the right place?").format(site=name), rows
