"""What the delegate records after a visit: handed over, or why not; the checklist.

Every outcome is one transaction that moves the message and, through the life cycle, tells
the family via the outbox. A transfer to a known site re-queues the message for review under
the new site's rules and deadline.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from relay import roles
from relay.clock import iso
from relay.delegates import CLI_ACTOR, require_delegate
from relay.errors import InvalidInput, NotAllowed, NotFound, RelayError
from relay.lifecycle import Action, transition
from relay.models import MessageState, Site, Undeliverable
from relay.reference import parse_reference
from relay.store import Store, Tx
from relay.text_input import spreadsheet_safe


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    """One message of a batch on the delegate's hand-over checklist."""

    message_id: str
    reference: str
    latin_name: str
    detainee_number: str | None
    state: MessageState  # its state as far as this batch goes (see ``_in_batch``)
    outcome: str  # last recorded reason code or "" while printed
    moved_to: str = ""  # the site it was transferred to from this batch, if it was


@roles.audits_refusals
async def checklist(store: Store, *, actor_id: str, batch_id: str) -> list[ChecklistLine]:
    """Return the messages of a batch with their state, for the hand-over checklist."""
    async with store.tx() as tx:
        batch = await tx.one("SELECT site_code FROM batches WHERE id = ?", (batch_id,))
        site = batch["site_code"] if batch else ""
        await require_delegate(tx, actor_id, site, action="handover")
        if batch is None:
            raise NotFound("batch")
        rows = await tx.all(
            "SELECT m.* FROM batch_items b JOIN messages m ON m.id = b.message_id"
            " WHERE b.batch_id = ? ORDER BY b.position",
            (batch_id,),
        )
        lines: list[ChecklistLine] = []
        for row in rows:
            family = row["family_id"]
            ref = await tx.open_for(family, "messages", "ref", row["id"], row["ref_enc"])
            ad = await tx.one(
                "SELECT data_enc FROM addressees WHERE id = ?", (row["addressee_id"],)
            )
            data: dict[str, Any] = {}
            if ad is not None:
                data = await tx.open_json_for(
                    family, "addressees", "data", row["addressee_id"], ad["data_enc"]
                )
            events = await tx.all(
                "SELECT state, detail FROM events WHERE message_id = ? ORDER BY seq", (row["id"],)
            )
            state, detail = _in_batch(batch_id, MessageState(row["state"]), events)
            lines.append(
                ChecklistLine(
                    row["id"],
                    ref.decode(),
                    str(data.get("latin_name") or data.get("full_name") or ""),
                    data.get("detainee_number"),
                    state,
                    str(detail.get("reason", "")),
                    str(detail.get("to", "")),
                )
            )
    return lines


def _in_batch(
    batch_id: str, current: MessageState, events: Sequence[Any]
) -> tuple[MessageState, dict[str, Any]]:
    """Return what happened to a message in this batch: the outcome recorded after its print.

    A message transferred from this batch is re-queued (and may be printed again elsewhere):
    its current state says nothing of this batch, where it stays "transferred".
    """
    printed = [
        n
        for n, e in enumerate(events)
        if e["state"] == MessageState.PRINTED and json.loads(e["detail"]).get("batch") == batch_id
    ]
    if not printed:
        last = json.loads(events[-1]["detail"]) if events else {}
        return current, last
    after = events[printed[-1] + 1 : printed[-1] + 2]
    if not after:
        return MessageState.PRINTED, {}
    return MessageState(after[0]["state"]), json.loads(after[0]["detail"])


# -- hand-over records --------------------------------------------------------------------
class Outcome(StrEnum):
    """What the delegate records for a printed message (the manifest's outcome column)."""

    HANDED_OVER = "handed_over"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    UNKNOWN = "unknown"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Recorded:
    message_id: str
    reference: str
    state: MessageState  # where the message ended: delivered, undeliverable or submitted
    site_code: str


async def _find_message(
    tx: Tx, actor_id: str, reference: str | None, message_id: str | None
) -> Any:
    """Return a printed-or-later paper message the actor may act on; NotFound otherwise.

    Unknown and other-site references get the same answer: nothing is revealed.
    """
    await require_delegate(tx, actor_id, None, action="outcome")
    if message_id is not None:
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    else:
        canonical = parse_reference(reference or "")
        if canonical is None:
            raise InvalidInput("bad_reference")
        row = await tx.one(
            "SELECT * FROM messages WHERE ref_index = ?", (tx.keys.blind_index("ref", canonical),)
        )
    if row is None or row["kind"] != "message":
        raise NotFound("message")
    if actor_id != CLI_ACTOR:
        try:
            await require_delegate(tx, actor_id, row["site_code"], action="outcome")
        except NotAllowed:
            raise NotFound("message") from None
    return row


