"""Replies brought back by delegates, and held messages claimed by released detainees.

A reply is a message of kind REPLY attached to the family of the original: its photo and
transcription are sealed under that family's key and it goes through review like any
message; relay.review delivers it to the family's chat once approved. A reply carries its
original's reference (sealed), so the family reads "a reply to your message RCM-..."; its
unique reference index is derived from its own id and is never typed by anybody.

A message that could not be handed over because the addressee was released is held. The
released person may ask for it in the bot (``open_claim``); two different staff members must
confirm their identity (``confirm_claim``, four eyes) before it is delivered in their chat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relay import audit, outbox, people, roles
from relay.calendars import parse_date
from relay.chat_delivery import redacted
from relay.clock import iso
from relay.delivery import require_delegate
from relay.errors import Conflict, InvalidInput, NotAllowed, NotFound
from relay.findings import Checker, as_dicts, count_blocking
from relay.lifecycle import Action, transition
from relay.messages import MAX_PHOTO_BYTES, message_text_in
from relay.models import MessageState, Role, Site
from relay.reference import parse_reference
from relay.store import Store, Tx
from relay.text_input import clean_name, clean_text

STAFF_ROLES = frozenset({Role.REVIEWER, Role.SENIOR, Role.ADMIN})
CONFIRMATIONS_NEEDED = 2


@dataclass(frozen=True, slots=True)
class ReplyReceived:
    reply_id: str
    reference: str  # the original message's reference
    created: bool  # False when the same photo and transcription were seen before


async def receive_reply(
    store: Store,
    *,
    delegate_id: str,
    reference: str,
    photo: bytes | None,
    transcription: str | None,
    checker: Checker,
    sites: Mapping[str, Site],
    lang: str | None = None,
) -> ReplyReceived:
    """Attach a reply (photo and/or transcription) to a printed message; submit it for review.

    An unknown reference and a reference of another site get the same NotFound. The original
    must be printed or delivered; if it was still printed, the reply is the proof it arrived
    and it is recorded as handed over today.
    """
    canonical = parse_reference(reference)
    if canonical is None:
        raise InvalidInput("bad_reference")
    text = clean_text(transcription) if transcription and transcription.strip() else ""
    if photo is None and not text:
        raise InvalidInput("empty", "reply")
    if photo is not None and len(photo) > MAX_PHOTO_BYTES:
        raise InvalidInput("photo_too_large", limit=MAX_PHOTO_BYTES)
    async with store.tx() as tx:
        await require_delegate(tx, delegate_id, None, action="reply")
        original = await tx.one(
            "SELECT * FROM messages WHERE ref_index = ? AND kind = 'message'",
            (tx.keys.blind_index("ref", canonical),),
        )
        if original is None:
            raise NotFound("message")
        try:
            await require_delegate(tx, delegate_id, original["site_code"], action="reply")
        except NotAllowed:
            raise NotFound("message") from None
        state = MessageState(original["state"])
        if state not in (MessageState.PRINTED, MessageState.DELIVERED):
            raise InvalidInput("not_printed")
        digest = hashlib.sha256(
            original["id"].encode() + b"\0" + (photo or b"") + b"\0" + text.encode()
        ).hexdigest()
        submit_key = f"reply:{digest[:32]}"
        seen = await tx.one("SELECT id FROM messages WHERE submit_key = ?", (submit_key,))
        if seen is not None:
            return ReplyReceived(seen["id"], canonical, created=False)
        family = original["family_id"]
        site = sites.get(original["site_code"])
        person = await tx.one("SELECT lang FROM people WHERE id = ?", (family,))
        reply_lang = lang or (person["lang"] if person else original["lang"])
        found = (
            checker.check(
                text,
                lang=reply_lang,
                site_code=original["site_code"],
                word_limit=site.word_limit if site else None,
            )
            if text
            else []
        )
        reply_id = "m_" + secrets.token_hex(8)
        now = tx.clock.now()
        review_days = site.review_days if site else 14
        await tx.execute(
            "INSERT INTO messages(id, ref_index, ref_enc, kind, parent_id, family_id,"
            " addressee_id, site_code, lang, channel, state, body_enc, findings_enc,"
            " block_count, submit_key, due_at, submitted_at, created_at, updated_at)"
            " VALUES (?, ?, x'', 'reply', ?, ?, ?, ?, ?, 'paper', 'draft', x'', x'', ?, ?, ?,"
            " ?, ?, ?)",
            (
                reply_id,
                tx.keys.blind_index("reply-ref", reply_id),
                original["id"],
                family,
                original["addressee_id"],
                original["site_code"],
                reply_lang,
                count_blocking(found),
                submit_key,
                iso(now + dt.timedelta(days=review_days)),
                iso(now),
                iso(now),
                iso(now),
            ),
        )
        await _seal_reply(tx, family, reply_id, canonical, text, as_dicts(found), photo)
        if state == MessageState.PRINTED:
            await transition(
                tx,
                message_id=original["id"],
                to=MessageState.DELIVERED,
                action=Action.HANDED_OVER,
                actor=delegate_id,
                detail={"date": now.date().isoformat(), "by": "reply"},
            )
        await transition(
            tx,
            message_id=reply_id,
            to=MessageState.SUBMITTED,
            action=Action.SUBMIT,
            actor=delegate_id,
            detail={"parent": original["id"], "photo": photo is not None, "findings": len(found)},
            notify=False,
        )
    return ReplyReceived(reply_id, canonical, created=True)


async def _seal_reply(
    tx: Tx,
    family: str,
    reply_id: str,
    reference: str,
    text: str,
    findings: list[dict[str, Any]],
    photo: bytes | None,
) -> None:
    blobs = (
        await tx.seal_for(family, "messages", "ref", reply_id, reference),
        await tx.seal_for(family, "messages", "body", reply_id, {"text": text, "redactions": []}),
        await tx.seal_for(family, "messages", "findings", reply_id, findings),
        await tx.seal_for(family, "messages", "photo", reply_id, photo) if photo else None,
    )
    await tx.execute(
        "UPDATE messages SET ref_enc = ?, body_enc = ?, findings_enc = ?, photo_enc = ?"
        " WHERE id = ?",
        (*blobs, reply_id),
    )


# -- claims by released detainees ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimResult:
    claim_id: str
    state: str  # "open" (waiting for a second confirmation) or "confirmed"
    confirmations: int
    delivered: int  # held messages delivered in the claimant's chat


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

    The answer never says whether anything is held: staff check the identity first.
    """
    name = clean_name(full_name, field="claim_name")
    if not (detainee_number and detainee_number.strip()) and not (birth_date or "").strip():
        raise InvalidInput("claim_needs_number_or_birth_date")
    if birth_date and birth_date.strip():
        # Stored birth dates are ISO: read the claimant's as the family's was read (any
        # calendar or digits), so that 25.12.1980 and ۱۳۵۹/۱۰/۰۴ find 1980-12-25.
        birth_date = parse_date(birth_date, store.clock.now().date()).iso
    claim_id = "c_" + secrets.token_hex(4)
    async with store.tx() as tx:
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
    return claim_id


