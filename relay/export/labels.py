"""Every word printed on a batch, translated once per batch through a gettext function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass


def identity(text: str) -> str:
    """Return `text` unchanged (the default translator: English labels)."""
    return text


@dataclass(frozen=True, slots=True)
class Labels:
    """The printed labels of a batch, already in the delegation's language."""

    batch_title: str
    site: str
    batch: str
    date: str
    count: str
    manifest: str
    number: str
    reference: str
    addressee: str
    addressee_latin: str
    addressee_own: str
    detainee_number: str
    handed_over: str
    signature: str
    message_title: str
    to: str
    sender: str
    father: str
    birth: str
    relationship: str
    message: str
    continued: str
    photo_missing: str
    reply: str
    reply_hint: str
    reply_more: str
    page: str

    def strings(self) -> tuple[str, ...]:
        """Return every label, for the font coverage check."""
        return tuple(str(value) for value in astuple(self))


@dataclass(frozen=True, slots=True)
class FormWords:
    """The labels of one form: in the reader's language, and the site's beside them."""

    own: Labels  # the language the addressee reads
    site: Labels  # the site's working language (the same object when they agree)

    def pair(self, name: str) -> tuple[str, str]:
        """Return (reader's word, site's word) for the label `name`."""
        own = str(getattr(self.own, name))
        other = str(getattr(self.site, name))
        return own, ("" if other == own else other)

    def strings(self) -> tuple[str, ...]:
        """Return every label of both languages, for the font coverage check."""
        return self.own.strings() + self.site.strings()


def translate_labels(_: Callable[[str], str] = identity) -> Labels:
    """Translate the printed labels with the gettext function `_`."""
    return Labels(
        # Translators: title of the cover sheet of a printed batch of Red Cross messages
        batch_title=_("Red Cross message batch"),
        # Translators: a place of detention
        site=_("Site"),
        batch=_("Batch"),
        date=_("Date"),
        count=_("Number of messages"),
        # Translators: the list of messages a delegate ticks off when handing them over
        manifest=_("Manifest"),
        # Translators: column heading, running number of a row
        number=_("No."),
        reference=_("Reference"),
        addressee=_("Addressee"),
        addressee_latin=_("Name in Latin letters"),
        addressee_own=_("Name in own script"),
        detainee_number=_("Detainee number"),
        # Translators: column with an empty box the delegate ticks when the message is handed over
        handed_over=_("Handed over"),
        signature=_("Signature"),
        # Translators: title of the printed form; never draw or name the emblem itself
        message_title=_("Red Cross message"),
        # Translators: heading of the addressee block ("To")
        to=_("To"),
        # Translators: heading of the sender block ("From")
        sender=_("From"),
        father=_("Father's name"),
        birth=_("Date of birth"),
        relationship=_("Relationship"),
        message=_("Message"),
        # Translators: shown when a long message goes on over the next page
        continued=_("continued"),
        photo_missing=_("A photo came with this message but could not be printed."),
        # Translators: title of the part the detainee writes the answer on
        reply=_("Reply"),
        # Translators: printed on the reply part, in the language the detainee reads
        reply_hint=_("Write your reply on the lines below."),
        # Translators: printed on an extra page of reply lines
        reply_more=_("More room for your reply. Hand both pages back together."),
        page=_("Page"),
    )