@roles.audits_refusals
async def record_outcome(
    store: Store,
    *,
    actor_id: str,
    reference: str | None = None,
    message_id: str | None = None,
    outcome: Outcome | str,
    transferred_to: str | None = None,
    when: dt.date | None = None,
    sites: Mapping[str, Site] | None = None,
) -> Recorded:
    """Record what happened to a printed message; the family is told through the outbox.

    Handed over -> DELIVERED (the date goes into the event detail). Released, transferred,
    unknown, refused -> UNDELIVERABLE with the reason code; transferred to a known site
    (in ``sites``) is then re-queued for review under the new site's rules and deadline.
    """
    try:
        what = Outcome(outcome)
    except ValueError:
        raise InvalidInput("bad_outcome", str(outcome)) from None
    new_site = (transferred_to or "").strip().upper() or None
    if new_site is not None and (what != Outcome.TRANSFERRED or new_site not in (sites or {})):
        raise InvalidInput("bad_site", new_site)
    async with store.tx() as tx:
        row = await _find_message(tx, actor_id, reference, message_id)
        ref = (
            await tx.open_for(row["family_id"], "messages", "ref", row["id"], row["ref_enc"])
        ).decode()
        if what == Outcome.HANDED_OVER:
            day = when or tx.clock.now().date()
            await transition(
                tx,
                message_id=row["id"],
                to=MessageState.DELIVERED,
                action=Action.HANDED_OVER,
                actor=actor_id,
                detail={"date": day.isoformat(), "batch": row["batch_id"] or ""},
            )
            return Recorded(row["id"], ref, MessageState.DELIVERED, row["site_code"])
        detail = {"reason": Undeliverable(what.value).value}
        if new_site is not None:
            detail["to"] = new_site
        await transition(
            tx,
            message_id=row["id"],
            to=MessageState.UNDELIVERABLE,
            action=Action.UNDELIVERABLE,
            actor=actor_id,
            detail=detail,
        )
        if new_site is None or sites is None or new_site == row["site_code"]:
            return Recorded(row["id"], ref, MessageState.UNDELIVERABLE, row["site_code"])
        now = tx.clock.now()
        await transition(
            tx,
            message_id=row["id"],
            to=MessageState.SUBMITTED,
            action=Action.REQUEUE,
            actor=actor_id,
            detail={"site": new_site, "from": row["site_code"]},
            sets={
                "site_code": new_site,
                "batch_id": None,
                "claimed_by": None,
                "lease_until": None,
                "submitted_at": iso(now),
                "due_at": iso(now + dt.timedelta(days=sites[new_site].review_days)),
            },
        )
        return Recorded(row["id"], ref, MessageState.SUBMITTED, new_site)


def parse_outcome(cell: str) -> tuple[Outcome, str | None]:
    """Parse a manifest outcome cell: handed_over, released, transferred[:SITE], ..."""
    value, _sep, site = cell.strip().partition(":")
    try:
        return Outcome(value.strip().lower()), (site.strip().upper() or None)
    except ValueError:
        raise InvalidInput("bad_outcome", value) from None


def parse_date(text: str) -> dt.date:
    """Parse a hand-over date typed as YYYY-MM-DD or DD.MM.YYYY."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    raise InvalidInput("bad_date", text)


MANIFEST_HEAD = ("reference", "detainee_number", "addressee_latin_name", "outcome", "date")


def manifest_rows(lines: Sequence[ChecklistLine]) -> list[list[str]]:
    """Rows of the delegate's manifest CSV (personal data: write it 0600, only when asked)."""
    return [list(MANIFEST_HEAD)] + [
        [
            *map(spreadsheet_safe, (line.reference, line.detainee_number or "", line.latin_name)),
            "",
            "",
        ]
        for line in lines
    ]


@dataclass(frozen=True, slots=True)
class ImportLine:
    """The result of one manifest line: recorded, skipped (no outcome yet) or an error code."""

    line: int
    reference: str
    result: str  # "recorded", "skipped" or "error"
    state: str = ""  # the state reached, when recorded
    error: str = ""  # an error code (never personal data), when refused


async def import_outcomes(
    store: Store,
    lines: Iterable[str],
    *,
    actor_id: str = CLI_ACTOR,
    sites: Mapping[str, Site],
) -> list[ImportLine]:
    """Apply a filled-in manifest CSV line by line; a bad line never stops the others."""
    reader = csv.DictReader(lines)
    results: list[ImportLine] = []
    for number, row in enumerate(reader, start=2):  # line 1 is the heading
        reference = (row.get("reference") or "").strip()
        cell = (row.get("outcome") or "").strip()
        if not cell:
            results.append(ImportLine(number, reference, "skipped"))
            continue
        try:
            outcome, site = parse_outcome(cell)
            day = parse_date(row["date"]) if (row.get("date") or "").strip() else None
            done = await record_outcome(
                store,
                actor_id=actor_id,
                reference=reference,
                outcome=outcome,
                transferred_to=site,
                when=day,
                sites=sites,
            )
        except RelayError as exc:
            results.append(ImportLine(number, reference, "error", error=exc.code))
            continue
        results.append(ImportLine(number, done.reference, "recorded", state=done.state.value))
    return results


async def batch_of(store: Store, message_id: str) -> str | None:
    """Return the latest batch a message was printed in (it may have been re-queued since)."""
    async with store.read() as tx:
        row = await tx.one(
            "SELECT b.batch_id FROM batch_items b JOIN batches t ON t.id = b.batch_id"
            " WHERE b.message_id = ? ORDER BY t.created_at DESC LIMIT 1",
            (message_id,),
        )
    return str(row["batch_id"]) if row else None
