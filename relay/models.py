"""Domain values of RCM Relay: states, roles, outcomes and the records services return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class MessageState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    APPROVED = "approved"
    RETURNED = "returned"
    PRINTED = "printed"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


class MessageKind(StrEnum):
    MESSAGE = "message"  # family -> detainee (paper) or family <-> linked family (digital)
    REPLY = "reply"  # detainee's handwritten reply brought back by a delegate


class Channel(StrEnum):
    PAPER = "paper"
    DIGITAL = "digital"


class Role(StrEnum):
    REVIEWER = "reviewer"
    SENIOR = "senior"
    DELEGATE = "delegate"
    ADMIN = "admin"


class ReturnReason(StrEnum):
    """Why a reviewer returns a message for editing (the family reads it localized)."""

    NOT_FAMILY_NEWS = "not_family_news"
    POLITICAL_MILITARY = "political_military"
    MONEY = "money"
    CONTACT_DETAILS = "contact_details"
    TOO_LONG = "too_long"
    ADDRESSEE_UNCLEAR = "addressee_unclear"
    CODE_LIKE = "code_like"
    UNPRINTABLE = "unprintable"  # letters no shipped font draws (also the export's reason)
    OTHER = "other"


class Undeliverable(StrEnum):
    RELEASED = "released"
    TRANSFERRED = "transferred"
    UNKNOWN = "unknown"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Site:
    """A place of detention that delegates visit."""

    code: str
    name: str
    country: str
    languages: tuple[str, ...] = ()
    word_limit: int = 200
    review_days: int = (
        14  # the deadline for a decision; the Conventions ask "as quickly as possible"
    )
    retention_days: int = 180
    # The place's name in the languages of the families who write there, by language code.
    names: tuple[tuple[str, str], ...] = ()
    # ISO 3166 code of the country, when known: it picks regional month names and digits.
    country_code: str = ""

    def local_name(self, lang: str) -> str:
        """Return the name a reader of ``lang`` knows the place by (the official one else)."""
        return dict(self.names).get(lang, self.name)

    paper: str = "A4"  # "A4" or "A5": what the delegation prints this site's batches on
    reply_page: bool = False  # every form gets a whole extra page of reply lines


@dataclass(frozen=True, slots=True)
class Profile:
    """A sender's own details, as printed on the form."""

    full_name: str
    latin_name: str
    father_name: str | None = None
    mother_name: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True, slots=True)
class Addressee:
    """The detained relative (or a linked family member) a message is written to."""

    id: str
    full_name: str
    latin_name: str
    father_name: str | None
    birth_date: str | None
    detainee_number: str | None
    site_code: str
    relationship: str
    linked_person_id: str | None = None  # digital delivery: the other family's person id
    reads: str | None = None  # the language they read, when staff set one other than the text's


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: dt.datetime
    state: MessageState
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageView:
    """What a family may see of one of its messages."""

    id: str
    reference: str
    kind: MessageKind
    state: MessageState
    site_code: str
    addressee_name: str
    created_at: dt.datetime
    timeline: tuple[TimelineEvent, ...]
    channel: Channel = Channel.PAPER
    waiting_for_reader: bool = False
    lang: str = ""
