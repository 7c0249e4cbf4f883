"""Delegates' pages: export a site's batch, download PDF, manifest and signature, hand-over
checklist. Messages an export held back (letters no font prints; returned to their families)
are listed with their reason on the page the export answers with."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from aiohttp import web
from relay import delivery, handover
from relay.errors import Conflict, InvalidInput, NotFound, UnprintableCharacters
from relay.export import signing
from relay.models import Role, Site
from relay.print_held import HeldBack, NothingPrintable

from console.i18n import N_, SUPPORTED, label_gettext
from console.server import console_of, guarded, render, session_of, words_of

OUTCOMES = {
    handover.Outcome.HANDED_OVER: N_("handed over"),
    handover.Outcome.RELEASED: N_("the person has been released"),
    handover.Outcome.TRANSFERRED: N_("the person has been transferred to another place"),
    handover.Outcome.UNKNOWN: N_("the person is not known at this place"),
    handover.Outcome.REFUSED: N_("the person did not accept the message"),
}
STATES = {
    "printed": N_("printed, travelling with the delegate"),
    "delivered": N_("handed over"),
    "undeliverable": N_("could not be handed over"),
    "submitted": N_("waiting for review"),
}
BUSY = N_("Someone else is exporting {site} right now. Try again in a minute.")


NOTHING_PRINTABLE = N_(
    "No message of this batch can be printed: each has letters that no font can print. "
    "Nothing was printed; they were returned to their families to be written again."
)
UNPRINTABLE = N_(
    "This batch cannot be printed: {ref} has characters that no font can print. "
    "Nothing was printed."
)


def print_language(site: Site) -> str:
    """Print a site's batch in its first language we have words for (English otherwise)."""
    return next((code for code in site.languages[:1] if code in SUPPORTED), "en")


async def batches_page(
    request: web.Request, notice: str = "", held: Sequence[HeldBack] = ()
) -> web.Response:
    """List the sites to export and the latest batches."""
    con = console_of(request)
    me = session_of(request).person_id
    recent = await delivery.recent_batches(con.store, actor_id=me, limit=20)
    allowed = await delivery.delegate_sites(con.store, me)
    sites = [s for code, s in sorted(con.sites.items()) if allowed is None or code in allowed]
    return await render(
        request, "batches.html", batches=recent, sites=sites, notice=notice, held_back=held
    )


async def export(request: web.Request) -> web.StreamResponse:
    """Export the approved messages of a site as a new batch and open its checklist."""
    con = console_of(request)
    form = await request.post()
    code = str(form.get("site", ""))
    _ = words_of(request).gettext
    if code not in con.sites:
        return await batches_page(request, _("Unknown site."))
    try:
        batch = await delivery.export_batch(
            con.store,
            actor_id=session_of(request).person_id,
            site=code,
            sites=con.sites,
            language=print_language(con.sites[code]),
            out_dir=con.settings.exports_dir,
            _=label_gettext(print_language(con.sites[code])),
        )
    except delivery.NothingToExport:
        return await batches_page(
            request, _("No approved message waits to be printed for {site}.").format(site=code)
        )
    except NothingPrintable as exc:
        return await batches_page(request, _(NOTHING_PRINTABLE), exc.held)
    except UnprintableCharacters as exc:  # the batch's own words (site name) cannot print
        return await batches_page(request, _(UNPRINTABLE).format(ref=exc.reference), ())
    except Conflict:  # e.g. another export of the same site is running
        return await batches_page(request, _(BUSY).format(site=code), ())
    if batch.held:  # answered here, not redirected: the list is not kept anywhere else
        return await checklist_page(request, batch_id=batch.id, held=batch.held)
    raise web.HTTPSeeOther(f"/batches/{batch.id}")


