"""Print batches per detention site, and what the delegate records after the visit.

Export order of work (decided so that a failed render never leaves a message "printed"
without a paper to show for it):

1. one read transaction takes a snapshot of every approved paper message of the site that
   is in no batch yet and builds the print items (names, text, photo decrypted in memory);
2. the PDF is rendered from that snapshot in a worker process (never on the event loop).
   Emoji and other symbols no font draws are left out of the paper; a message with letters
   no font draws is *held back*: it is returned to its family to be written again, the
   batch prints the others, and the delegate (in the answer) and the reviewer who approved
   it (through the outbox) are told why. A batch none of whose messages can be printed
   stops with ``NothingPrintable`` (its held messages returned all the same), and nothing
   has been marked printed;
3. one write transaction creates the batch, records its members and moves each message to
   PRINTED (the family is told through the outbox) and audits ``batch.export`` with the
   file's SHA-256. If a message changed meanwhile (cancelled, or taken by a concurrent
   export) the transaction rolls back and the export starts over from a fresh snapshot.

Rendering is deterministic, so ``export_again`` re-renders a batch from its recorded members
and gives the same bytes (its hash is checked against the one in the batch row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from relay import approval, audit, people, roles
from relay.calendars import printed_birth_date
from relay.clock import parse_iso
from relay.delegates import CLI_ACTOR, check_delegate, delegate_sites, require_delegate
from relay.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RelayError,
)
from relay.export.items import PAGE_SIZES, BatchHeader, PrintItem
from relay.export.labels import identity
from relay.export.worker import render_batch_async
from relay.files import write_private
from relay.lifecycle import Action, transition
from relay.messages import message_text_in
from relay.models import MessageState, Site
from relay.print_held import HeldBack, NothingPrintable, record_held, split_printable
from relay.store import Row, Store, Tx

# The delegate checks were first written here; the front ends still find them here.
__all__ = ["CLI_ACTOR", "check_delegate", "delegate_sites", "require_delegate"]

log = logging.getLogger("relay.delivery")

EXPORT_ATTEMPTS = 3
Translate = Callable[[str], str]
Progress = Callable[[int, int], None]


class NothingToExport(RelayError):
    """No approved paper message of the site waits for a batch."""

    code = "nothing_to_export"

    def __init__(self, site_code: str) -> None:
        super().__init__(f"site {site_code}: no approved message waits to be printed")
        self.site_code = site_code


@dataclass(frozen=True, slots=True)
class Batch:
    """A rendered print batch."""

    id: str
    site_code: str
    created: dt.date
    page_size: str
    language: str
    references: tuple[str, ...]
    sha256: str
    pdf: bytes
    path: Path | None = None
    held: tuple[HeldBack, ...] = ()

    @property
    def message_count(self) -> int:
        return len(self.references)

    @property
    def filename(self) -> str:
        return f"batch-{self.site_code}-{self.id}.pdf"


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """A batch as listed for a delegate (no personal data)."""

    id: str
    site_code: str
    created_at: dt.datetime
    message_count: int
    open_count: int  # members still printed: their outcome is not recorded yet


def relationship_label(code: str, _: Translate = identity) -> str:
    """Return how the sender is related to the addressee, for the printed form."""
    names = {
        # Translators: the sender is the addressee's mother
        "mother": _("mother"),
        "father": _("father"),
        "son": _("son"),
        "daughter": _("daughter"),
        "brother": _("brother"),
        "sister": _("sister"),
        "spouse": _("wife or husband"),
        "other": _("other relative"),
        "linked": _("family member (in the bot)"),
    }
    return names.get(code, code)


async def _print_item(tx: Tx, row: Row, _: Translate) -> PrintItem:
    family, message_id = row["family_id"], row["id"]
    reference = (await tx.open_for(family, "messages", "ref", message_id, row["ref_enc"])).decode()
    ad_row = await tx.one("SELECT data_enc FROM addressees WHERE id = ?", (row["addressee_id"],))
    if ad_row is None:
        raise NotFound("addressee")
    addressee = await tx.open_json_for(
        family, "addressees", "data", row["addressee_id"], ad_row["data_enc"]
    )
    profile = await people.profile_in(tx, family)
    text, spans = await message_text_in(tx, row)
    photo = None
    if row["photo_enc"] is not None:
        photo = await tx.open_for(family, "messages", "photo", message_id, row["photo_enc"])
    return PrintItem(
        reference=reference,
        addressee_name=addressee["full_name"],
        addressee_name_latin=addressee.get("latin_name") or addressee["full_name"],
        addressee_father_name=addressee.get("father_name"),
        addressee_birth_date=printed_birth_date(addressee.get("birth_date"), row["lang"]),
        detainee_number=addressee.get("detainee_number"),
        sender_name=profile.full_name if profile else "",
        sender_name_latin=profile.latin_name if profile else "",
        relationship=relationship_label(str(addressee.get("relationship", "other")), _),
        text=text,
        redactions=tuple(spans),
        lang=row["lang"],
        photo=photo,
        reader_lang=addressee.get("reads") or None,
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    message_ids: tuple[str, ...]
    items: tuple[PrintItem, ...]


async def _snapshot(store: Store, actor_id: str, site: str, _: Translate) -> _Snapshot:
    await check_delegate(store, actor_id, site, action="export")
    async with store.tx() as tx:
        rows = await tx.all(
            "SELECT * FROM messages WHERE site_code = ? AND state = 'approved'"
            " AND kind = 'message' AND channel = 'paper' AND batch_id IS NULL"
            " ORDER BY submitted_at, id",
            (site,),
        )
        rows = [row for row in rows if await approval.approved_as_stored(tx, row)]
        items = [await _print_item(tx, row, _) for row in rows]
    return _Snapshot(tuple(row["id"] for row in rows), tuple(items))


@roles.audits_refusals
async def export_batch(
    store: Store,
    *,
    actor_id: str,
    site: str,
    sites: Mapping[str, Site],
    page_size: str | None = None,
    language: str = "en",
    progress: Progress | None = None,
    out_dir: Path | None = None,
    _: Translate = identity,
) -> Batch:
    """Print every approved paper message of a site that is in no batch yet, as one batch.

    ``language`` picks the printed labels (rendered in the worker with the translator
    factory the application configured); ``_`` translates the relationship words here.
    With ``out_dir`` the PDF is also written there as ``batch-<site>-<id>.pdf``, mode 0600.
    """
    if site not in sites:
        raise NotFound("site")
    page_size = page_size or sites[site].paper
    if page_size not in PAGE_SIZES:
        raise InvalidInput("bad_page_size", page_size)
    for attempt in range(1, EXPORT_ATTEMPTS + 1):
        snap = await _snapshot(store, actor_id, site, _)
        if not snap.items:
            raise NothingToExport(site)
        batch_id = "B" + secrets.token_hex(4).upper()
        created = store.clock.now().date()
        header = BatchHeader(
            site, sites[site].name, batch_id, created, page_size, sites[site].reply_page
        )
        ids, items, held = split_printable(snap.message_ids, snap.items)
        if not items:  # nothing prints; the held ones still go back to their families
            await record_held(store, actor_id, held)
            raise NothingPrintable(tuple(why for _id, why in held))
        snap = _Snapshot(ids, items)
        pdf = await render_batch_async(header, snap.items, language=language, progress=progress)
        digest = hashlib.sha256(pdf).hexdigest()
        try:
            await _commit(store, actor_id, header, snap, language, digest)
        except (Conflict, InvalidTransition):
            log.info("export: site %s changed while rendering (attempt %d)", site, attempt)
            continue
        await record_held(store, actor_id, held)
        path = None
        if out_dir is not None:
            path = out_dir / f"batch-{site}-{batch_id}.pdf"
            write_private(path, pdf)
        log.info("export: batch %s of %s, %d message(s)", batch_id, site, len(snap.items))
        return Batch(
            batch_id,
            site,
            created,
            page_size,
            language,
            tuple(item.reference for item in snap.items),
            digest,
            pdf,
            path,
            tuple(why for _id, why in held),
        )
    raise Conflict(f"site {site}: messages kept changing during the export; try again")


async def _commit(
    store: Store, actor_id: str, header: BatchHeader, snap: _Snapshot, language: str, digest: str
) -> None:
    async with store.tx() as tx:
        await tx.execute(
            "INSERT INTO batches(id, site_code, created_at, message_count, page_size, sha256,"
            " language) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                header.batch_id,
                header.site_code,
                tx.now(),
                len(snap.items),
                header.page_size,
                digest,
                language,
            ),
        )
        await tx.executemany(
            "INSERT INTO batch_items(batch_id, message_id, position) VALUES (?, ?, ?)",
            [(header.batch_id, mid, n) for n, mid in enumerate(snap.message_ids)],
        )
        for message_id in snap.message_ids:
            await transition(
                tx,
                message_id=message_id,
                to=MessageState.PRINTED,
                action=Action.PRINT,
                actor=actor_id,
                detail={"batch": header.batch_id},
                sets={"batch_id": header.batch_id},
            )
        await audit.append(
            tx,
            actor=actor_id,
            action="batch.export",
            obj=header.batch_id,
            detail={
                "site": header.site_code,
                "count": len(snap.items),
                "sha256": digest,
                "page_size": header.page_size,
                "language": language,
            },
        )


@roles.audits_refusals
async def export_again(
    store: Store,
    batch_id: str,
    *,
    sites: Mapping[str, Site],
    actor_id: str = CLI_ACTOR,
    _: Translate = identity,
    out_dir: Path | None = None,
) -> Batch:
    """Render a batch again from its recorded members (same bytes as the first time)."""
    async with store.tx() as tx:
        batch = await tx.one("SELECT * FROM batches WHERE id = ?", (batch_id,))
        await require_delegate(
            tx, actor_id, batch["site_code"] if batch else None, action="export_again"
        )
        if batch is None:
            raise NotFound("batch")
        rows = await tx.all(
            "SELECT m.* FROM batch_items b JOIN messages m ON m.id = b.message_id"
            " WHERE b.batch_id = ? ORDER BY b.position",
            (batch_id,),
        )
        items = [await _print_item(tx, row, _) for row in rows]
    site = batch["site_code"]
    name = sites[site].name if site in sites else site
    created = parse_iso(batch["created_at"]).date()
    reply_page = sites[site].reply_page if site in sites else False
    header = BatchHeader(site, name, batch_id, created, batch["page_size"], reply_page)
    pdf = await render_batch_async(header, items, language=batch["language"])
    digest = hashlib.sha256(pdf).hexdigest()
    async with store.tx() as tx:
        await audit.append(
            tx,
            actor=actor_id,
            action="batch.export_again",
            obj=batch_id,
            detail={"sha256": digest, "same": digest == batch["sha256"], "count": len(items)},
        )
    if digest != batch["sha256"]:
        # A member was erased or reviewed again since: the paper and this file differ.
        log.warning("export: batch %s re-rendered with a different hash", batch_id)
    path = None
    if out_dir is not None:
        path = out_dir / f"batch-{site}-{batch_id}.pdf"
        write_private(path, pdf)
    return Batch(
        batch_id,
        site,
        created,
        batch["page_size"],
        batch["language"],
        tuple(i.reference for i in items),
        digest,
        pdf,
        path,
    )


@roles.audits_refusals
async def recent_batches(store: Store, *, actor_id: str, limit: int = 10) -> list[BatchInfo]:
    """Return the latest batches of the sites this person delegates for."""
    allowed = await delegate_sites(store, actor_id)
    async with store.read() as tx:
        await require_delegate(tx, actor_id, None, action="batches")
        rows = await tx.all(
            "SELECT b.id, b.site_code, b.created_at, b.message_count,"
            " (SELECT COUNT(*) FROM messages m WHERE m.batch_id = b.id"
            "  AND m.state = 'printed') AS open_count"
            " FROM batches b ORDER BY b.created_at DESC LIMIT ?",
            (limit * 10,),
        )
    return [
        BatchInfo(
            r["id"],
            r["site_code"],
            parse_iso(r["created_at"]),
            r["message_count"],
            r["open_count"],
        )
        for r in rows
        if allowed is None or r["site_code"] in allowed
    ][:limit]
