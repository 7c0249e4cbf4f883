"""The family side of the domain: submitting, resubmitting, cancelling, status."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from relay import audit, inbox, langdetect, links
from relay.addressees import NewAddressee, add_addressee, addressee_in, addressees
from relay.clock import iso, parse_iso
from relay.errors import InvalidInput, NotFound, RateLimited
from relay.findings import Checker, Finding, count_blocking, to_stored, typed
from relay.lifecycle import Action, transition
from relay.models import (
    Channel,
    MessageKind,
    MessageState,
    MessageView,
    Site,
    TimelineEvent,
)
from relay.reference import new_reference, parse_reference
from relay.roles import LANG_CODES
from relay.store import Row, Store, Tx
from relay.text_input import clean_text

MAX_PHOTO_BYTES = 5 * 1024 * 1024

# The addressees were first written here; their callers still find them here.
__all__ = ["NewAddressee", "add_addressee", "addressee_in", "addressees"]


@dataclass(frozen=True, slots=True)
class Submitted:
    message_id: str
    reference: str
    created: bool  # False when the same submission was seen before (double tap, replay)
    findings: list[Finding]


async def _count_today(tx: Tx, person_id: str, name: str, limit: int) -> None:
    day = tx.clock.now().date().isoformat()
    row = await tx.one(
        "SELECT count FROM counters WHERE person_id = ? AND name = ? AND window = ?",
        (person_id, name, day),
    )
    count = row["count"] if row else 0
    if count >= limit:
        now = tx.clock.now()
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        raise RateLimited(name, (tomorrow - now).total_seconds())
    await tx.execute(
        "INSERT INTO counters(person_id, name, window, count) VALUES (?, ?, ?, 1)"
        " ON CONFLICT(person_id, name, window) DO UPDATE SET count = counters.count + 1",
        (person_id, name, day),
    )


async def submit(
    store: Store,
    *,
    person_id: str,
    addressee_id: str,
    text: str,
    lang: str,
    submit_key: str,
    checker: Checker,
    sites: Mapping[str, Site],
    photo: bytes | None = None,
    per_day: int = 10,
) -> Submitted:
    """Submit a new message; the same ``submit_key`` never makes a second message."""
    body = clean_text(text)
    if photo is not None and len(photo) > MAX_PHOTO_BYTES:
        raise InvalidInput("photo_too_large", limit=MAX_PHOTO_BYTES)
    written = written_lang(body)
    async with store.tx() as tx:
        seen = await tx.one(
            "SELECT id, ref_enc FROM messages WHERE submit_key = ? AND family_id = ?",
            (submit_key, person_id),
        )
        if seen is not None:
            ref = await tx.open_for(person_id, "messages", "ref", seen["id"], seen["ref_enc"])
            return Submitted(seen["id"], ref.decode(), created=False, findings=[])
        addressee = await addressee_in(tx, person_id, addressee_id)
        site = sites.get(addressee.site_code)
        if addressee.linked_person_id is not None:
            if not await links.is_linked_in(tx, person_id, addressee.linked_person_id):
                raise NotFound("addressee")
            site = links.CHAT_SITE
        if site is None:
            raise NotFound("site")
        await _count_today(tx, person_id, "submit", per_day)
        found = checker.check(body, lang=lang, site_code=site.code, word_limit=site.word_limit)
        findings = typed(found)
        message_id = "m_" + secrets.token_hex(8)
        reference = await _unused_reference(tx)
        channel = Channel.DIGITAL if addressee.linked_person_id else Channel.PAPER
        now = tx.clock.now()
        await tx.execute(
            "INSERT INTO messages(id, ref_index, ref_enc, kind, family_id, addressee_id,"
            " site_code, lang, channel, state, body_enc, photo_enc, findings_enc, block_count,"
            " submit_key, due_at, submitted_at, created_at, updated_at)"
            " VALUES (?, ?, x'', 'message', ?, ?, ?, ?, ?, 'draft', x'', NULL, x'', ?, ?, ?,"
            " ?, ?, ?)",
            (
                message_id,
                tx.keys.blind_index("ref", reference),
                person_id,
                addressee_id,
                site.code,
                lang,
                channel.value,
                count_blocking(found),
                submit_key,
                iso(now + dt.timedelta(days=site.review_days)),
                iso(now),
                iso(now),
                iso(now),
            ),
        )
        await tx.execute(
            "UPDATE messages SET written_lang = ? WHERE id = ?", (written, message_id)
        )
        await _seal_message(tx, person_id, message_id, reference, body, findings, photo)
        await transition(
            tx,
            message_id=message_id,
            to=MessageState.SUBMITTED,
            action=Action.SUBMIT,
            actor=person_id,
            detail={"site": site.code, "lang": lang, "findings": len(findings)},
        )
    return Submitted(message_id, reference, created=True, findings=findings)


def written_lang(text: str) -> str | None:
    """Return the language ``text`` is written in, if detected and a reviewer can read it.

    None while the model loads (the first seconds of a process; see langdetect).
    """
    lang = langdetect.detect_if_ready(text)
    return lang if lang in LANG_CODES else None


async def _unused_reference(tx: Tx) -> str:
    while True:
        reference = new_reference()
        taken = await tx.one(
            "SELECT 1 FROM messages WHERE ref_index = ?", (tx.keys.blind_index("ref", reference),)
        )
        if taken is None:
            return reference


async def _seal_message(
    tx: Tx,
    owner: str,
    message_id: str,
    reference: str,
    text: str,
    findings: list[Finding],
    photo: bytes | None,
) -> None:
    ref_blob = await tx.seal_for(owner, "messages", "ref", message_id, reference)
    body_blob = await tx.seal_for(
        owner, "messages", "body", message_id, {"text": text, "redactions": []}
    )
    findings_blob = await tx.seal_for(
        owner, "messages", "findings", message_id, to_stored(findings)
    )
    photo_blob = (
        await tx.seal_for(owner, "messages", "photo", message_id, photo) if photo else None
    )
    await tx.execute(
        "UPDATE messages SET ref_enc = ?, body_enc = ?, findings_enc = ?, photo_enc = ?"
        " WHERE id = ?",
        (ref_blob, body_blob, findings_blob, photo_blob, message_id),
    )


async def owned_message(tx: Tx, person_id: str, message_id: str) -> Row:
    """Return the row of a message of this family (NotFound for anybody else's)."""
    row = await tx.one(
        "SELECT * FROM messages WHERE id = ? AND family_id = ?", (message_id, person_id)
    )
    if row is None:
        raise NotFound("message")
    return row


async def find_reference(store: Store, person_id: str, typed: str) -> str:
    """Return the id of this family's message with the typed reference."""
    reference = parse_reference(typed)
    if reference is None:
        raise InvalidInput("bad_reference")
    async with store.read() as tx:
        row = await tx.one(
            "SELECT id FROM messages WHERE ref_index = ? AND family_id = ?",
            (tx.keys.blind_index("ref", reference), person_id),
        )
    if row is None:
        raise NotFound("message")
    return str(row["id"])


async def resubmit(
    store: Store,
    *,
    person_id: str,
    message_id: str,
    text: str,
    checker: Checker,
    sites: Mapping[str, Site],
) -> Submitted:
    """Send a returned message again with new text."""
    body = clean_text(text)
    written = written_lang(body)
    async with store.tx() as tx:
        row = await owned_message(tx, person_id, message_id)
        if row["state"] == MessageState.SUBMITTED and row["version"] > 1:
            ref = await tx.open_for(person_id, "messages", "ref", message_id, row["ref_enc"])
            return Submitted(message_id, ref.decode(), created=False, findings=[])
        site = sites.get(row["site_code"]) or links.CHAT_SITE
        found = checker.check(
            body, lang=row["lang"], site_code=site.code, word_limit=site.word_limit
        )
        findings = typed(found)
        reference = (
            await tx.open_for(person_id, "messages", "ref", message_id, row["ref_enc"])
        ).decode()
        now = tx.clock.now()
        await transition(
            tx,
            message_id=message_id,
            to=MessageState.SUBMITTED,
            action=Action.RESUBMIT,
            actor=person_id,
            detail={"version": row["version"] + 1, "findings": len(findings)},
            sets={
                "version": row["version"] + 1,
                "block_count": count_blocking(found),
                "submitted_at": iso(now),
                "due_at": iso(now + dt.timedelta(days=site.review_days)),
                "decision_enc": None,
                "written_lang": written,  # the new text may be in another language
            },
        )
        # The photo travels on with the new text, sealed again at the message's new version
        # (the old blob written back would no longer open once the version moved on).
        photo = None
        if row["photo_enc"] is not None:
            photo = await tx.open_for(person_id, "messages", "photo", message_id, row["photo_enc"])
        await _seal_message(tx, person_id, message_id, reference, body, findings, photo)
    return Submitted(message_id, reference, created=True, findings=findings)


async def cancel(store: Store, *, person_id: str, message_id: str) -> None:
    """Withdraw a message that has not been printed yet."""
    async with store.tx() as tx:
        await owned_message(tx, person_id, message_id)
        await transition(
            tx,
            message_id=message_id,
            to=MessageState.CANCELLED,
            action=Action.CANCEL,
            actor=person_id,
            sets={"claimed_by": None, "lease_until": None},
            notify=False,
        )


async def message_text_in(tx: Tx, row: Row) -> tuple[str, list[tuple[int, int]]]:
    """Return a message's text and its redaction spans."""
    data = await tx.open_json_for(row["family_id"], "messages", "body", row["id"], row["body_enc"])
    return str(data["text"]), [(int(a), int(b)) for a, b in data.get("redactions", [])]


async def readers_of(tx: Tx, lang: str) -> int:
    """Return how many reviewers read ``lang``."""
    rows = await tx.all("SELECT languages FROM roles WHERE role IN ('reviewer', 'senior')")
    return sum(1 for r in rows if lang in r["languages"].split(","))


async def list_for(store: Store, person_id: str, *, limit: int = 10) -> list[MessageView]:
    """Return the family's latest messages with their timelines."""
    views: list[MessageView] = []
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT * FROM messages WHERE family_id = ? ORDER BY created_at DESC LIMIT ?",
            (person_id, limit),
        )
        await tx.preload_keys([row["id"] for row in rows])
        names: dict[str, str] = {}
        readers: dict[str, int] = {}
        for row in rows:
            ref = await tx.open_for(person_id, "messages", "ref", row["id"], row["ref_enc"])
            name = ""
            if row["addressee_id"]:
                if row["addressee_id"] not in names:
                    found = await addressee_in(tx, person_id, row["addressee_id"])
                    names[row["addressee_id"]] = found.full_name
                name = names[row["addressee_id"]]
            if row["lang"] not in readers:
                readers[row["lang"]] = await readers_of(tx, row["lang"])
            events = await tx.all(
                "SELECT at, state, detail FROM events WHERE message_id = ? ORDER BY seq",
                (row["id"],),
            )
            state = MessageState(row["state"])
            views.append(
                MessageView(
                    id=row["id"],
                    reference=ref.decode(),
                    kind=MessageKind(row["kind"]),
                    state=state,
                    site_code=row["site_code"],
                    addressee_name=name,
                    created_at=parse_iso(row["created_at"]),
                    timeline=tuple(
                        TimelineEvent(
                            parse_iso(e["at"]), MessageState(e["state"]), json.loads(e["detail"])
                        )
                        for e in events
                    ),
                    channel=Channel(row["channel"]),
                    lang=row["lang"],
                    waiting_for_reader=state == MessageState.SUBMITTED
                    and readers[row["lang"]] == 0,
                )
            )
    return views


