"""Review decisions: approve (with redactions), return, escalate, release; four eyes.

The queue (who gets which message, the lease, the card) is ``relay.review_queue``; its
public names are re-exported here, so that callers use one module.

Four eyes: leaving a blocking finding in (an override) takes two different seniors. The
first one's approval is recorded as a proposal (the message waits as escalated, seniors are
alerted); a second senior, who made neither the escalation nor the proposal, approves it.
Both are in the audit log. A photo has its own verdict, given before the text is approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from relay import alerts, approval, audit, policy, roles
from relay.chat_delivery import deliver_in_chat
from relay.errors import InvalidInput
from relay.findings import Finding, from_stored
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageKind, MessageState, ReturnReason, Role
from relay.policy import FourEyes, NeedsSenior
from relay.review_card import PhotoReason, photo_removed
from relay.review_queue import (
    QueueLine,
    ReviewItem,
    claim_next,
    current_item,
    expire_leases,
    held_in,
    judge_photo,
    photo_for_review,
    queue,
    touch,
)
from relay.store import Row, Store, Tx

__all__ = [
    "Decision",
    "FourEyes",
    "NeedsSenior",
    "QueueLine",
    "ReviewItem",
    "Verdict",
    "claim_next",
    "current_item",
    "decide",
    "expire_leases",
    "find_passage",
    "judge_photo",
    "photo_for_review",
    "queue",
    "release_all",
    "touch",
]


class Verdict(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    ESCALATE = "escalate"
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    redactions: tuple[tuple[int, int], ...] = ()
    reason: ReturnReason | None = None
    note: str = ""


@roles.audits_refusals
async def decide(
    store: Store, *, reviewer_id: str | None, message_id: str, decision: Decision
) -> MessageState:
    """Apply a reviewer's decision to a message they hold; return the new state."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="decide")
        assert reviewer_id is not None
        row = await held_in(tx, reviewer_id, message_id)
        family = row["family_id"]
        state = MessageState(row["state"])
        if decision.verdict == Verdict.RELEASE:
            return await _release(tx, reviewer_id, message_id, state)
        if decision.verdict == Verdict.ESCALATE:
            return await _escalate(tx, reviewer_id, row, decision.note)
        if decision.verdict == Verdict.RETURN:
            reason = decision.reason or ReturnReason.OTHER
            blob = await tx.seal_for(
                family,
                "messages",
                "decision",
                message_id,
                {"reason": reason.value, "note": decision.note},
            )
            await transition(
                tx,
                message_id=message_id,
                to=MessageState.RETURNED,
                action=Action.RETURN,
                actor=reviewer_id,
                detail={"reason": reason.value},
                note=decision.note,
                sets={"claimed_by": None, "lease_until": None, "decision_enc": blob},
            )
            return MessageState.RETURNED
        return await _approve(tx, reviewer_id, row, decision)


async def _release(tx: Tx, reviewer_id: str, message_id: str, state: MessageState) -> MessageState:
    if state == MessageState.ESCALATED:
        await tx.execute(
            "UPDATE messages SET claimed_by = NULL, lease_until = NULL WHERE id = ?", (message_id,)
        )
        return state
    await transition(
        tx,
        message_id=message_id,
        to=MessageState.SUBMITTED,
        action=Action.RELEASE,
        actor=reviewer_id,
        sets={"claimed_by": None, "lease_until": None},
    )
    return MessageState.SUBMITTED


async def _escalate(tx: Tx, reviewer_id: str, row: Row, note: str) -> MessageState:
    if row["state"] == MessageState.ESCALATED:
        raise InvalidInput("already_escalated")
    blob = await tx.seal_for(
        row["family_id"],
        "messages",
        "decision",
        row["id"],
        {"escalation_note": note, "escalated_by": reviewer_id},
    )
    await transition(
        tx,
        message_id=row["id"],
        to=MessageState.ESCALATED,
        action=Action.ESCALATE,
        actor=reviewer_id,
        sets={
            "claimed_by": None,
            "lease_until": None,
            "decision_enc": blob,
            "judged_by": reviewer_id,
        },
    )
    reference = await tx.open_for(row["family_id"], "messages", "ref", row["id"], row["ref_enc"])
    await alerts.escalation_in(tx, row, reference.decode(), by=reviewer_id)
    return MessageState.ESCALATED


async def _approve(tx: Tx, reviewer_id: str, row: Row, decision: Decision) -> MessageState:
    """Approve; or, for a first senior leaving a blocking finding in, record the proposal."""
    text, findings, previous = await _judged_in(tx, row)
    spans = policy.merge_spans(decision.redactions, len(text))
    removed_photo = _photo_check(row, text)
    override = policy.uncovered_blocks(findings, spans) > 0
    step = policy.four_eyes(
        reviewer_id=reviewer_id,
        override=override,
        is_senior=override and await _is_senior(tx, reviewer_id),
        note=decision.note,
        previous=previous,
    )
    if step == policy.Step.PROPOSE:
        return await _propose_override(tx, reviewer_id, row, previous, decision.note)
    sets = await _seal_approval(
        tx,
        row,
        text,
        spans,
        {
            **previous,
            **approval.record(
                row,
                reviewer_id=reviewer_id,
                photo_kept=row["photo_enc"] is not None and removed_photo is None,
            ),
            "note": decision.note,
            "override": override,
        },
    )
    detail = {
        "redactions": str(len(spans)),
        "categories": ",".join(policy.removed_categories(findings, spans)),
    }
    if removed_photo is not None:
        detail["photo_removed"] = removed_photo.value
        sets["photo_enc"] = None  # never printed, never sent: the photo is destroyed
    await transition(
        tx,
        message_id=row["id"],
        to=MessageState.APPROVED,
        action=Action.APPROVE,
        actor=reviewer_id,
        detail=detail,
        notify=False if row["kind"] == MessageKind.REPLY else None,
        sets=sets,
    )
    if override:  # the audit shows both seniors (not the family's timeline)
        await audit.append(
            tx,
            actor=reviewer_id,
            action="message.override",
            obj=row["id"],
            detail={"first": previous["override_by"], "second": reviewer_id},
        )
    if row["channel"] == "digital" or row["kind"] == MessageKind.REPLY:
        withheld = removed_photo.value if removed_photo is not None else None
        await deliver_in_chat(tx, row, text, spans, photo_removed=withheld)
        return MessageState.DELIVERED
    return MessageState.APPROVED


