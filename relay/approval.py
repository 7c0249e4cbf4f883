"""What a reviewer approved, sealed with the decision, checked again before anything prints.

A message's state, site, addressee and photo verdict are plain columns (the queue and the
exports select on them). Whoever can write to the database without holding the keys could set
``state = 'approved'`` on a message nobody reviewed, or move an approved letter to another
site or addressee. The approval therefore seals what it approved into the message's decision
(bound to the message and its version, see ``Tx.seal_for``), and an export prints a message
only when its plain columns still say what the sealed approval says.
"""

from __future__ import annotations

import logging
from typing import Any

from relay import audit
from relay.errors import CryptoError
from relay.store import Row, Tx

log = logging.getLogger("relay.approval")


def record(row: Row, *, reviewer_id: str, photo_kept: bool) -> dict[str, Any]:
    """Return what an approval seals into the decision, beside who approved it."""
    return {
        "approved_by": reviewer_id,
        "approved": {
            "site": row["site_code"],
            "addressee": row["addressee_id"],
            "photo": photo_kept,
        },
    }


async def _why_not(tx: Tx, row: Row) -> str | None:
    if row["decision_enc"] is None:
        return "never reviewed"
    try:
        decision = await tx.open_json_for(
            row["family_id"], "messages", "decision", row["id"], row["decision_enc"]
        )
    except CryptoError:
        return "decision does not open"
    if not decision.get("approved_by"):
        return "no approval in the decision"
    approved = decision.get("approved")
    if approved is None:
        return None  # approved before approvals were sealed: nothing more to compare
    if approved.get("site") != row["site_code"]:
        return "site changed after approval"
    if approved.get("addressee") != row["addressee_id"]:
        return "addressee changed after approval"
    if row["photo_enc"] is not None and not approved.get("photo"):
        return "photo not kept by the reviewer"
    return None


async def approved_as_stored(tx: Tx, row: Row) -> bool:
    """Tell whether a message's columns still match its sealed approval; audit when not."""
    why = await _why_not(tx, row)
    if why is None:
        return True
    log.error("message %s is marked approved but %s: not printed", row["id"], why)
    await audit.append(
        tx,
        actor="system",
        action="message.approval_mismatch",
        obj=str(row["id"]),
        detail={"why": why},
    )
    return False
