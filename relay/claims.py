"""Held messages claimed by released detainees, confirmed by two different staff members.

A message that could not be handed over because the addressee was released is held. The
released person asks for it in the bot (``open_claim``, one open claim per person); admins
are alerted. A staff member opens the claim (``claim_details``): what the claimant gave
(name, detainee number or date of birth) next to the candidate held messages (addressee's
names, number, date of birth, site), so that nobody confirms blind. They record what they
checked (a document seen, questions asked) and confirm or refuse; at the second
confirmation by a different staff member the matching messages are delivered in the
claimant's chat. Every step is audited with the checks made, never the personal data.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from relay import alerts, audit, outbox, people, roles
from relay.calendars import parse_date
from relay.chat_delivery import redacted
from relay.errors import Conflict, InvalidInput, NotAllowed, NotFound
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageState, Role
from relay.notices import DigitalMessage
from relay.store import Row, Store, Tx
from relay.text_input import clean_name

CONFIRMATIONS_NEEDED = 2


class Check(StrEnum):
    """What a confirming staff member checked."""

    DOCUMENT = "document"  # an identity or release document was seen
    QUESTIONS = "questions"  # questions only the person could answer were asked


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claim_id: str
    state: str  # "open" (waiting for a second confirmation), "confirmed" or "refused"
    confirmations: int
    delivered: int  # held messages delivered in the claimant's chat


@dataclass(frozen=True, slots=True)
class Candidate:
    """A held message that may be the claimant's: what its sender wrote about the addressee."""

    reference: str
    site_code: str
    full_name: str
    latin_name: str
    detainee_number: str
    birth_date: str
    matches: bool  # the name and the number (or date of birth) agree: it would be delivered


@dataclass(frozen=True, slots=True)
class ClaimDetails:
    claim_id: str
    state: str
    full_name: str
    detainee_number: str
    birth_date: str
    created_at: str
    confirmations: int
    confirmed_by_me: bool
    candidates: list[Candidate]


def _norm_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _norm_number(number: str) -> str:
    return "".join(number.split()).upper()


def _claim_index(tx: Tx, number: str | None, birth_date: str | None) -> bytes:
    if number:
        # The same blind index as addressees.detainee_index (relay.messages).
        return tx.keys.blind_index("detainee", _norm_number(number))
    return tx.keys.blind_index("claim-birth", (birth_date or "").strip())


async def open_claim(
    store: Store,
    *,
    person_id: str,
    full_name: str,
    detainee_number: str | None = None,
    birth_date: str | None = None,
) -> str:
    """Record a released person's request for the messages held for them; return its id.

    The answer never says whether anything is held: staff check the identity first. A
    person has one open claim at a time (asking again returns it).
    """
    name = clean_name(full_name, field="claim_name")
    if not (detainee_number and detainee_number.strip()) and not (birth_date or "").strip():
        raise InvalidInput("claim_needs_number_or_birth_date")
    if birth_date and birth_date.strip():
        # Stored birth dates are ISO: read the claimant's as the family's was read (any
        # calendar or digits), so that 25.12.1980 and ۱۳۵۹/۱۰/۰۴ find 1980-12-25.
        birth_date = parse_date(birth_date, store.clock.now().date()).iso
    async with store.tx() as tx:
        existing = await tx.one(
            "SELECT id FROM claims WHERE person_id = ? AND state = 'open'", (person_id,)
        )
        if existing is not None:
            return str(existing["id"])
        claim_id = "c_" + secrets.token_hex(4)
        index = _claim_index(tx, detainee_number, birth_date)
        # The name and birth date are kept sealed under the claimant's own key, for matching.
        blob = await tx.seal_for(
            person_id,
            "claims",
            "data",
            claim_id,
            {"name": name, "number": detainee_number, "birth_date": birth_date},
        )
        await tx.execute(
            "INSERT INTO claims(id, person_id, detainee_index, confirmations, state, created_at,"
            " data_enc) VALUES (?, ?, ?, '', 'open', ?, ?)",
            (claim_id, person_id, index, tx.now(), blob),
        )
        await audit.append(tx, actor=person_id, action="claim.open", obj=claim_id)
        await alerts.claim_in(tx, claim_id)
    return claim_id


async def _released_rows(tx: Tx) -> list[Row]:
    """Return held messages: undeliverable because the addressee was released."""
    rows = await tx.all(
        "SELECT m.*, a.detainee_index AS ad_index, a.data_enc AS ad_data FROM messages m"
        " JOIN addressees a ON a.id = m.addressee_id"
        " WHERE m.state = 'undeliverable' AND m.kind = 'message'"
    )
    held: list[Row] = []
    for row in rows:
        last = await tx.one(
            "SELECT detail FROM events WHERE message_id = ? ORDER BY seq DESC LIMIT 1",
            (row["id"],),
        )
        if last is not None and json.loads(last["detail"]).get("reason") == "released":
            held.append(row)
    return held


