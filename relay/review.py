"""The review queue: claim with a lease, decide, escalate, four-eyes on blocking findings.

Order: messages past their deadline first, then oldest first; a reviewer only gets messages
of the sites and languages their grants cover (a message nobody can read waits, visibly,
and is never dropped), and every decision checks the grants again. Seniors get escalated
messages first, never one they judged themselves. ``/next`` while holding a message hands
back the one held.

Four eyes: leaving a blocking finding in (an override) takes two different seniors. The
first one's approval is recorded as a proposal (the message waits as escalated, seniors are
alerted); a second senior, who made neither the escalation nor the proposal, approves it.
Both are in the audit log. A photo has its own verdict, given before the text is approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from relay import alerts, audit, roles
from relay.chat_delivery import deliver_in_chat
from relay.clock import iso, parse_iso
from relay.errors import Conflict, InvalidInput, NotAllowed, NotFound
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageKind, MessageState, ReturnReason, Role
from relay.review_card import KEEP, CardDetails, PhotoReason, details_in, photo_removed
from relay.roles import Grant
from relay.store import Store, Tx


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
    escalation_note: str = ""
    has_photo: bool = False
    due_at: dt.datetime | None = None
    details: CardDetails = field(default_factory=CardDetails)
    photo_verdict: str | None = None  # None: not judged; "keep"; or a PhotoReason
    override_note: str = ""  # a first senior's proposal to leave a blocking finding in

    @property
    def photo_judged(self) -> bool:
        return not self.has_photo or self.photo_verdict is not None

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


def _reviewing(grants: list[Grant]) -> list[Grant]:
    return [g for g in grants if g.role in roles.REVIEWING]


def _site_scope(grants: list[Grant]) -> set[str] | None:
    """Return the sites a reviewer's grants are limited to; None for every site."""
    sites = {g.site_code for g in _reviewing(grants)}
    return None if "" in sites else sites


def _scope_sql(grants: list[Grant]) -> tuple[str, list[str]]:
    """Return a WHERE clause (and its parameters) for the site/language pairs covered."""
    parts: list[str] = []
    params: list[str] = []
    for g in _reviewing(grants):
        if not g.languages:
            continue
        clause = f"lang IN ({','.join('?' * len(g.languages))})"
        params += sorted(g.languages)
        if g.site_code:
            clause += " AND site_code = ?"
            params.append(g.site_code)
        parts.append(f"({clause})")
    return (" OR ".join(parts) or "0 = 1"), params


@roles.audits_refusals
async def queue(store: Store, *, staff_id: str | None) -> list[QueueLine]:
    """Return the backlog by site and language of the reviewer's sites (reviewers only).

    Languages the reviewer does not read are listed too, with their number of readers, so
    that a language nobody reads shows; sites outside the reviewer's grants are not.
    """
    async with store.tx() as tx:
        await roles.require_in(tx, staff_id, Role.REVIEWER, action="queue")
        assert staff_id is not None
        sites = _site_scope(await roles.grants_in(tx, staff_id))
        await expire_leases(tx)
        rows = await tx.all(
            "SELECT site_code, lang, COUNT(*) AS n, MIN(submitted_at) AS oldest,"
            " SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue FROM messages"
            " WHERE state IN ('submitted', 'escalated') GROUP BY site_code, lang"
            " ORDER BY overdue DESC, oldest",
            (tx.now(),),
        )
        readers = await tx.all("SELECT * FROM roles WHERE role IN ('reviewer','senior')")
    grants = [roles.grant_of(r) for r in readers]
    return [
        QueueLine(
            r["site_code"],
            r["lang"],
            int(r["n"]),
            parse_iso(r["oldest"]),
            int(r["overdue"] or 0),
            len({g.person_id for g in grants if roles.covers(g, r["site_code"], r["lang"])}),
        )
        for r in rows
        if sites is None or r["site_code"] in sites
    ]


