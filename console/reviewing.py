"""Reviewers' pages: the queue (backlog, claim next) and one held message to decide on."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from relay import reader_language as reader_languages
from relay import review, staff_views
from relay.errors import Conflict, InvalidInput, NotFound, RelayError
from relay.export import printable
from relay.findings import Finding
from relay.models import MessageState, ReturnReason, Role, TimelineEvent
from relay.review_card import KEEP, PhotoReason
from words import codes
from words.printability import printability_lines

from console.i18n import RTL, SUPPORTED, Words
from console.server import console_of, guarded, render, session_of, words_of

# The same sentences as the bot's (words.codes): a reason for the family, a state, a photo.
REASONS = {ReturnReason(code): text for code, text in codes.RETURN_REASONS.items()}
VERDICTS = {v.value: v for v in review.Verdict}
PHOTO_REASONS = {PhotoReason(code): text for code, text in codes.PHOTO_REASONS.items()}


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of the text with the same marks (finding severity, redaction)."""

    start: int
    text: str
    severity: str
    redacted: bool


def segments(
    text: str, findings: Sequence[Finding], spans: list[tuple[int, int]]
) -> list[Segment]:
    """Cut the text where a finding or a redaction starts or ends (positions in characters)."""
    cuts = {0, len(text)}
    for f in findings:
        cuts.update((f.start, f.end))
    for a, b in spans:
        cuts.update((a, b))
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    out = []
    for a, b in itertools.pairwise(bounds):
        marks = [f.severity for f in findings if f.start <= a and b <= f.end]
        severity = next((s for s in ("block", "redact", "flag") if s in marks), "")
        redacted = any(x <= a and b <= y for x, y in spans)
        out.append(Segment(a, text[a:b], severity, redacted))
    return out


def parse_spans(raw: str) -> tuple[tuple[int, int], ...]:
    """Parse ``3-9,12-20`` (character positions, end excluded); refuse anything else."""
    spans = []
    for part in (p for p in raw.split(",") if p.strip()):
        start, sep, end = part.strip().partition("-")
        if not sep or not start.isdigit() or not end.isdigit():
            raise InvalidInput("bad_span")
        spans.append((int(start), int(end)))
    return tuple(spans)


def error_text(tr: Words, code: str) -> str:
    """Say why a decision was refused, in the reviewer's language."""
    _ = tr.gettext
    texts = {
        "needs_senior": _("A blocking finding is left: redact it, return or escalate."),
        "four_eyes": _("You escalated this message: another senior reviewer must decide."),
        "note_required": _("Please add a note explaining the decision."),
        "already_escalated": _("This message is already with a senior reviewer."),
        "bad_span": _("That passage is not in the message."),
        "conflict": _(
            "You no longer hold this message: it was put back in the queue, "
            "or held too long without a decision."
        ),
        "no_reason": _("Choose a reason for the sender."),
        "photo_unjudged": _("Keep or remove the photo before approving."),
        "nothing_left": _("Nothing would be left to send: return the message instead."),
    }
    return texts.get(code, _("We could not use this. Please try again."))


def history_lines(tr: Words, events: list[TimelineEvent]) -> list[tuple[str, str]]:
    """Say each step of a message's way (when, what), as a reviewer needs to know it."""
    _ = tr.gettext
    lines = []
    for event in events:
        what = codes.name(_, codes.STATES, event.state.value)
        if event.state == MessageState.RETURNED:
            reason = codes.name(_, codes.RETURN_REASONS, event.detail.get("reason", "other"))
            what = _("Returned to the sender: {reason}").format(reason=reason)
        elif event.state == MessageState.SUBMITTED and "version" in event.detail:
            what = _("Edited by the sender and sent again (version {version})").format(
                version=event.detail["version"]
            )
        elif event.state == MessageState.SUBMITTED and "from" in event.detail:
            what = _("Transferred from {site}; waiting for review again").format(
                site=event.detail["from"]
            )
        lines.append((tr.when(event.at), what))
    return lines


async def queue_page(request: web.Request) -> web.Response:
    """Show the backlog by site, language and age."""
    con = console_of(request)
    lines = await review.queue(con.store, staff_id=session_of(request).person_id)
    now = con.store.clock.now()
    ages = [max(0, (now - line.oldest).days) for line in lines]
    return await render(
        request,
        "queue.html",
        lines=list(zip(lines, ages, strict=True)),
        done=request.query.get("done", ""),
        empty=request.query.get("empty", ""),
    )


async def claim(request: web.Request) -> web.StreamResponse:
    """Claim the next message this reviewer reads and open it."""
    con = console_of(request)
    item = await review.claim_next(
        con.store,
        reviewer_id=session_of(request).person_id,
        lease_s=con.settings.review_lease_s,
    )
    if item is None:
        raise web.HTTPSeeOther("/queue?empty=1")
    raise web.HTTPSeeOther(f"/review/{item.message_id}")


