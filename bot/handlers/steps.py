"""The steps of composing a message: what each asks, and what it accepts.

A step is a ``Step`` of the person's ``ComposeState``; ``prompt`` says what to ask,
``accept_text`` turns typed text into its fields (raising InvalidInput) and names the next
step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict

from bot.callbacks import cb
from bot.handlers.common import Buttons, nav_row
from bot.handlers.compose_state import ComposeState, Step
from bot.i18n.catalog import Translator
from bot.texts import RELATIONSHIPS, relationship_name
from relay.calendars import format_gregorian, parse_date
from relay.errors import InvalidInput
from relay.models import Addressee, Site
from relay.sites import search_sites
from relay.text_input import clean_name, clean_text, is_latin

# Steps that only take a button press.
BUTTON_STEPS = frozenset(
    {Step.PICK, Step.AD_REL, Step.AD_DOB_OK, Step.AD_SITE_OK, Step.PREVIEW, Step.EDIT_PREVIEW}
)
# Steps that ask "is this right?" and where a yes leads; a no is the Back button.
CONFIRM_STEPS = {Step.AD_DOB_OK: Step.AD_NUMBER, Step.AD_SITE_OK: Step.TEXT}
# Optional steps, and where leaving one empty leads.
SKIPPABLE = {
    Step.PROFILE_LATIN: Step.PROFILE_DONE,
    Step.AD_LATIN: Step.AD_FATHER,
    Step.AD_FATHER: Step.AD_DOB,
    Step.AD_DOB: Step.AD_NUMBER,
    Step.AD_NUMBER: Step.AD_REL,
    Step.PHOTO: Step.PREVIEW,
}
SITE_PAGE = 8


def shown(draft: ComposeState) -> str:
    """Return a short digest of what a preview shows: the message, its addressee, its photo.

    The preview's Send button carries it, so a press sends only what that preview showed: a
    stale preview (an earlier letter, or a text changed since) is refused, never sent as the
    draft that happens to be current.
    """
    parts = [
        draft.submit_key,
        draft.message_id,
        draft.addressee_id,
        asdict(draft.ad),
        draft.text,
        draft.photo,
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
    step: Step, text: str, draft: ComposeState, *, today: dt.date, sites: Mapping[str, Site]
) -> Step:
    """Store typed text for ``step`` in the draft; return the next step."""
    if step in (Step.PROFILE_NAME, Step.PROFILE_LATIN):
        return _accept_profile(step, text, draft)
    if step in (Step.TEXT, Step.EDIT_TEXT):
        draft.text = clean_text(text)
        return Step.PHOTO if step == Step.TEXT else Step.EDIT_PREVIEW
    return _accept_addressee(step, text, draft, today=today, sites=sites)


def _accept_profile(step: Step, text: str, draft: ComposeState) -> Step:
    profile = draft.profile
    if step == Step.PROFILE_LATIN:
        profile.latin_name = _latin(text, "latin_name")
        return Step.PROFILE_DONE
    profile.full_name = clean_name(text, field="full_name")
    if is_latin(profile.full_name):
        profile.latin_name = profile.full_name
        return Step.PROFILE_DONE
    return Step.PROFILE_LATIN


def _accept_addressee(
    step: Step, text: str, draft: ComposeState, *, today: dt.date, sites: Mapping[str, Site]
) -> Step:
    ad = draft.ad
    if step == Step.AD_NAME:
        ad.full_name = clean_name(text, field="addressee_name")
        if is_latin(ad.full_name):
            ad.latin_name = ad.full_name
            return Step.AD_FATHER
        return Step.AD_LATIN
    if step == Step.AD_LATIN:
        ad.latin_name = _latin(text, "addressee_latin")
        return Step.AD_FATHER
    if step == Step.AD_FATHER:
        ad.father_name = clean_name(text, field="father_name")
        return Step.AD_DOB
    if step == Step.AD_DOB:
        typed = parse_date(text, today)
        ad.birth_date = typed.iso
        # A Solar Hijri date is shown back in both calendars before it is kept.
        return Step.AD_DOB_OK if typed.solar_hijri else Step.AD_NUMBER
    if step == Step.AD_NUMBER:
        ad.detainee_number = _detainee_number(text)
        return Step.AD_REL
    if step == Step.AD_SITE:
        return _search_site(text, draft, sites)
    raise InvalidInput("use_buttons")


def _search_site(text: str, draft: ComposeState, sites: Mapping[str, Site]) -> Step:
    """Take the one place that matches, or keep the search to show the places found."""
    matches = search_sites(sites, text)
    if len(matches) == 1:
        draft.ad.site_code = matches[0].code
        return Step.AD_SITE_OK
    draft.site_filter = text.strip()[:40]
    return Step.AD_SITE


def skip(step: Step, draft: ComposeState) -> Step:
    """Leave an optional step empty; return the next step."""
    if step == Step.PROFILE_LATIN:
        draft.profile.latin_name = draft.profile.full_name
    if step == Step.AD_LATIN:
        draft.ad.latin_name = draft.ad.full_name
    return SKIPPABLE[step]


def prompt(
    step: Step | None,
    tr: Translator,
    draft: ComposeState,
    *,
    sites: Mapping[str, Site],
    addressees: list[Addressee],
) -> tuple[str, Buttons]:
    """Return what to ask at ``step`` and the buttons to show."""
    if step == Step.PICK:
        return _pick(tr, addressees)
    if step == Step.AD_REL:
        rows = [[(relationship_name(tr, code), cb("new", "rel", code))] for code in RELATIONSHIPS]
        rows.append(nav_row(tr))
        return tr.gettext("How are you related to this person?"), rows
    if step in CONFIRM_STEPS:
        return _confirm(step, tr, draft, sites)
    if step == Step.AD_SITE:
        return _site_list(tr, draft, sites)
    if step in (Step.TEXT, Step.EDIT_TEXT):
        site = sites.get(draft.ad.site_code or draft.site_code)
        text = tr.gettext(
            "Write your message: family news only (health, family, school, greetings). "
            "Up to {limit} words. Send it as one message."
        ).format(limit=site.word_limit if site else 200)
        return text, [nav_row(tr)]
    return _typed_step(step, tr)


def _typed_step(step: Step | None, tr: Translator) -> tuple[str, Buttons]:
    """Return the question of a step that takes typed text (Skip where it is optional)."""
    _ = tr.gettext
    questions = {
        Step.PROFILE_NAME: _("First, your own full name, as on your identity papers:"),
        Step.PROFILE_LATIN: _("Your name in Latin letters (A-Z), so that anyone can read it:"),
        Step.AD_NAME: _("The full name of the person you are writing to:"),
        Step.AD_LATIN: _("Their name in Latin letters (A-Z):"),
        Step.AD_FATHER: _("Their father's name (helps to find the right person):"),
        Step.AD_DOB: _("Their date of birth, for example 25.12.1980:"),
        Step.AD_NUMBER: _("Their detainee number, if you know it:"),
        Step.PHOTO: _(
            "You may add one family photo (no weapons, flags or uniforms). Send it now, or skip."
        ),
    }
    if step is None or step not in questions:
        return _("Please use the buttons."), [nav_row(tr)]
    if step == Step.PROFILE_NAME:
        return questions[step], [nav_row(tr, back=False)]
    if step in SKIPPABLE:
        return questions[step], [[(_("Skip"), cb("new", "skip"))], nav_row(tr)]
    return questions[step], [nav_row(tr)]


def _pick(tr: Translator, addressees: list[Addressee]) -> tuple[str, Buttons]:
    _ = tr.gettext
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


def _site_list(
    tr: Translator, draft: ComposeState, sites: Mapping[str, Site]
) -> tuple[str, Buttons]:
    _ = tr.gettext
    found = search_sites(sites, draft.site_filter)
    rows = [
        [(f"{s.local_name(tr.lang)} ({s.code})", cb("new", "site", s.code))]
        for s in found[:SITE_PAGE]
    ]
    rows.append(nav_row(tr))
    text = _("Where are they held? Choose below, or type part of the name to search.")
    if not found:
        text = _("No place matches. Type another part of the name.")
    return text, rows


def _confirm(
    step: Step, tr: Translator, draft: ComposeState, sites: Mapping[str, Site]
) -> tuple[str, Buttons]:
    """Ask whether a birth date or a place was understood right (no goes back one step)."""
    _ = tr.gettext
    ad = draft.ad
    rows: Buttons = [
        [(_("Yes, that is right"), cb("new", "ok"))],
        [(_("No, change it"), cb("new", "back"))],
    ]
    if step == Step.AD_DOB_OK:
        iso = ad.birth_date or ""
        return (
            _(
                "Date of birth: {local}. In the Gregorian calendar: {gregorian}. Is that right?"
            ).format(
                local=tr.date(dt.date.fromisoformat(iso)),
                gregorian=format_gregorian(dt.date.fromisoformat(iso), tr.lang),
            ),
            rows,
        )
    site = sites.get(ad.site_code or "")
    name = f"{site.local_name(tr.lang)} ({site.code})" if site else "?"
    return _("Place of detention: {site}. Is this the right place?").format(site=name), rows