async def _is_senior(tx: Tx, reviewer_id: str) -> bool:
    return Role.SENIOR in {g.role for g in await roles.grants_in(tx, reviewer_id)}


async def _judged_in(tx: Tx, row: Row) -> tuple[str, list[Finding], dict[str, object]]:
    """Open what a decision is made on: the text, its findings, earlier judgements."""
    message_id, family = row["id"], row["family_id"]
    text, _ = await message_text_in(tx, row)
    findings = from_stored(
        await tx.open_json_for(family, "messages", "findings", message_id, row["findings_enc"])
    )
    previous: dict[str, object] = {}
    if row["decision_enc"] is not None:
        previous = await tx.open_json_for(
            family, "messages", "decision", message_id, row["decision_enc"]
        )
    return text, findings, previous


def _photo_check(row: Row, text: str) -> PhotoReason | None:
    """Return why the photo is withheld (None: kept or none); refuse an unjudged photo."""
    removed_photo = photo_removed(row["photo_verdict"])
    if row["photo_enc"] is not None and row["photo_verdict"] is None:
        raise InvalidInput("photo_unjudged")
    if row["kind"] == MessageKind.REPLY and not text.strip() and removed_photo is not None:
        raise InvalidInput("nothing_left")  # no transcription and no photo: return it
    return removed_photo


async def _seal_approval(
    tx: Tx, row: Row, text: str, spans: list[tuple[int, int]], decision: dict[str, object]
) -> dict[str, object]:
    """Seal the redacted body, the removed passages and the decision; return the columns."""
    message_id, family = row["id"], row["family_id"]
    body = await tx.seal_for(
        family, "messages", "body", message_id, {"text": text, "redactions": spans}
    )
    removed = [text[a:b] for a, b in spans]
    sealed = (
        await tx.seal_for(family, "messages", "sealed", message_id, removed) if spans else None
    )
    blob = await tx.seal_for(family, "messages", "decision", message_id, decision)
    return {
        "claimed_by": None,
        "lease_until": None,
        "body_enc": body,
        "sealed_enc": sealed,
        "decision_enc": blob,
    }


async def _propose_override(
    tx: Tx, senior_id: str, row: Row, previous: dict[str, object], note: str
) -> MessageState:
    """Record a first senior's judgement to leave a blocking finding in; alert the others."""
    message_id = row["id"]
    blob = await tx.seal_for(
        row["family_id"],
        "messages",
        "decision",
        message_id,
        {**previous, "override_by": senior_id, "override_note": note},
    )
    sets = {
        "claimed_by": None,
        "lease_until": None,
        "decision_enc": blob,
        "judged_by": senior_id,
    }
    if row["state"] == MessageState.IN_REVIEW:
        await transition(
            tx,
            message_id=message_id,
            to=MessageState.ESCALATED,
            action=Action.ESCALATE,
            actor=senior_id,
            detail={"why": "override_proposed"},
            sets=sets,
        )
    else:
        await tx.execute(
            "UPDATE messages SET claimed_by = NULL, lease_until = NULL, decision_enc = ?,"
            " judged_by = ? WHERE id = ?",
            (blob, senior_id, message_id),
        )
        await audit.append(tx, actor=senior_id, action="message.override_proposed", obj=message_id)
    reference = await tx.open_for(row["family_id"], "messages", "ref", message_id, row["ref_enc"])
    await alerts.escalation_in(tx, row, reference.decode(), by=senior_id)
    return MessageState.ESCALATED


# -- additions for the staff bot: lease renewal, typed redactions, release, photos ----------


def find_passage(text: str, typed: str) -> tuple[int, int]:
    """Locate a passage a reviewer typed: ``start-end`` positions, or the exact words.

    Positions count characters from 0, end excluded. Words must occur exactly once, so that
    the redaction cannot land on the wrong occurrence.
    """
    typed = typed.strip()
    if not typed:
        raise InvalidInput("empty")
    parts = typed.split("-")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        start, end = int(parts[0]), int(parts[1])
        if not 0 <= start < end <= len(text):
            raise InvalidInput("bad_span")
        return start, end
    first = text.find(typed)
    if first < 0:
        raise InvalidInput("passage_not_found")
    if text.find(typed, first + 1) >= 0:
        raise InvalidInput("passage_ambiguous")
    return first, first + len(typed)


@roles.audits_refusals
async def release_all(store: Store, *, reviewer_id: str | None) -> int:
    """Give back every message the reviewer holds; return how many."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="release")
        assert reviewer_id is not None
        rows = await tx.all("SELECT id, state FROM messages WHERE claimed_by = ?", (reviewer_id,))
        for row in rows:
            await _release(tx, reviewer_id, row["id"], MessageState(row["state"]))
        return len(rows)
