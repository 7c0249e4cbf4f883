"""The review queue: who gets which message, held with a lease, and what the card shows.

Order: messages past their deadline first, then oldest first; a reviewer only gets messages
of the sites and languages their grants cover (a message nobody can read waits, visibly,
and is never dropped), and holding a message is checked against the grants again at every
step. Seniors get escalated messages first, never one they judged themselves. ``/next``
while holding a message hands back the one held. Decisions are in ``relay.review``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from relay import audit, policy, roles
from relay.clock import iso, parse_iso
from relay.errors import Conflict, InvalidInput, NotFound
from relay.findings import Finding, from_stored
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageKind, MessageState, Role
from relay.review_card import KEEP, CardDetails, PhotoReason, details_in
from relay.roles import Grant
from relay.store import Row, Store, Tx


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
    findings: list[Finding]
    lease_until: dt.datetime
    overdue: bool
    escalation_note: str = ""
    has_photo: bool = False
    due_at: dt.datetime | None = None
    details: CardDetails = field(default_factory=CardDetails)
    photo_verdict: str | None = None  # None: not judged; "keep"; or a PhotoReason
    override_note: str = ""  # a first senior's proposal to leave a blocking finding in
    written_lang: str | None = None  # detected at submit; None when unknown

    @property
    def photo_judged(self) -> bool:
        return not self.has_photo or self.photo_verdict is not None

    @property
    def proposed(self) -> list[tuple[int, int]]:
        """Spans the rules propose to redact."""
        return [(f.start, f.end) for f in self.findings if f.severity == "redact"]


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
        # The written language when detected at submit, else the family's interface language.
        clause = f"COALESCE(written_lang, lang) IN ({','.join('?' * len(g.languages))})"
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
    async with store.tx() as tx:  # not a read: it ends the leases that ran out
        await roles.require_in(tx, staff_id, Role.REVIEWER, action="queue")
        assert staff_id is not None
        sites = _site_scope(await roles.grants_in(tx, staff_id))
        await expire_leases(tx)
        rows = await tx.all(
            "SELECT site_code, lang, COUNT(*) AS n, MIN(submitted_at) AS oldest,"
            " SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue FROM messages"
            " WHERE state IN ('submitted', 'escalated') GROUP BY site_code, lang",
            (tx.now(),),
        )
        readers = await tx.all("SELECT * FROM roles WHERE role IN ('reviewer','senior')")
    grants = [roles.grant_of(r) for r in readers]
    return policy.queue_order(
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
    )


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
            return await item_in(tx, held["id"])
        scope, params = _scope_sql(grants)
        order = (
            f" AND ({scope}) ORDER BY CASE WHEN due_at < ? THEN 0 ELSE 1 END,"
            " submitted_at LIMIT 1 FOR UPDATE SKIP LOCKED"
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
                return await item_in(tx, row["id"])
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
        return await item_in(tx, row["id"])


async def item_in(tx: Tx, message_id: str) -> ReviewItem:
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
        findings=from_stored(findings),
        lease_until=parse_iso(row["lease_until"]),
        overdue=row["due_at"] is not None and row["due_at"] < tx.now(),
        escalation_note=note,
        has_photo=row["photo_enc"] is not None,
        due_at=parse_iso(row["due_at"]) if row["due_at"] else None,
        details=await details_in(tx, row),
        photo_verdict=row["photo_verdict"],
        override_note=override,
        written_lang=row["written_lang"],
    )


@roles.audits_refusals
async def current_item(store: Store, *, reviewer_id: str | None, message_id: str) -> ReviewItem:
    """Return a message the reviewer holds (to redraw it)."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="view")
        await held_in(tx, reviewer_id, message_id)
        return await item_in(tx, message_id)


async def held_in(tx: Tx, reviewer_id: str | None, message_id: str) -> Row:
    """Return a message the reviewer holds and whose site and language they still cover."""
    row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    if row is None or row["claimed_by"] != reviewer_id:
        raise Conflict("not your claim")
    if row["lease_until"] is None or row["lease_until"] < tx.now():
        raise Conflict("lease expired")
    assert reviewer_id is not None
    grants = await roles.grants_in(tx, reviewer_id)
    lang = row["written_lang"] or row["lang"]
    if not any(roles.covers(g, row["site_code"], lang) for g in grants):
        # The grant changed while the message was held: the decision is not theirs.
        raise roles.Refused(actor=reviewer_id, action="decide", needs="reviewer of the site")
    return row


@roles.audits_refusals
async def touch(
    store: Store, *, reviewer_id: str | None, message_id: str, lease_s: int
) -> ReviewItem:
    """Renew the lease of a message the reviewer holds (they are working on it); return it."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="view")
        await held_in(tx, reviewer_id, message_id)
        until = iso(tx.clock.now() + dt.timedelta(seconds=lease_s))
        await tx.execute("UPDATE messages SET lease_until = ? WHERE id = ?", (until, message_id))
        return await item_in(tx, message_id)


@roles.audits_refusals
async def judge_photo(
    store: Store, *, reviewer_id: str | None, message_id: str, reason: PhotoReason | None
) -> ReviewItem:
    """Keep a held message's photo (``reason`` None) or remove it for ``reason``."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="photo")
        row = await held_in(tx, reviewer_id, message_id)
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
        return await item_in(tx, message_id)


@roles.audits_refusals
async def photo_for_review(store: Store, *, reviewer_id: str | None, message_id: str) -> bytes:
    """Return the photo of a message the reviewer holds (to show it with the card)."""
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="photo")
        row = await held_in(tx, reviewer_id, message_id)
        if row["photo_enc"] is None:
            raise NotFound("photo")
        family = row["family_id"]
        return await tx.open_for(family, "messages", "photo", message_id, row["photo_enc"])
