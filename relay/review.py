"""The review queue: claim with a lease, decide, escalate, four-eyes on blocking findings.

Order: messages past their deadline first, then oldest first; a reviewer only gets messages
in languages they read (a message nobody can read waits, visibly, and is never dropped).
Seniors get escalated messages first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from relay import roles
from relay.chat_delivery import deliver_in_chat
from relay.clock import iso, parse_iso
from relay.errors import Conflict, InvalidInput, NotAllowed, NotFound
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageKind, MessageState, ReturnReason, Role
from relay.store import Store, Tx

HISTORY = 5


class NeedsSenior(NotAllowed):
    """A blocking finding is left unredacted and the reviewer is not a senior."""

    code = "needs_senior"


class FourEyes(NotAllowed):
    """The senior who escalated a message tries to override its blocking finding."""

    code = "four_eyes"


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


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """What a reviewer sees of a claimed message."""

    message_id: str
    reference: str
    kind: MessageKind
    state: MessageState
    site_code: str
    lang: str
    text: str
    findings: list[dict[str, Any]]
    lease_until: dt.datetime
    overdue: bool
    history: list[tuple[str, MessageState]] = field(default_factory=list)
    escalation_note: str = ""
    has_photo: bool = False
    due_at: dt.datetime | None = None
    written_lang: str | None = None  # detected at submit; None when unknown

    @property
    def proposed(self) -> list[tuple[int, int]]:
        """Spans the rules propose to redact."""
        return [(f["start"], f["end"]) for f in self.findings if f["severity"] == "redact"]

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "block"]


@dataclass(frozen=True, slots=True)
class QueueLine:
    site_code: str
    lang: str
    waiting: int
    oldest: dt.datetime
    overdue: int
    readers: int


async def expire_leases(tx: Tx) -> int:
    """Return expired claims to the queue; return how many."""
    now = tx.now()
    rows = await tx.all(
        "SELECT id, state FROM messages WHERE claimed_by IS NOT NULL AND lease_until < ?",
        (now,),
    )
    for row in rows:
        if row["state"] == MessageState.IN_REVIEW:
            await transition(
                tx,
                message_id=row["id"],
                to=MessageState.SUBMITTED,
                action=Action.LEASE_EXPIRED,
                actor="system",
                sets={"claimed_by": None, "lease_until": None},
            )
        else:
            await tx.execute(
                "UPDATE messages SET claimed_by = NULL, lease_until = NULL WHERE id = ?",
                (row["id"],),
            )
    return len(rows)


async def queue(store: Store, *, staff_id: str | None) -> list[QueueLine]:
    """Return the backlog by site and language (reviewers only)."""
    async with store.tx() as tx:
        await roles.require_in(tx, staff_id, Role.REVIEWER, action="queue")
        await expire_leases(tx)
        rows = await tx.all(
            "SELECT site_code, lang, COUNT(*) AS n, MIN(submitted_at) AS oldest,"
            " SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue FROM messages"
            " WHERE state IN ('submitted', 'escalated') GROUP BY site_code, lang"
            " ORDER BY overdue DESC, oldest",
            (tx.now(),),
        )
        readers = await tx.all("SELECT languages FROM roles WHERE role IN ('reviewer','senior')")
    langs = [r["languages"].split(",") for r in readers]
    return [
        QueueLine(
            r["site_code"],
            r["lang"],
            int(r["n"]),
            parse_iso(r["oldest"]),
            int(r["overdue"] or 0),
            sum(1 for ls in langs if r["lang"] in ls),
        )
        for r in rows
    ]


async def claim_next(store: Store, *, reviewer_id: str | None, lease_s: int) -> ReviewItem | None:
    """Claim the next message this reviewer can read, or None when there is none."""
    async with store.tx() as tx:
        grant = await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="claim")
        assert reviewer_id is not None
        await expire_leases(tx)
        is_senior = Role.SENIOR in {g.role for g in await roles.grants_in(tx, reviewer_id)}
        langs = set(grant.languages)
        for g in await roles.grants_in(tx, reviewer_id):
            langs.update(g.languages)
        if not langs:
            return None
        marks = ",".join("?" * len(langs))
        until = iso(tx.clock.now() + dt.timedelta(seconds=lease_s))
        order = (
            # The written language when detected (migration: written language), else the
            # family's interface language.
            f" AND COALESCE(written_lang, lang) IN ({marks})"
            " ORDER BY CASE WHEN due_at < ? THEN 0 ELSE 1 END,"
            " submitted_at LIMIT 1"
        )
        if is_senior:
            row = await tx.one(
                "SELECT id FROM messages WHERE state = 'escalated' AND claimed_by IS NULL"  # noqa: S608 - placeholders only
                + order,
                (*sorted(langs), tx.now()),
            )
            if row is not None:
                await tx.execute(
                    "UPDATE messages SET claimed_by = ?, lease_until = ? WHERE id = ?",
                    (reviewer_id, until, row["id"]),
                )
                return await _item(tx, row["id"])
        row = await tx.one(
            "SELECT id FROM messages WHERE state = 'submitted'" + order,  # noqa: S608 - placeholders only
            (*sorted(langs), tx.now()),
        )
        if row is None:
            return None
        await transition(
            tx,
            message_id=row["id"],
            to=MessageState.IN_REVIEW,
            action=Action.CLAIM,
            actor=reviewer_id,
            sets={"claimed_by": reviewer_id, "lease_until": until},
        )
        return await _item(tx, row["id"])


async def _item(tx: Tx, message_id: str) -> ReviewItem:
    row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    if row is None:
        raise NotFound("message")
    family = row["family_id"]
    text, _ = await message_text_in(tx, row)
    findings = await tx.open_json_for(
        family, "messages", "findings", message_id, row["findings_enc"]
    )
    reference = (await tx.open_for(family, "messages", "ref", message_id, row["ref_enc"])).decode()
    earlier = await tx.all(
        "SELECT id, ref_enc, state FROM messages WHERE family_id = ? AND id != ?"
        " ORDER BY created_at DESC LIMIT ?",
        (family, message_id, HISTORY),
    )
    await tx.preload_keys([e["id"] for e in earlier])
    history = [
        (
            (await tx.open_for(family, "messages", "ref", e["id"], e["ref_enc"])).decode(),
            MessageState(e["state"]),
        )
        for e in earlier
    ]
    note = ""
    if row["decision_enc"] is not None:
        decision = await tx.open_json_for(
            family, "messages", "decision", message_id, row["decision_enc"]
        )
        note = str(decision.get("escalation_note", ""))
    return ReviewItem(
        message_id=message_id,
        reference=reference,
        kind=MessageKind(row["kind"]),
        state=MessageState(row["state"]),
        site_code=row["site_code"],
        lang=row["lang"],
        text=text,
        findings=list(findings),
        lease_until=parse_iso(row["lease_until"]),
        overdue=row["due_at"] is not None and row["due_at"] < tx.now(),
        history=history,
        escalation_note=note,
        has_photo=row["photo_enc"] is not None,
        due_at=parse_iso(row["due_at"]) if row["due_at"] else None,
        written_lang=row["written_lang"],
    )


async def current_item(store: Store, *, reviewer_id: str | None, message_id: str) -> ReviewItem:
    """Return a message the reviewer holds (to redraw it)."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="view")
        await _held(tx, reviewer_id, message_id)
        return await _item(tx, message_id)