async def _addressee_data(tx: Tx, row: Row) -> dict[str, Any]:
    data: dict[str, Any] = await tx.open_json_for(
        row["family_id"], "addressees", "data", row["addressee_id"], row["ad_data"]
    )
    return data


def _matches(claim: Row, data: dict[str, Any], row: Row, ad: dict[str, Any]) -> bool:
    wanted = _norm_name(data["name"])
    names = {_norm_name(ad.get("full_name") or ""), _norm_name(ad.get("latin_name") or "")}
    if wanted not in names:
        return False
    if data.get("number"):
        return bool(row["ad_index"] == claim["detainee_index"])
    return (ad.get("birth_date") or "") == data.get("birth_date")


async def _candidates(tx: Tx, claim: Row, data: dict[str, Any]) -> list[tuple[Row, bool]]:
    """Return held messages that share the name, the number or the date of birth."""
    found: list[tuple[Row, bool]] = []
    wanted = _norm_name(data["name"])
    for row in await _released_rows(tx):
        ad = await _addressee_data(tx, row)
        names = {_norm_name(ad.get("full_name") or ""), _norm_name(ad.get("latin_name") or "")}
        same_number = bool(data.get("number")) and row["ad_index"] == claim["detainee_index"]
        same_birth = bool(data.get("birth_date")) and ad.get("birth_date") == data["birth_date"]
        if wanted in names or same_number or same_birth:
            found.append((row, _matches(claim, data, row, ad)))
    return found


async def _staff_claim(tx: Tx, staff_id: str | None, claim_id: str, action: str) -> Row:
    grants = await roles.grants_in(tx, staff_id) if staff_id else []
    if not any(g.role in roles.CONFIRMING for g in grants):
        raise roles.Refused(actor=staff_id, action=action, needs="reviewer,senior,admin")
    claim = await tx.one("SELECT * FROM claims WHERE id = ?", (claim_id,))
    if claim is None:
        raise NotFound("claim")
    return claim


async def _sites_of(tx: Tx, staff_id: str | None) -> frozenset[str] | None:
    """Return the sites whose held messages this staff member may see (None: every site).

    A grant limited to a site limits the claims' candidates too: a reviewer of BRV sees, and
    hands over, nothing held for ALP (names, numbers and dates of birth of other sites' people).
    """
    held = await roles.grants_in(tx, staff_id) if staff_id else []
    grants = [g for g in held if g.role in roles.CONFIRMING]
    if any(g.role == Role.ADMIN or not g.site_code for g in grants):
        return None
    return frozenset(g.site_code for g in grants)


@roles.audits_refusals
async def claim_details(store: Store, *, staff_id: str | None, claim_id: str) -> ClaimDetails:
    """Return a claim and its candidate held messages, for the staff who check it."""
    async with store.tx() as tx:
        claim = await _staff_claim(tx, staff_id, claim_id, "claim.view")
        done = [x for x in claim["confirmations"].split(",") if x]
        data: dict[str, Any] = {"name": "", "number": None, "birth_date": None}
        candidates: list[Candidate] = []
        if claim["data_enc"] is not None:
            data = await tx.open_json_for(
                claim["person_id"], "claims", "data", claim_id, claim["data_enc"]
            )
            sites = await _sites_of(tx, staff_id)
            for row, matches in await _candidates(tx, claim, data):
                if sites is not None and row["site_code"] not in sites:
                    continue
                ad = await _addressee_data(tx, row)
                family = row["family_id"]
                ref = await tx.open_for(family, "messages", "ref", row["id"], row["ref_enc"])
                candidates.append(
                    Candidate(
                        ref.decode(),
                        row["site_code"],
                        str(ad.get("full_name") or ""),
                        str(ad.get("latin_name") or ""),
                        str(ad.get("detainee_number") or ""),
                        str(ad.get("birth_date") or ""),
                        matches,
                    )
                )
        await audit.append(tx, actor=staff_id or "", action="claim.view", obj=claim_id)
    return ClaimDetails(
        claim_id,
        claim["state"],
        str(data.get("name") or ""),
        str(data.get("number") or ""),
        str(data.get("birth_date") or ""),
        claim["created_at"],
        len(done),
        staff_id in done,
        candidates,
    )


def _checks(checked: Collection[str]) -> str:
    codes = sorted({Check(c).value for c in checked if c in set(Check)})
    if not codes:
        raise InvalidInput("claim_unchecked")
    return ",".join(codes)


