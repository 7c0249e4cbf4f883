"""The letter a family is writing, typed, in its own sealed row (``bot.state``).

Steps form a small machine: ``steps.accept_text`` and ``steps.skip`` name the next step,
Back returns along ``history``, and a sent, cancelled or wiped letter leaves only what the
next one needs (the chat's trail to delete, the last reference for a double tap). The
review card, a delegate's reply and an invitation live in other rows: /new never drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.state import Fields, Slot


class Step(StrEnum):
    """Where a letter (or the sender's own details, asked once) is."""

    PROFILE_NAME = "profile_name"
    PROFILE_LATIN = "profile_latin"
    PROFILE_DONE = "profile_done"  # not waited at: the profile is saved, then the next step
    PICK = "pick"
    AD_NAME = "ad_name"
    AD_LATIN = "ad_latin"
    AD_FATHER = "ad_father"
    AD_DOB = "ad_dob"
    AD_DOB_OK = "ad_dob_ok"
    AD_NUMBER = "ad_number"
    AD_REL = "ad_rel"
    AD_SITE = "ad_site"
    AD_SITE_OK = "ad_site_ok"
    TEXT = "text"
    PHOTO = "photo"
    PREVIEW = "preview"
    EDIT_TEXT = "edit_text"
    EDIT_PREVIEW = "edit_preview"


PREVIEWS = frozenset({Step.PREVIEW, Step.EDIT_PREVIEW})


@dataclass
class AddresseeDraft:
    """A new addressee's details as typed (or the site of a known one)."""

    full_name: str = ""
    latin_name: str = ""
    father_name: str | None = None
    birth_date: str | None = None
    detainee_number: str | None = None
    relationship: str | None = None
    site_code: str | None = None


@dataclass
class ProfileDraft:
    """The sender's own name, asked once before the first letter."""

    full_name: str = ""
    latin_name: str = ""


@dataclass(frozen=True)
class LastSent:
    """The letter sent last: its reference, and the digest its Send button carried."""

    reference: str
    shown: str


@dataclass
class ComposeState:
    """A letter in progress (``step`` None: none), with the chat trail of the conversation.

    ``applied`` is the update that moved the letter to its step: a replay of it (a crash
    before the update was marked done) asks the step again instead of applying it twice.
    ``trail`` holds the chat's message ids, for "delete this conversation from my phone".
    """

    step: Step | None = None
    then_menu: bool = False  # after the profile: the menu (True) or a letter (False)
    history: list[Step] = field(default_factory=list)
    submit_key: str = ""
    message_id: str | None = None  # a returned message being edited
    site_code: str = ""  # that message's site
    addressee_id: str | None = None
    ad: AddresseeDraft = field(default_factory=AddresseeDraft)
    profile: ProfileDraft = field(default_factory=ProfileDraft)
    text: str = ""
    photo: str | None = None  # the chat's file id, fetched only when the letter is sent
    site_filter: str = ""
    revising: bool = False  # the text is changed from the preview: the photo was answered
    applied: int | None = None
    trail: list[int] = field(default_factory=list)
    last_sent: LastSent | None = None

    def after_letter(self, last_sent: LastSent | None) -> ComposeState:
        """Return what is kept once a letter is sent or cancelled (the trail, the last)."""
        return ComposeState(trail=self.trail, last_sent=last_sent)


def _step(value: str) -> Step | None:
    return Step(value) if value in set(Step) else None


def _encode(value: ComposeState) -> dict[str, object]:
    # What asdict gives (every field is a str, int, bool, None, a list of them or one of
    # these dataclasses), without its deep copy: saved twice an update, with a long trail.
    out: dict[str, object] = dict(vars(value))
    out["ad"], out["profile"] = dict(vars(value.ad)), dict(vars(value.profile))
    out["last_sent"] = None if value.last_sent is None else dict(vars(value.last_sent))
    return out


def _decode(fields: Fields) -> ComposeState:
    ad, profile, last = fields.sub("ad"), fields.sub("profile"), fields.sub("last_sent")
    return ComposeState(
        step=_step(fields.text("step")),
        then_menu=fields.flag("then_menu"),
        history=[s for s in map(_step, fields.texts("history")) if s is not None],
        submit_key=fields.text("submit_key"),
        message_id=fields.maybe_text("message_id"),
        site_code=fields.text("site_code"),
        addressee_id=fields.maybe_text("addressee_id"),
        ad=AddresseeDraft(
            full_name=ad.text("full_name"),
            latin_name=ad.text("latin_name"),
            father_name=ad.maybe_text("father_name"),
            birth_date=ad.maybe_text("birth_date"),
            detainee_number=ad.maybe_text("detainee_number"),
            relationship=ad.maybe_text("relationship"),
            site_code=ad.maybe_text("site_code"),
        ),
        profile=ProfileDraft(profile.text("full_name"), profile.text("latin_name")),
        text=fields.text("text"),
        photo=fields.maybe_text("photo"),
        site_filter=fields.text("site_filter"),
        revising=fields.flag("revising"),
        applied=fields.number("applied"),
        trail=fields.numbers("trail"),
        last_sent=LastSent(last.text("reference"), last.text("shown"))
        if last.text("reference")
        else None,
    )


COMPOSE = Slot("compose", ComposeState, _encode, _decode)
