"""Messages an export holds back: letters no shipped font can print (issue 12).

Such a message stays approved and out of the batch; the others print. The delegate reads
why in the export's answer; the reviewer who approved it is told once through the outbox
(reference and character codes only, never the text); each hold is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from relay import audit, outbox
from relay.errors import UnprintableCharacters
from relay.export.items import PrintItem
from relay.export.layout import prepare
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


def split_printable(
    message_ids: Sequence[str], items: Sequence[PrintItem]
) -> tuple[tuple[str, ...], tuple[PrintItem, ...], list[tuple[str, HeldBack]]]:
    """Split an export's messages into what prints (ids, items) and what is held back.

    The worker decides the same way (`prepare`); deciding here too lets the commit mark
    only what was printed, and saves spawning a worker for a batch that cannot print.
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
    if not printed and held:
        raise UnprintableCharacters(held[0][1].reference, held[0][1].chars)
    return tuple(ids), tuple(printed), held


async def record_held(store: Store, actor_id: str, held: Sequence[tuple[str, HeldBack]]) -> None:
    """Audit each held-back message; tell the reviewer who approved it, the first time."""
    if not held:
        return
    async with store.tx() as tx:
        for message_id, why in held:
            before = await tx.one(
                "SELECT 1 AS seen FROM audit WHERE action = 'message.print_held' AND object = ?",
                (message_id,),
            )
            await audit.append(
                tx,
                actor=actor_id,
                action="message.print_held",
                obj=message_id,
                detail={"chars": why.codes},
            )
            approver = await tx.one(
                "SELECT actor FROM audit WHERE action = 'message.approve' AND object = ?"
                " ORDER BY seq DESC LIMIT 1",
                (message_id,),
            )
            if before is None and approver is not None and approver["actor"] != CLI_ACTOR:
                await outbox.enqueue(tx, approver["actor"], PrintHeld(why.reference, why.codes))
            log.warning("export: message %s held back (%s)", message_id, why.codes)