@roles.audits_refusals
async def confirm_claim(
    store: Store, *, staff_id: str, claim_id: str, checked: Collection[str]
) -> ClaimResult:
    """Confirm a claimant's identity; at the second different staff member, deliver."""
    async with store.tx() as tx:
        claim = await _staff_claim(tx, staff_id, claim_id, "confirm_claim")
        checks = _checks(checked)
        if claim["state"] != "open":
            raise Conflict("claim already settled")
        if claim["person_id"] == staff_id:
            raise NotAllowed("four eyes: nobody confirms their own claim")
        done = [x for x in claim["confirmations"].split(",") if x]
        if staff_id in done:
            raise Conflict("four eyes: the same staff member cannot confirm twice")
        await _require_every_site(tx, staff_id, claim)
        done.append(staff_id)
        state = "confirmed" if len(done) >= CONFIRMATIONS_NEEDED else "open"
        await tx.execute(
            "UPDATE claims SET confirmations = ?, state = ?, checks = ? WHERE id = ?",
            (",".join(done), state, _joined(claim["checks"], staff_id, checks), claim_id),
        )
        await audit.append(
            tx,
            actor=staff_id,
            action="claim.confirm",
            obj=claim_id,
            detail={"confirmations": len(done), "state": state, "checked": checks},
        )
        delivered = 0
        if state == "confirmed":
            delivered = await _deliver_held(tx, staff_id, claim)
        return ClaimResult(claim_id, state, len(done), delivered)


async def _require_every_site(tx: Tx, staff_id: str, claim: Any) -> None:
    """Refuse a confirmation that would hand over messages held at a site beyond the grant."""
    sites = await _sites_of(tx, staff_id)
    if sites is None or claim["data_enc"] is None:
        return
    beyond = sorted({row["site_code"] for row in await _matching(tx, claim)} - sites)
    if beyond:
        raise roles.Refused(
            actor=staff_id, action="confirm_claim", needs=f"staff of {','.join(beyond)}"
        )


def _joined(previous: str, staff_id: str, checks: str) -> str:
    return ";".join(x for x in (previous, f"{staff_id}:{checks}") if x)


@roles.audits_refusals
async def refuse_claim(
    store: Store, *, staff_id: str, claim_id: str, checked: Collection[str]
) -> ClaimResult:
    """Refuse a claim (the identity could not be confirmed); its sealed details are dropped."""
    async with store.tx() as tx:
        claim = await _staff_claim(tx, staff_id, claim_id, "refuse_claim")
        checks = _checks(checked)
        if claim["state"] != "open":
            raise Conflict("claim already settled")
        done = [x for x in claim["confirmations"].split(",") if x]
        await tx.execute(
            "UPDATE claims SET state = 'refused', data_enc = NULL, checks = ? WHERE id = ?",
            (_joined(claim["checks"], staff_id, checks), claim_id),
        )
        await audit.append(
            tx, actor=staff_id, action="claim.refuse", obj=claim_id, detail={"checked": checks}
        )
    return ClaimResult(claim_id, "refused", len(done), 0)


async def _matching(tx: Tx, claim: Row) -> list[Row]:
    """Return the held messages whose addressee agrees with the claim (handed over on it)."""
    data = await tx.open_json_for(
        claim["person_id"], "claims", "data", claim["id"], claim["data_enc"]
    )
    return [row for row, matches in await _candidates(tx, claim, data) if matches]


async def _deliver_held(tx: Tx, staff_id: str, claim: Row) -> int:
    held = await _matching(tx, claim)
    for row in held:
        family = row["family_id"]
        text, spans = await message_text_in(tx, row)
        reference = (
            await tx.open_for(family, "messages", "ref", row["id"], row["ref_enc"])
        ).decode()
        profile = await people.profile_in(tx, family)
        await outbox.enqueue(
            tx,
            claim["person_id"],
            DigitalMessage(
                message_id=row["id"],
                reference=reference,
                text=redacted(text, spans),
                sender=profile.full_name if profile else "",
            ),
        )
        await transition(
            tx,
            message_id=row["id"],
            to=MessageState.DELIVERED,
            action=Action.DELIVER_HELD,
            actor=staff_id,
            detail={"channel": "chat", "claim": claim["id"]},
        )
    # The sealed claim details are no longer needed once settled.
    await tx.execute("UPDATE claims SET data_enc = NULL WHERE id = ?", (claim["id"],))
    return len(held)


@roles.audits_refusals
async def open_claims(store: Store, *, staff_id: str | None) -> list[tuple[str, int, str]]:
    """Return open claims as (id, confirmations so far, opened at) for staff."""
    async with store.read() as tx:
        grants = await roles.grants_in(tx, staff_id) if staff_id else []
        if not any(g.role in roles.CONFIRMING for g in grants):
            raise roles.Refused(actor=staff_id, action="claims", needs="reviewer,senior,admin")
        rows = await tx.all(
            "SELECT id, confirmations, created_at FROM claims WHERE state = 'open'"
            " ORDER BY created_at"
        )
    return [
        (r["id"], len([x for x in r["confirmations"].split(",") if x]), r["created_at"])
        for r in rows
    ]