async def forget(store: Store, person_id: str) -> int:
    """Erase a family: destroy its data key and delete its rows; return messages printed."""
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT COUNT(*) AS n FROM messages WHERE family_id = ? AND state IN"
            " ('printed', 'delivered', 'undeliverable') AND kind = 'message'",
            (person_id,),
        )
        printed = int(row["n"]) if row else 0
        for message in await tx.all("SELECT id FROM messages WHERE family_id = ?", (person_id,)):
            await tx.destroy_family_key(message["id"])
        person = await tx.one("SELECT channel_index FROM people WHERE id = ?", (person_id,))
        if person is not None:  # its input still waiting in the inbox goes with it
            await inbox.erase_sender(tx, person["channel_index"])
        await tx.destroy_family_key(person_id)
        await tx.execute("DELETE FROM people WHERE id = ?", (person_id,))
        await audit.append(
            tx, actor=person_id, action="person.forget", obj=person_id, detail={"printed": printed}
        )
    return printed


async def photo_of(store: Store, message_id: str) -> bytes | None:
    """Return the photo attached to a message or reply, if any."""
    async with store.tx() as tx:
        row = await tx.one("SELECT family_id, photo_enc FROM messages WHERE id = ?", (message_id,))
        if row is None or row["photo_enc"] is None:
            return None
        return await tx.open_for(
            row["family_id"], "messages", "photo", message_id, row["photo_enc"]
        )
