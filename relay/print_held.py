"""Messages an export holds back: letters no shipped font can print (issue 12).

Such a message is left out of the batch (the others print) and returned to its family
(reason ``unprintable``, the letters in their notice) so that they can write those words
again: kept approved, it would be held back by every later export and the family never
told. The delegate reads which were held in the export's answer; the reviewer who approved
one is told through the outbox (reference and character codes only, never the text); the
move is audited as ``message.print_held``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from relay import outbox
from relay.errors import Conflict, InvalidTransition, UnprintableCharacters
from relay.export.items import PrintItem
from relay.export.layout import prepare
from relay.lifecycle import Action, transition
from relay.models import MessageState, ReturnReason
from relay.notices import PrintHeld
from relay.store import Store

log = logging.getLogger("relay.delivery")

CLI_ACTOR = "admin-cli"  # as relay.delivery: the command line is nobody to notify


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A message an export left out: no font draws some of its letters (`chars`)."""

    reference: str
    chars: str

    @property
    def codes(self) -> str:
        return " ".join(f"U+{ord(c):04X}" for c in self.chars)


class NothingPrintable(UnprintableCharacters):
    """No message of an export can be printed; each was returned to its family."""

    code = "nothing_printable"

    def __init__(self, held: tuple[HeldBack, ...]) -> None:
        super().__init__(held[0].reference, held[0].chars)
        self.held = held
        # What `rcm export` prints: every one of them, and what became of them.
        self.args = (
            "nothing in the batch can be printed (letters no font draws); returned to their "
            "families to write again: " + ", ".join(f"{h.reference} ({h.codes})" for h in held),
        )

    def __reduce__(self) -> tuple[type[NothingPrintable], tuple[tuple[HeldBack, ...]]]:  # type: ignore[override]
        return (type(self), (self.held,))


def split_printable(
    message_ids: Sequence[str], items: Sequence[PrintItem]
) -> tuple[tuple[str, ...], tuple[PrintItem, ...], list[tuple[str, HeldBack]]]:
    """Split an export's messages into what prints (ids, items) and what is held back.

    The worker decides the same way (`prepare`); deciding here too lets the commit mark
    only what was printed, and saves spawning a worker for a batch that cannot print. When
    nothing prints the caller still returns the held ones (`record_held`), then raises
    `NothingPrintable`.
    """
    ids: list[str] = []
    printed: list[PrintItem] = []
    held: list[tuple[str, HeldBack]] = []
    for message_id, item in zip(message_ids, items, strict=True):
        entry = prepare(item)
        if entry.held:
            held.append((message_id, HeldBack(item.reference, entry.held)))
        else:
            ids.append(message_id)
            printed.append(item)
    return tuple(ids), tuple(printed), held


async def record_held(store: Store, actor_id: str, held: Sequence[tuple[str, HeldBack]]) -> None:
    """Return each held-back message to its family; tell the reviewer who approved it.

    A message that changed meanwhile (cancelled, or returned by a concurrent export) is
    left as it is: whoever moved it has told the family.
    """
    if not held:
        return
    async with store.tx() as tx:
        for message_id, why in held:
            approver = await tx.one(
                "SELECT actor FROM audit WHERE action = 'message.approve' AND object = ?"
                " ORDER BY seq DESC LIMIT 1",
                (message_id,),
            )
            try:
                await transition(
                    tx,
                    message_id=message_id,
                    to=MessageState.RETURNED,
                    action=Action.PRINT_HELD,
                    actor=actor_id,
                    detail={"reason": ReturnReason.UNPRINTABLE.value, "chars": why.codes},
                    # The letters themselves go only into the family's sealed notice.
                    chars=" ".join(why.chars),
                )
            except (InvalidTransition, Conflict):
                log.info("export: held message %s changed meanwhile", message_id)
                continue
            if approver is not None and approver["actor"] != CLI_ACTOR:
                await outbox.enqueue(tx, approver["actor"], PrintHeld(why.reference, why.codes))
            log.warning("export: message %s held back (%s)", message_id, why.codes)