async def _held_for(tx: Tx, claim: Any, data: dict[str, Any]) -> list[Any]:
    """Return the held (undeliverable, released) messages whose addressee is the claimant."""
    rows = await tx.all(
        "SELECT m.*, a.detainee_index AS ad_index, a.data_enc AS ad_data FROM messages m"
        " JOIN addressees a ON a.id = m.addressee_id"
        " WHERE m.state = 'undeliverable' AND m.kind = 'message'"
    )
    wanted = _norm_name(data["name"])
    held: list[Any] = []
    for row in rows:
        last = await tx.one(
            "SELECT detail FROM events WHERE message_id = ? ORDER BY seq DESC LIMIT 1",
            (row["id"],),
        )
        if last is None or json.loads(last["detail"]).get("reason") != "released":
            continue
        if data.get("number") and row["ad_index"] != claim["detainee_index"]:
            continue
        ad = await tx.open_json_for(
            row["family_id"], "addressees", "data", row["addressee_id"], row["ad_data"]
        )
        names = {_norm_name(ad.get("full_name") or ""), _norm_name(ad.get("latin_name") or "")}
        if wanted not in names:
            continue
        if not data.get("number") and (ad.get("birth_date") or "") != data.get("birth_date"):
            continue
        held.append(row)
    return held


async def confirm_claim(store: Store, *, staff_id: str, claim_id: str) -> ClaimResult:
    """Confirm a claimant's identity; at the second different staff member, deliver."""
    async with store.tx() as tx:
        grants = await roles.grants_in(tx, staff_id)
        if not any(g.role in STAFF_ROLES for g in grants):
            await audit.append(
                tx, actor=staff_id, action="refused", obj="confirm_claim", detail={}
            )
            raise NotAllowed("confirm_claim needs a reviewer, senior or admin")
        claim = await tx.one("SELECT * FROM claims WHERE id = ?", (claim_id,))
        if claim is None:
            raise NotFound("claim")
        if claim["state"] != "open":
            raise Conflict("claim already settled")
        if claim["person_id"] == staff_id:
            raise NotAllowed("four eyes: nobody confirms their own claim")
        done = [x for x in claim["confirmations"].split(",") if x]
        if staff_id in done:
            raise Conflict("four eyes: the same staff member cannot confirm twice")
        done.append(staff_id)
        state = "confirmed" if len(done) >= CONFIRMATIONS_NEEDED else "open"
        await tx.execute(
            "UPDATE claims SET confirmations = ?, state = ? WHERE id = ?",
            (",".join(done), state, claim_id),
        )
        await audit.append(
            tx,
            actor=staff_id,
            action="claim.confirm",
            obj=claim_id,
            detail={"confirmations": len(done), "state": state},
        )
        delivered = 0
        if state == "confirmed":
            delivered = await _deliver_held(tx, staff_id, claim)
        return ClaimResult(claim_id, state, len(done), delivered)


async def _deliver_held(tx: Tx, staff_id: str, claim: Any) -> int:
    data = await tx.open_json_for(
        claim["person_id"], "claims", "data", claim["id"], claim["data_enc"]
    )
    held = await _held_for(tx, claim, data)
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
            {
                "type": "digital",
                "message_id": row["id"],
                "reference": reference,
                "text": redacted(text, spans),
                "sender": profile.full_name if profile else "",
            },
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


async def open_claims(store: Store, *, staff_id: str) -> list[tuple[str, int, str]]:
    """Return open claims as (id, confirmations so far, opened at) for staff."""
    async with store.tx() as tx:
        grants = await roles.grants_in(tx, staff_id)
        if not any(g.role in STAFF_ROLES for g in grants):
            raise NotAllowed("claims needs staff")
        rows = await tx.all(
            "SELECT id, confirmations, created_at FROM claims WHERE state = 'open'"
            " ORDER BY created_at"
        )
    return [
        (r["id"], len([x for x in r["confirmations"].split(",") if x]), r["created_at"])
        for r in rows
    ]
