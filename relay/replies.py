"""Replies brought back by delegates, and held messages claimed by released detainees.

A reply is a message of kind REPLY attached to the family of the original: its photo and
transcription are sealed under that family's key and it goes through review like any
message; relay.review delivers it to the family's chat once approved. A reply carries its
original's reference (sealed), so the family reads "a reply to your message RCM-..."; its
unique reference index is derived from its own id and is never typed by anybody.

A message that could not be handed over because the addressee was released is held; the
released person may claim it (``relay.claims``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from relay import policy
from relay.clock import iso
from relay.delegates import require_delegate
from relay.errors import InvalidInput, NotAllowed, NotFound
from relay.findings import Checker, Finding, count_blocking, to_stored, typed
from relay.lifecycle import Action, transition
from relay.messages import MAX_PHOTO_BYTES
from relay.models import MessageState, Site
from relay.reference import parse_reference
from relay.store import Row, Store, Tx
from relay.text_input import clean_text


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
    canonical, text = _checked_input(reference, photo, transcription)
    async with store.tx() as tx:
        original = await _original_in(tx, delegate_id, canonical)
        state = MessageState(original["state"])
        submit_key = policy.reply_submit_key(original["id"], photo, text)
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
        await _insert_reply(
            tx,
            reply_id,
            original,
            lang=reply_lang,
            blocking=count_blocking(found),
            submit_key=submit_key,
            now=now,
            review_days=site.review_days if site else 14,
        )
        await _seal_reply(tx, family, reply_id, canonical, text, typed(found), photo)
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


def _checked_input(
    reference: str, photo: bytes | None, transcription: str | None
) -> tuple[str, str]:
    """Return the canonical reference and the cleaned transcription; refuse bad input."""
    canonical = parse_reference(reference)
    if canonical is None:
        raise InvalidInput("bad_reference")
    text = clean_text(transcription) if transcription and transcription.strip() else ""
    if photo is None and not text:
        raise InvalidInput("empty", "reply")
    if photo is not None and len(photo) > MAX_PHOTO_BYTES:
        raise InvalidInput("photo_too_large", limit=MAX_PHOTO_BYTES)
    return canonical, text


async def _original_in(tx: Tx, delegate_id: str, canonical: str) -> Row:
    """Return the printed or delivered message a delegate of its site brings a reply to."""
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
    if original["state"] not in (MessageState.PRINTED, MessageState.DELIVERED):
        raise InvalidInput("not_printed")
    return original


async def _insert_reply(
    tx: Tx,
    reply_id: str,
    original: Row,
    *,
    lang: str,
    blocking: int,
    submit_key: str,
    now: dt.datetime,
    review_days: int,
) -> None:
    """Insert the reply's row, as a draft with its sealed fields still empty."""
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
            original["family_id"],
            original["addressee_id"],
            original["site_code"],
            lang,
            blocking,
            submit_key,
            iso(now + dt.timedelta(days=review_days)),
            iso(now),
            iso(now),
            iso(now),
        ),
    )


async def _seal_reply(
    tx: Tx,
    family: str,
    reply_id: str,
    reference: str,
    text: str,
    findings: list[Finding],
    photo: bytes | None,
) -> None:
    blobs = (
        await tx.seal_for(family, "messages", "ref", reply_id, reference),
        await tx.seal_for(family, "messages", "body", reply_id, {"text": text, "redactions": []}),
        await tx.seal_for(family, "messages", "findings", reply_id, to_stored(findings)),
        await tx.seal_for(family, "messages", "photo", reply_id, photo) if photo else None,
    )
    await tx.execute(
        "UPDATE messages SET ref_enc = ?, body_enc = ?, findings_enc = ?, photo_enc = ?"
        " WHERE id = ?",
        (*blobs, reply_id),
    )
