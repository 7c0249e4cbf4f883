"""Input of a print batch: what the export needs to know about each approved message."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

PAGE_SIZES = ("A4", "A5")


@dataclass(frozen=True, slots=True)
class PrintItem:
    """One approved message as it is printed on the form (names and text in clear)."""

    reference: str  # "RCM-7K3F-9Q2V"
    addressee_name: str  # in their script
    addressee_name_latin: str
    addressee_father_name: str | None
    addressee_birth_date: str | None  # already formatted
    detainee_number: str | None
    sender_name: str
    sender_name_latin: str
    relationship: str  # already localized, printed as given
    text: str  # the message as the sender wrote it
    redactions: tuple[tuple[int, int], ...]  # spans of `text` removed by review (start, end)
    lang: str  # "ar", "fa", "uk", "en", ...
    photo: bytes | None = None  # JPEG/PNG family photo
    channel_note: str | None = None
    # The language the addressee reads, when the family or staff set one other than `lang`:
    # the labels and the reply instructions of the form are printed in it.
    reader_lang: str | None = None


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """What the cover sheet says about a batch; `created` also fixes the PDF dates."""

    site_code: str
    site_name: str
    batch_id: str
    created: datetime.date
    page_size: str = "A4"  # or "A5"
    reply_page: bool = False  # the site asks for a whole extra page for every reply