async def checklist_page(
    request: web.Request,
    notice: str = "",
    *,
    batch_id: str | None = None,
    held: Sequence[HeldBack] = (),
) -> web.Response:
    """Show the hand-over checklist of a batch, with a form per message still open."""
    con = console_of(request)
    batch_id = batch_id or request.match_info["id"]
    try:
        lines = await handover.checklist(
            con.store, actor_id=session_of(request).person_id, batch_id=batch_id
        )
    except NotFound as exc:
        raise web.HTTPNotFound() from exc
    return await render(
        request,
        "checklist.html",
        batch_id=batch_id,
        lines=lines,
        outcomes=OUTCOMES,
        states=STATES,
        sites=sorted(con.sites),
        notice=notice,
        held_back=held,
    )


async def record(request: web.Request) -> web.StreamResponse:
    """Record what happened to one printed message (transferred: to which site)."""
    con = console_of(request)
    form = await request.post()
    _ = words_of(request).gettext
    outcome = str(form.get("outcome", ""))
    if outcome not in set(handover.Outcome):
        return await checklist_page(request, _("Choose an outcome."))
    # The new site re-queues the message under its rules, as /handover and the import do.
    moved_to = str(form.get("site", "")) if outcome == handover.Outcome.TRANSFERRED else ""
    if outcome == handover.Outcome.TRANSFERRED and moved_to not in con.sites:
        return await checklist_page(request, _("Choose the place the person was transferred to."))
    try:
        await handover.record_outcome(
            con.store,
            actor_id=session_of(request).person_id,
            message_id=str(form.get("message", "")),
            outcome=handover.Outcome(outcome),
            transferred_to=moved_to or None,
            sites=con.sites,
        )
    except (InvalidInput, NotFound):
        return await checklist_page(request, _("We could not use this. Please try again."))
    raise web.HTTPSeeOther(f"/batches/{request.match_info['id']}")


async def _batch_again(request: web.Request) -> delivery.Batch:
    """Render the requested batch again from its recorded members (404 when unknown)."""
    con = console_of(request)
    try:
        return await delivery.export_again(
            con.store,
            request.match_info["id"],
            sites=con.sites,
            actor_id=session_of(request).person_id,
        )
    except NotFound as exc:
        raise web.HTTPNotFound() from exc


async def pdf(request: web.Request) -> web.Response:
    """Download the batch PDF (rendered again from its recorded members)."""
    batch = await _batch_again(request)
    return web.Response(
        body=batch.pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{batch.filename}"'},
    )


async def signature(request: web.Request) -> web.Response:
    """Download the batch's signature (no personal data), to check the PDF with rcm verify.

    Ed25519 is deterministic and the PDF renders again byte for byte, so this is the same
    file each time, and the same as the bot's for that batch.
    """
    con = console_of(request)
    batch = await _batch_again(request)
    key = signing.load_or_create_key(con.settings.resolved_key_file.parent)
    body = signing.sign_blobs(
        key, [(batch.filename, batch.pdf)], batch=batch.id, site=batch.site_code
    )
    name = batch.filename + signing.SUFFIX
    return web.Response(
        body=body,
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def manifest(request: web.Request) -> web.Response:
    """Download the manifest to tick off on paper (CSV; it holds personal data)."""
    con = console_of(request)
    batch_id = request.match_info["id"]
    try:
        lines = await handover.checklist(
            con.store, actor_id=session_of(request).person_id, batch_id=batch_id
        )
    except NotFound as exc:
        raise web.HTTPNotFound() from exc
    out = io.StringIO()
    csv.writer(out).writerows(handover.manifest_rows(lines))
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="manifest-{batch_id}.csv"'},
    )


def routes(router: web.UrlDispatcher) -> None:
    delegate = Role.DELEGATE
    router.add_get("/batches", guarded(delegate, "batches")(batches_page))
    router.add_post("/batches/export", guarded(delegate, "export")(export))
    router.add_get("/batches/{id}", guarded(delegate, "handover")(checklist_page))
    router.add_post("/batches/{id}/outcome", guarded(delegate, "outcome")(record))
    router.add_get("/batches/{id}/batch.pdf", guarded(delegate, "export_again")(pdf))
    router.add_get("/batches/{id}/manifest.csv", guarded(delegate, "handover")(manifest))
    router.add_get("/batches/{id}/batch.pdf.sig", guarded(delegate, "export_again")(signature))