async def _held(tx: Tx, reviewer_id: str | None, message_id: str) -> Any:
    row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    if row is None or row["claimed_by"] != reviewer_id:
        raise Conflict("not your claim")
    if row["lease_until"] is None or row["lease_until"] < tx.now():
        raise Conflict("lease expired")
    return row


def _check_spans(spans: tuple[tuple[int, int], ...], length: int) -> list[tuple[int, int]]:
    cleaned = sorted({(a, b) for a, b in spans})
    for start, end in cleaned:
        if not 0 <= start < end <= length:
            raise InvalidInput("bad_span")
    merged: list[tuple[int, int]] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _uncovered_blocks(findings: list[dict[str, Any]], spans: list[tuple[int, int]]) -> int:
    def covered(f: dict[str, Any]) -> bool:
        return any(a <= f["start"] and f["end"] <= b for a, b in spans)

    return sum(
        1
        for f in findings
        if f["severity"] == "block" and f["category"] != "length" and not covered(f)
    ) + sum(1 for f in findings if f["severity"] == "block" and f["category"] == "length")


async def decide(
    store: Store, *, reviewer_id: str | None, message_id: str, decision: Decision
) -> MessageState:
    """Apply a reviewer's decision to a message they hold; return the new state."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="decide")
        assert reviewer_id is not None
        row = await _held(tx, reviewer_id, message_id)
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
                notice={"note": decision.note},
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


async def _escalate(tx: Tx, reviewer_id: str, row: Any, note: str) -> MessageState:
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
        sets={"claimed_by": None, "lease_until": None, "decision_enc": blob},
    )
    return MessageState.ESCALATED


async def _approve(tx: Tx, reviewer_id: str, row: Any, decision: Decision) -> MessageState:
    message_id, family = row["id"], row["family_id"]
    text, _ = await message_text_in(tx, row)
    findings = await tx.open_json_for(
        family, "messages", "findings", message_id, row["findings_enc"]
    )
    spans = _check_spans(decision.redactions, len(text))
    previous: dict[str, Any] = {}
    if row["decision_enc"] is not None:
        previous = await tx.open_json_for(
            family, "messages", "decision", message_id, row["decision_enc"]
        )
    if _uncovered_blocks(findings, spans):
        grants = {g.role for g in await roles.grants_in(tx, reviewer_id)}
        if Role.SENIOR not in grants:
            raise NeedsSenior("a blocking finding needs a senior reviewer")
        if not decision.note.strip():
            raise InvalidInput("note_required")
        if previous.get("escalated_by") == reviewer_id:
            raise FourEyes("four eyes: the reviewer who escalated cannot override")
    removed = [text[a:b] for a, b in spans]
    body = await tx.seal_for(
        family, "messages", "body", message_id, {"text": text, "redactions": spans}
    )
    sealed = (
        await tx.seal_for(family, "messages", "sealed", message_id, removed) if spans else None
    )
    categories = sorted(
        {
            f["category"]
            for f in findings
            if any(a <= f["start"] and f["end"] <= b for a, b in spans)
        }
    )
    blob = await tx.seal_for(
        family,
        "messages",
        "decision",
        message_id,
        {
            **previous,
            "approved_by": reviewer_id,
            "note": decision.note,
            "override": bool(_uncovered_blocks(findings, spans)),
        },
    )
    await transition(
        tx,
        message_id=message_id,
        to=MessageState.APPROVED,
        action=Action.APPROVE,
        actor=reviewer_id,
        detail={"redactions": len(spans), "categories": ",".join(categories)},
        notify=False if row["kind"] == MessageKind.REPLY else None,
        sets={
            "claimed_by": None,
            "lease_until": None,
            "body_enc": body,
            "sealed_enc": sealed,
            "decision_enc": blob,
        },
    )
    if row["channel"] == "digital" or row["kind"] == MessageKind.REPLY:
        await deliver_in_chat(tx, row, text, spans)
        return MessageState.DELIVERED
    return MessageState.APPROVED


# -- additions for the staff bot: lease renewal, typed redactions, release, figures ---------


async def touch(
    store: Store, *, reviewer_id: str | None, message_id: str, lease_s: int
) -> ReviewItem:
    """Renew the lease of a message the reviewer holds (they are working on it); return it."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="view")
        await _held(tx, reviewer_id, message_id)
        until = iso(tx.clock.now() + dt.timedelta(seconds=lease_s))
        await tx.execute("UPDATE messages SET lease_until = ? WHERE id = ?", (until, message_id))
        return await _item(tx, message_id)


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


async def release_all(store: Store, *, reviewer_id: str | None) -> int:
    """Give back every message the reviewer holds; return how many."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="release")
        assert reviewer_id is not None
        rows = await tx.all("SELECT id, state FROM messages WHERE claimed_by = ?", (reviewer_id,))
        for row in rows:
            await _release(tx, reviewer_id, row["id"], MessageState(row["state"]))
        return len(rows)
