"""The life of a message, as one table, and the one function that moves a message.

Every move is checked against the table inside the caller's transaction, compare-and-set on
the state (so two concurrent moves cannot both succeed), recorded on the message's timeline,
audited, and, where the family must be told, queued in the outbox in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from relay import audit, outbox
from relay.errors import Conflict, InvalidTransition, NotFound
from relay.models import MessageState as S
from relay.notices import StatusChanged
from relay.store import Tx


class Action:
    """Names of the moves (also the audit action names, prefixed ``message.``)."""

    SUBMIT = "submit"
    CLAIM = "claim"
    RELEASE = "release"
    LEASE_EXPIRED = "lease_expired"
    APPROVE = "approve"
    RETURN = "return"
    ESCALATE = "escalate"
    RESUBMIT = "resubmit"
    CANCEL = "cancel"
    PRINT = "print"
    DELIVER_DIGITAL = "deliver_digital"
    HANDED_OVER = "handed_over"
    UNDELIVERABLE = "undeliverable"
    REQUEUE = "requeue"
    DELIVER_HELD = "deliver_held"


_CANCELLABLE = (S.SUBMITTED, S.IN_REVIEW, S.ESCALATED, S.APPROVED, S.RETURNED)

TRANSITIONS: dict[tuple[S, S], frozenset[str]] = {
    (S.DRAFT, S.SUBMITTED): frozenset({Action.SUBMIT}),
    (S.SUBMITTED, S.IN_REVIEW): frozenset({Action.CLAIM}),
    (S.IN_REVIEW, S.SUBMITTED): frozenset({Action.RELEASE, Action.LEASE_EXPIRED}),
    (S.IN_REVIEW, S.APPROVED): frozenset({Action.APPROVE}),
    (S.IN_REVIEW, S.RETURNED): frozenset({Action.RETURN}),
    (S.IN_REVIEW, S.ESCALATED): frozenset({Action.ESCALATE}),
    (S.ESCALATED, S.APPROVED): frozenset({Action.APPROVE}),
    (S.ESCALATED, S.RETURNED): frozenset({Action.RETURN}),
    (S.RETURNED, S.SUBMITTED): frozenset({Action.RESUBMIT}),
    (S.APPROVED, S.PRINTED): frozenset({Action.PRINT}),
    (S.APPROVED, S.DELIVERED): frozenset({Action.DELIVER_DIGITAL}),
    (S.PRINTED, S.DELIVERED): frozenset({Action.HANDED_OVER}),
    (S.PRINTED, S.UNDELIVERABLE): frozenset({Action.UNDELIVERABLE}),
    (S.UNDELIVERABLE, S.SUBMITTED): frozenset({Action.REQUEUE}),
    (S.UNDELIVERABLE, S.DELIVERED): frozenset({Action.DELIVER_HELD}),
    **{(state, S.CANCELLED): frozenset({Action.CANCEL}) for state in _CANCELLABLE},
}

# States the family is told about by a pushed notification (the rest show on /status).
NOTIFY_FAMILY = frozenset({S.APPROVED, S.RETURNED, S.PRINTED, S.DELIVERED, S.UNDELIVERABLE})


def allowed(current: S, wanted: S, action: str) -> bool:
    """Return whether ``action`` may move a message from ``current`` to ``wanted``."""
    return action in TRANSITIONS.get((current, wanted), frozenset())


async def transition(
    tx: Tx,
    *,
    message_id: str,
    to: S,
    action: str,
    actor: str,
    detail: Mapping[str, object] | None = None,
    sets: Mapping[str, object] | None = None,
    notify: bool | None = None,
    note: str = "",
) -> S:
    """Move a message; return the state it left. Raises InvalidTransition or Conflict.

    ``detail`` (codes only: it is stored in clear on the timeline and in the audit log) and
    ``note`` (may be personal, a reviewer's note: it only goes into the sealed outbox
    notice) describe the move to the family.
    """
    row = await tx.one(
        "SELECT state, family_id, kind, ref_enc FROM messages WHERE id = ?", (message_id,)
    )
    if row is None:
        raise NotFound(f"message {message_id}")
    current = S(row["state"])
    if not allowed(current, to, action):
        raise InvalidTransition(message_id, current.value, to.value)
    columns = {"state": to.value, "updated_at": tx.now(), **(sets or {})}
    assignments = ", ".join(f"{name} = ?" for name in columns)
    changed = await tx.execute(
        f"UPDATE messages SET {assignments} WHERE id = ? AND state = ?",  # noqa: S608 - column names are ours
        (*columns.values(), message_id, current.value),
    )
    if changed != 1:
        raise Conflict(f"message {message_id} changed meanwhile")
    info = {k: str(v) for k, v in (detail or {}).items()}
    last = await tx.one(
        "SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE message_id = ?", (message_id,)
    )
    await tx.execute(
        "INSERT INTO events(message_id, seq, at, state, detail) VALUES (?, ?, ?, ?, ?)",
        (message_id, (last["seq"] if last else 0) + 1, tx.now(), to.value, json.dumps(info)),
    )
    await audit.append(
        tx,
        actor=actor,
        action=f"message.{action}",
        obj=message_id,
        detail={"from": current.value, "to": to.value, **info},
    )
    if notify if notify is not None else to in NOTIFY_FAMILY:
        reference = await tx.open_for(
            row["family_id"], "messages", "ref", message_id, row["ref_enc"]
        )
        await outbox.enqueue(
            tx,
            row["family_id"],
            StatusChanged(
                message_id=message_id,
                kind=row["kind"],
                state=to.value,
                reference=reference.decode(),
                detail=info,
                note=note,
            ),
        )
    return current