@roles.audits_refusals
async def claim_next(store: Store, *, reviewer_id: str | None, lease_s: int) -> ReviewItem | None:
    """Claim the next message this reviewer may read, or None when there is none.

    A message the reviewer already holds comes back first (its lease renewed).
    """
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="claim")
        assert reviewer_id is not None
        await expire_leases(tx)
        grants = await roles.grants_in(tx, reviewer_id)
        until = iso(tx.clock.now() + dt.timedelta(seconds=lease_s))
        held = await tx.one(
            "SELECT id FROM messages WHERE claimed_by = ? ORDER BY lease_until LIMIT 1",
            (reviewer_id,),
        )
        if held is not None:
            await tx.execute(
                "UPDATE messages SET lease_until = ? WHERE id = ?", (until, held["id"])
            )
            return await _item(tx, held["id"])
        scope, params = _scope_sql(grants)
        order = (
            f" AND ({scope}) ORDER BY CASE WHEN due_at < ? THEN 0 ELSE 1 END,"
            " submitted_at LIMIT 1"
        )
        if Role.SENIOR in {g.role for g in grants}:
            # Never the senior's own escalation or override proposal (four eyes).
            row = await tx.one(
                "SELECT id FROM messages WHERE state = 'escalated' AND claimed_by IS NULL"  # noqa: S608 - placeholders only
                " AND (judged_by IS NULL OR judged_by != ?)" + order,
                (reviewer_id, *params, tx.now()),
            )
            if row is not None:
                await tx.execute(
                    "UPDATE messages SET claimed_by = ?, lease_until = ? WHERE id = ?",
                    (reviewer_id, until, row["id"]),
                )
                return await _item(tx, row["id"])
        row = await tx.one(
            "SELECT id FROM messages WHERE state = 'submitted'" + order,  # noqa: S608 - placeholders only
            (*params, tx.now()),
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
    note = override = ""
    if row["decision_enc"] is not None:
        decision = await tx.open_json_for(
            family, "messages", "decision", message_id, row["decision_enc"]
        )
        note = str(decision.get("escalation_note", ""))
        override = str(decision.get("override_note", "")) if decision.get("override_by") else ""
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
        escalation_note=note,
        has_photo=row["photo_enc"] is not None,
        due_at=parse_iso(row["due_at"]) if row["due_at"] else None,
        details=await details_in(tx, row),
        photo_verdict=row["photo_verdict"],
        override_note=override,
    )


