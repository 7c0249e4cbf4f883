"""A reviewer's work on their cards, typed, in its own sealed row (``bot.state``).

Per card: the proposals kept (None: as proposed), passages typed by hand, a return reason
and a note. At most one question is open at a time (``wait``): the next typed text is the
reviewer's answer to it, not a family's message. A decision, a new claim or /release
forgets the card's work; the rest of the person's state (a letter they write as a family,
a reply as a delegate) lives in other rows and is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.state import Fields, Slot


class Asked(StrEnum):
    """What the reviewer was asked to type."""

    PASSAGE = "passage"
    RETURN_NOTE = "return_note"
    ESCALATE_NOTE = "escalate_note"
    OVERRIDE_NOTE = "override_note"


@dataclass
class CardWork:
    """What a reviewer did on one card so far."""

    sel: list[int] | None = None
    extra: list[tuple[int, int]] = field(default_factory=list)
    reason: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Waiting:
    """A question open on a card: its next typed text answers it."""

    asked: Asked
    mid: str


@dataclass
class ReviewState:
    """The cards a reviewer works on, and the question open, if any."""

    cards: dict[str, CardWork] = field(default_factory=dict)
    wait: Waiting | None = None

    def card(self, mid: str) -> CardWork:
        """Return the work on a card (created empty)."""
        return self.cards.setdefault(mid, CardWork())

    def ask(self, asked: Asked, mid: str) -> None:
        self.wait = Waiting(asked, mid)

    def forget(self, mid: str) -> None:
        """Forget a card's work and its open question (decided, or claimed anew)."""
        self.cards.pop(mid, None)
        if self.wait is not None and self.wait.mid == mid:
            self.wait = None


def _encode(value: ReviewState) -> dict[str, object]:
    cards = {
        mid: {
            "sel": w.sel,
            "extra": [list(p) for p in w.extra],
            "reason": w.reason,
            "note": w.note,
        }
        for mid, w in value.cards.items()
    }
    wait = {"asked": value.wait.asked.value, "mid": value.wait.mid} if value.wait else None
    return {"cards": cards, "wait": wait}


def _decode(fields: Fields) -> ReviewState:
    cards = {
        mid: CardWork(
            sel=f.maybe_numbers("sel"),
            extra=f.pairs("extra"),
            reason=f.maybe_text("reason"),
            note=f.text("note"),
        )
        for mid, f in fields.subs("cards").items()
    }
    wait = fields.sub("wait")
    asked, mid = wait.text("asked"), wait.text("mid")
    open_question = Waiting(Asked(asked), mid) if asked in set(Asked) and mid else None
    return ReviewState(cards=cards, wait=open_question)


CARD = Slot("review", ReviewState, _encode, _decode)