async def review_page(request: web.Request, error: str = "", spans: str = "") -> web.Response:
    """Show a held message: text with findings, photo, sender and addressee, history."""
    con = console_of(request)
    me, message_id = session_of(request).person_id, request.match_info["id"]
    try:
        item = await review.touch(
            con.store, reviewer_id=me, message_id=message_id, lease_s=con.settings.review_lease_s
        )
        who = await staff_views.parties(con.store, reviewer_id=me, message_id=message_id)
        events = await staff_views.history(con.store, reviewer_id=me, message_id=message_id)
    except (Conflict, NotFound):
        _ = words_of(request).gettext
        return await render(
            request,
            "refused.html",
            status=409,
            title=_("Not yours any more"),
            text=error_text(words_of(request), "conflict"),
        )
    chosen = list(parse_spans(spans)) if spans else item.proposed
    found = printable.check(item.text)  # the same lines as the bot's card
    return await render(
        request,
        "review.html",
        item=item,
        who=who,
        history=history_lines(words_of(request), events),
        segments=segments(item.text, item.findings, chosen),
        spans=",".join(f"{a}-{b}" for a, b in chosen),
        text_dir="rtl" if item.lang in RTL else "ltr",
        reasons=REASONS,
        photo_reasons=PHOTO_REASONS,
        state_words=codes.STATES,
        categories=codes.CATEGORIES,
        severities=codes.SEVERITIES,
        keep=KEEP,
        languages=SUPPORTED,
        error=error_text(words_of(request), error) if error else "",
        printability=printability_lines(words_of(request).gettext, found.symbols, found.letters),
    )


async def decide(request: web.Request) -> web.StreamResponse:
    """Apply the reviewer's decision; come back to the page with the reason when refused."""
    con = console_of(request)
    form = await request.post()
    verdict = VERDICTS.get(str(form.get("action", "")))
    raw_spans, reason = str(form.get("redactions", "")), str(form.get("reason", ""))
    if verdict is None:
        raise web.HTTPBadRequest()
    if verdict == review.Verdict.RETURN and reason not in REASONS:
        return await review_page(request, "no_reason", raw_spans)
    try:
        state = await review.decide(
            con.store,
            reviewer_id=session_of(request).person_id,
            message_id=request.match_info["id"],
            decision=review.Decision(
                verdict,
                redactions=parse_spans(raw_spans) if verdict == review.Verdict.APPROVE else (),
                reason=ReturnReason(reason) if reason in REASONS else None,
                note=str(form.get("note", ""))[:500],
            ),
        )
    except RelayError as exc:
        if not isinstance(exc, InvalidInput | Conflict) and exc.code not in (
            "needs_senior",
            "four_eyes",
        ):
            raise
        return await review_page(request, exc.code, raw_spans)
    raise web.HTTPSeeOther(f"/queue?done={state.value}")


async def judge_photo(request: web.Request) -> web.StreamResponse:
    """Keep the photo, or remove it with a reason the family reads."""
    con = console_of(request)
    form = await request.post()
    choice = str(form.get("verdict", ""))
    if choice != KEEP and choice not in {r.value for r in PhotoReason}:
        raise web.HTTPBadRequest()
    try:
        await review.judge_photo(
            con.store,
            reviewer_id=session_of(request).person_id,
            message_id=request.match_info["id"],
            reason=None if choice == KEEP else PhotoReason(choice),
        )
    except (InvalidInput, Conflict) as exc:
        return await review_page(request, exc.code)
    raise web.HTTPSeeOther(f"/review/{request.match_info['id']}")


async def reader_language(request: web.Request) -> web.StreamResponse:
    """Set the language the addressee reads (the printed form's labels follow it)."""
    con = console_of(request)
    form = await request.post()
    lang = str(form.get("reads", ""))
    if lang and lang not in SUPPORTED:
        raise web.HTTPBadRequest()
    try:
        await reader_languages.set_for_held(
            con.store,
            reviewer_id=session_of(request).person_id,
            message_id=request.match_info["id"],
            lang=lang or None,
        )
    except (InvalidInput, Conflict) as exc:
        return await review_page(request, exc.code)
    raise web.HTTPSeeOther(f"/review/{request.match_info['id']}")


async def photo(request: web.Request) -> web.Response:
    """Send the photo of a held message (only to the reviewer who holds it)."""
    con = console_of(request)
    try:
        data = await staff_views.held_photo(
            con.store,
            reviewer_id=session_of(request).person_id,
            message_id=request.match_info["id"],
        )
    except (Conflict, NotFound):
        data = None
    if data is None:
        raise web.HTTPNotFound()
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=data, content_type=kind)


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/queue", guarded(Role.REVIEWER, "queue")(queue_page))
    router.add_post("/queue/claim", guarded(Role.REVIEWER, "claim")(claim))
    router.add_get("/review/{id}", guarded(Role.REVIEWER, "view")(review_page))
    router.add_post("/review/{id}", guarded(Role.REVIEWER, "decide")(decide))
    router.add_get("/review/{id}/photo", guarded(Role.REVIEWER, "view")(photo))
    router.add_post("/review/{id}/photo", guarded(Role.REVIEWER, "photo")(judge_photo))
    router.add_post(
        "/review/{id}/reader", guarded(Role.REVIEWER, "reader_language")(reader_language)
    )