@roles.audits_refusals
async def current_item(store: Store, *, reviewer_id: str | None, message_id: str) -> ReviewItem:
    """Return a message the reviewer holds (to redraw it)."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="view")
        await _held(tx, reviewer_id, message_id)
        return await _item(tx, message_id)


async def _held(tx: Tx, reviewer_id: str | None, message_id: str) -> Any:
    """Return a message the reviewer holds and whose site and language they still cover."""
    row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    if row is None or row["claimed_by"] != reviewer_id:
        raise Conflict("not your claim")
    if row["lease_until"] is None or row["lease_until"] < tx.now():
        raise Conflict("lease expired")
    assert reviewer_id is not None
    grants = await roles.grants_in(tx, reviewer_id)
    if not any(roles.covers(g, row["site_code"], row["lang"]) for g in grants):
        # The grant changed while the message was held: the decision is not theirs.
        raise roles.Refused(actor=reviewer_id, action="decide", needs="reviewer of the site")
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


@roles.audits_refusals
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


async def _approve(tx: Tx, reviewer_id: str, row: Any, decision: Decision) -> MessageState:
    """Approve; or, for a first senior leaving a blocking finding in, record the proposal."""
    message_id, family = row["id"], row["family_id"]
    text, _ = await message_text_in(tx, row)
    findings = await tx.open_json_for(
        family, "messages", "findings", message_id, row["findings_enc"]
    )
    spans = _check_spans(decision.redactions, len(text))
    removed_photo = photo_removed(row["photo_verdict"])
    if row["photo_enc"] is not None and row["photo_verdict"] is None:
        raise InvalidInput("photo_unjudged")
    if row["kind"] == MessageKind.REPLY and not text.strip() and removed_photo is not None:
        raise InvalidInput("nothing_left")  # no transcription and no photo: return it
    previous: dict[str, Any] = {}
    if row["decision_enc"] is not None:
        previous = await tx.open_json_for(
            family, "messages", "decision", message_id, row["decision_enc"]
        )
    override = bool(_uncovered_blocks(findings, spans))
    if override:
        grants = {g.role for g in await roles.grants_in(tx, reviewer_id)}
        if Role.SENIOR not in grants:
            raise NeedsSenior("a blocking finding needs a senior reviewer")
        if not decision.note.strip():
            raise InvalidInput("note_required")
        if reviewer_id in (previous.get("escalated_by"), previous.get("override_by")):
            raise FourEyes("four eyes: the senior of the first judgement cannot decide")
        if not previous.get("override_by"):
            return await _propose_override(tx, reviewer_id, row, previous, decision.note)
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
        {**previous, "approved_by": reviewer_id, "note": decision.note, "override": override},
    )
    detail: dict[str, Any] = {"redactions": len(spans), "categories": ",".join(categories)}
    if removed_photo is not None:
        detail["photo_removed"] = removed_photo.value
    sets: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "body_enc": body,
        "sealed_enc": sealed,
        "decision_enc": blob,
    }
    if removed_photo is not None:
        sets["photo_enc"] = None  # never printed, never sent: the photo is destroyed
    await transition(
        tx,
        message_id=message_id,
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
            obj=message_id,
            detail={"first": previous["override_by"], "second": reviewer_id},
        )
    if row["channel"] == "digital" or row["kind"] == MessageKind.REPLY:
        withheld = removed_photo.value if removed_photo is not None else None
        await deliver_in_chat(tx, row, text, spans, photo_removed=withheld)
        return MessageState.DELIVERED
    return MessageState.APPROVED


async def _propose_override(
    tx: Tx, senior_id: str, row: Any, previous: dict[str, Any], note: str
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
        await audit.append(
            tx, actor=senior_id, action="message.override_proposed", obj=message_id
        )
    reference = await tx.open_for(row["family_id"], "messages", "ref", message_id, row["ref_enc"])
    await alerts.escalation_in(tx, row, reference.decode(), by=senior_id)
    return MessageState.ESCALATED


# -- additions for the staff bot: lease renewal, typed redactions, release, photos ----------


@roles.audits_refusals
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


@roles.audits_refusals
async def judge_photo(
    store: Store, *, reviewer_id: str | None, message_id: str, reason: PhotoReason | None
) -> ReviewItem:
    """Keep a held message's photo (``reason`` None) or remove it for ``reason``."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="photo")
        row = await _held(tx, reviewer_id, message_id)
        if row["photo_enc"] is None:
            raise InvalidInput("no_photo")
        verdict = KEEP if reason is None else reason.value
        await tx.execute(
            "UPDATE messages SET photo_verdict = ? WHERE id = ?", (verdict, message_id)
        )
        await audit.append(
            tx,
            actor=reviewer_id or "",
            action="message.photo",
            obj=message_id,
            detail={"verdict": verdict},
        )
        return await _item(tx, message_id)


@roles.audits_refusals
async def photo_for_review(store: Store, *, reviewer_id: str | None, message_id: str) -> bytes:
    """Return the photo of a message the reviewer holds (to show it with the card)."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="photo")
        row = await _held(tx, reviewer_id, message_id)
        if row["photo_enc"] is None:
            raise NotFound("photo")
        family = row["family_id"]
        return await tx.open_for(family, "messages", "photo", message_id, row["photo_enc"])
