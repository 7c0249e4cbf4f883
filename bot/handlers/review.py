"""Staff side, reviewers: /queue, /next, /release and the review card's buttons.

Every command and every ``rev:`` button goes through the role guard (``bot.handlers.guard``,
audited) and answers a refusal that says nothing about the message asked for. What a
reviewer is doing on a card (kept proposals, passages typed by hand, a reason, a note
being typed) lives in their sealed draft (``relay.drafts``), so a restart loses nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    MessageHandler,
    filters,
)

from bot.callbacks import parse
from bot.context import Ctx
from bot.handlers import review_render as view
from bot.handlers.common import answer_error, edit_or_say, keyboard, say, services
from bot.handlers.guard import Guarded, Staff, staff_button, staff_command
from bot.i18n.catalog import Translator
from bot.texts import input_error, return_reason
from bot.transport import address_of
from relay import drafts, people, review, roles
from relay.errors import InvalidInput, RelayError
from relay.models import MessageState, ReturnReason
from relay.review import Decision, ReviewItem, Verdict
from relay.review_card import PhotoReason
from relay.roles import REVIEWING
from relay.text_input import clean_text

NOTE_MAX = 500


async def fail(update: Update, tr: Translator, exc: RelayError) -> None:
    """Say a review-side refusal plainly in the chat; other errors as usual."""
    if roles.refusal_in(exc) is not None:
        raise exc  # a role refusal: the guard audits it and answers the one sentence
    text = view.staff_error(tr, exc.code)
    if text is None and isinstance(exc, InvalidInput):
        text = input_error(tr, exc.code)
    if text is None:
        await answer_error(update, tr, exc)
        return
    await say(update, tr, text)


# -- the reviewer's working state, in their draft ---------------------------------------------


async def _load(context: Ctx, pid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    draft = await drafts.load(services(context).store, pid)
    return draft, draft.setdefault("rev", {})


async def _save(context: Ctx, pid: str, draft: dict[str, Any]) -> None:
    await drafts.save(services(context).store, pid, draft)


def _forget(rev: dict[str, Any], mid: str) -> None:
    for key in ("sel", "extra", "reason", "note"):
        rev.get(key, {}).pop(mid, None)
    if (rev.get("wait") or {}).get("mid") == mid:
        rev.pop("wait", None)


async def _touch(context: Ctx, pid: str, mid: str) -> ReviewItem:
    svc = services(context)
    return await review.touch(
        svc.store, reviewer_id=pid, message_id=mid, lease_s=svc.settings.review_lease_s
    )


async def _card(
    update: Update, tr: Translator, item: ReviewItem, rev: dict[str, Any], *, new: bool
) -> None:
    mid = item.message_id
    sel, extra = rev.get("sel", {}).get(mid), rev.get("extra", {}).get(mid, [])
    text = view.card_text(tr, item, sel, extra)
    markup = keyboard(view.card_buttons(tr, item, sel, extra))
    if new:
        await say(update, tr, text, markup, protect=True)
    else:
        await edit_or_say(update, tr, text, markup)


async def _show_photo(update: Update, context: Ctx, pid: str, item: ReviewItem) -> None:
    """Send the message's photo just before its card (content protected, like the card)."""
    chat = update.effective_chat
    assert chat is not None
    store = services(context).store
    photo = await review.photo_for_review(store, reviewer_id=pid, message_id=item.message_id)
    await chat.send_photo(photo, caption=item.reference, protect_content=True)


# -- commands -----------------------------------------------------------------------------------


async def cmd_queue(update: Update, context: Ctx, who: Staff) -> None:
    """Show the backlog by site and language, with the number of readers of each language."""
    pid, tr = who.person_id, who.tr
    store = services(context).store
    lines = await review.queue(store, staff_id=pid)
    await say(update, tr, view.queue_text(tr, lines, store.clock.now()))


async def cmd_next(update: Update, context: Ctx, who: Staff) -> None:
    """Claim the next message with a lease (or the one held) and show its card."""
    await _next(update, context, who.person_id, who.tr)


async def _next(update: Update, context: Ctx, pid: str, tr: Translator) -> None:
    svc = services(context)
    item = await review.claim_next(svc.store, reviewer_id=pid, lease_s=svc.settings.review_lease_s)
    if item is None:
        await say(update, tr, tr.gettext("Nothing to review in your languages right now."))
        return
    draft, rev = await _load(context, pid)
    if (rev.get("wait") or {}).get("mid") != item.message_id:
        _forget(rev, item.message_id)  # a new claim starts clean; a held one keeps its work
    await _save(context, pid, draft)
    if item.has_photo:
        await _show_photo(update, context, pid, item)
    await _card(update, tr, item, rev, new=True)


async def cmd_release(update: Update, context: Ctx, who: Staff) -> None:
    """Give back every message this reviewer holds."""
    pid, tr = who.person_id, who.tr
    count = await review.release_all(services(context).store, reviewer_id=pid)
    draft, _rev = await _load(context, pid)
    draft.pop("rev", None)
    await _save(context, pid, draft)
    await say(
        update,
        tr,
        tr.ngettext(
            "{n} message went back to the queue.", "{n} messages went back to the queue.", count
        ).format(n=count),
    )


# -- buttons -----------------------------------------------------------------------------------


async def on_button(update: Update, context: Ctx, who: Staff) -> None:
    """Handle ``rev:`` buttons (the guard checked the role): the verb."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    verb = data.verb if data is not None else "forged"
    pid, tr = who.person_id, who.tr
    await query.answer()
    if data is None:
        await say(update, tr, tr.gettext("This button is no longer valid."))
        return
    if verb == "next":
        await _next(update, context, pid, tr)
        return
    mid, _dot, extra = data.arg.partition(".")
    try:
        await _act(update, context, pid, tr, verb, mid, extra)
    except RelayError as exc:
        await fail(update, tr, exc)


async def _act(
    update: Update, context: Ctx, pid: str, tr: Translator, verb: str, mid: str, arg: str
) -> None:
    _ = tr.gettext
    item = await _touch(context, pid, mid)  # holds it? renews the lease
    draft, rev = await _load(context, pid)
    if verb == "tog" and arg.isdigit():
        kept = set(view.selection(item, rev.get("sel", {}).get(mid)))
        kept ^= {int(arg)}
        rev.setdefault("sel", {})[mid] = sorted(kept)
    elif verb == "add":
        rev["wait"] = {"what": "passage", "mid": mid}
        await _save(context, pid, draft)
        text = _("Type the exact passage to remove, or its positions like 10-25.")
        await say(update, tr, text, keyboard(view.confirm_buttons(tr, "card", mid)[1:]))
        return
    elif verb == "red":
        count = len(_spans(item, rev))
        text = tr.ngettext(
            "Approve {ref} with {n} passage removed?",
            "Approve {ref} with {n} passages removed?",
            count,
        ).format(ref=item.reference, n=count)
        await edit_or_say(update, tr, text, keyboard(view.confirm_buttons(tr, "red2", mid)))
        return
    elif verb == "ret":
        text = _("Why is {ref} returned? The sender reads this reason.").format(ref=item.reference)
        await edit_or_say(update, tr, text, keyboard(view.reason_buttons(tr, mid)))
        return
    elif verb == "rr" and arg in set(ReturnReason):
        rev.setdefault("reason", {})[mid] = arg
        rev["wait"] = {"what": "return_note", "mid": mid}
        await _save(context, pid, draft)
        await _ask_confirm(update, tr, "ret2", item, rev)
        return
    elif verb == "esc" and item.state != MessageState.ESCALATED:
        rev["wait"] = {"what": "escalate_note", "mid": mid}
        await _save(context, pid, draft)
        text = _("Type a note for the senior reviewer: why do you escalate {ref}?")
        await say(update, tr, text.format(ref=item.reference))
        return
    elif verb in ("pk", "pr"):
        reason = None if verb == "pk" else PhotoReason(arg) if arg in set(PhotoReason) else None
        if verb == "pr" and reason is None:
            await say(update, tr, _("This button is no longer valid."))
            return
        svc = services(context)
        item = await review.judge_photo(svc.store, reviewer_id=pid, message_id=mid, reason=reason)
    elif verb == "px":
        text = _("Why is the photo of {ref} removed? The family reads this reason.").format(
            ref=item.reference
        )
        await edit_or_say(update, tr, text, keyboard(view.photo_reason_buttons(tr, mid)))
        return
    elif verb in ("ok", "red2", "ret2", "esc2", "ovr2", "rel"):
        await _decide(update, context, pid, tr, verb, item, draft)
        return
    elif verb != "card":
        await say(update, tr, _("This button is no longer valid."))
        return
    rev.pop("wait", None)
    await _save(context, pid, draft)
    await _card(update, tr, item, rev, new=False)


def _spans(item: ReviewItem, rev: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    mid = item.message_id
    return view.chosen_spans(item, rev.get("sel", {}).get(mid), rev.get("extra", {}).get(mid, []))


async def _ask_confirm(
    update: Update, tr: Translator, verb: str, item: ReviewItem, rev: dict[str, Any]
) -> None:
    """Show the second tap of a destructive action, with the note typed so far."""
    _ = tr.gettext
    mid = item.message_id
    note = rev.get("note", {}).get(mid, "")
    if verb == "ret2":
        reason = return_reason(tr, rev.get("reason", {}).get(mid, "other"))
        text = _("Return {ref} to the sender? Reason: {reason}").format(
            ref=item.reference, reason=reason
        )
        text += "\n" + _("You may type a note for the sender first (optional).")
    elif verb == "esc2":
        text = _("Escalate {ref} to a senior reviewer?").format(ref=item.reference)
    else:
        text = _("Approve {ref} despite its blocking finding?").format(ref=item.reference)
    if note:
        text += "\n" + _("Note: {note}").format(note=note)
    await say(update, tr, text, keyboard(view.confirm_buttons(tr, verb, mid)), protect=True)


async def _decide(
    update: Update,
    context: Ctx,
    pid: str,
    tr: Translator,
    verb: str,
    item: ReviewItem,
    draft: dict[str, Any],
) -> None:
    """Apply the decision, forget the card's state, show the outcome and Next."""
    svc = services(context)
    rev, mid = draft["rev"], item.message_id
    note = rev.get("note", {}).get(mid, "")
    decision = {
        "ok": Decision(Verdict.APPROVE, note=note),
        "red2": Decision(Verdict.APPROVE, redactions=_spans(item, rev), note=note),
        "ovr2": Decision(Verdict.APPROVE, redactions=_spans(item, rev), note=note),
        "ret2": Decision(
            Verdict.RETURN,
            reason=ReturnReason(rev.get("reason", {}).get(mid, "other")),
            note=note,
        ),
        "esc2": Decision(Verdict.ESCALATE, note=note),
        "rel": Decision(Verdict.RELEASE),
    }[verb]
    try:
        state = await review.decide(svc.store, reviewer_id=pid, message_id=mid, decision=decision)
    except InvalidInput as exc:
        if exc.code != "note_required":
            raise
        # A senior overrides a blocking finding: the note comes first, then Confirm.
        if verb == "ok":  # as it is: nothing removed when the override is confirmed
            rev.setdefault("sel", {})[mid] = []
            rev.setdefault("extra", {})[mid] = []
        rev["wait"] = {"what": "override_note", "mid": mid}
        await _save(context, pid, draft)
        await say(update, tr, view.staff_error(tr, exc.code) or "")
        return
    _forget(rev, mid)
    await _save(context, pid, draft)
    svc.wake_outbox()
    text = outcome(tr, item.reference, state, len(decision.redactions))
    if decision.verdict == Verdict.APPROVE and state == MessageState.ESCALATED:
        text = tr.gettext(
            "{ref}: your judgement is recorded. A second senior reviewer decides (four eyes)."
        ).format(ref=item.reference)
    await edit_or_say(update, tr, text, keyboard(view.next_buttons(tr)))


def outcome(tr: Translator, ref: str, state: MessageState, removed: int) -> str:
    """Say what became of a message after a decision."""
    _ = tr.gettext
    if state in (MessageState.APPROVED, MessageState.DELIVERED):
        text = _("{ref}: approved.").format(ref=ref)
        if removed:
            text += " " + tr.ngettext(
                "{n} passage removed.", "{n} passages removed.", removed
            ).format(n=removed)
        return text
    texts = {
        MessageState.RETURNED: _("{ref}: returned to the sender."),
        MessageState.ESCALATED: _("{ref}: escalated to a senior reviewer."),
    }
    return texts.get(state, _("{ref}: put back in the queue.")).format(ref=ref)


# -- typed text: a passage to remove, or a note --------------------------------------------------


async def on_text(update: Update, context: Ctx) -> None:
    """Take text a reviewer was asked for (group -1); let everything else through."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not message.text:
        return
    store = services(context).store
    person = await people.find(store, address_of(user.id))
    if person is None:
        return
    draft = await drafts.load(store, person.id)
    wait = (draft.get("rev") or {}).get("wait")
    if not wait:
        return
    await _guarded_text(update, context)
    raise ApplicationHandlerStop  # the text was the reviewer's, not a family step


async def _on_typed(update: Update, context: Ctx, who: Staff) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    draft = await drafts.load(services(context).store, who.person_id)
    wait = (draft.get("rev") or {}).get("wait") or {}
    try:
        await _typed(update, context, who.person_id, who.tr, draft, wait, message.text)
    except RelayError as exc:
        await fail(update, who.tr, exc)


# A reviewer's typed note or passage: behind the guard like every staff action (a former
# reviewer whose role was taken away is refused, and the refusal audited).
_guarded_text = Guarded(REVIEWING, "rev.text", _on_typed)


async def _typed(
    update: Update,
    context: Ctx,
    pid: str,
    tr: Translator,
    draft: dict[str, Any],
    wait: dict[str, Any],
    text: str,
) -> None:
    rev, mid = draft["rev"], str(wait.get("mid", ""))
    item = await _touch(context, pid, mid)
    if wait.get("what") == "passage":
        span = review.find_passage(item.text, text)
        rev.setdefault("extra", {}).setdefault(mid, []).append(list(span))
        rev.pop("wait", None)
        await _save(context, pid, draft)
        await _card(update, tr, item, rev, new=True)
        return
    rev.setdefault("note", {})[mid] = clean_text(text, max_chars=NOTE_MAX, field="note")
    verb = {"return_note": "ret2", "escalate_note": "esc2"}.get(wait.get("what", ""), "ovr2")
    rev.pop("wait", None)
    await _save(context, pid, draft)
    await _ask_confirm(update, tr, verb, item, rev)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the reviewer handlers: typed text in group -1 (before the family's compose)."""
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, on_text),
        group=-1,
    )
    staff_command(app, "queue", REVIEWING, cmd_queue)
    staff_command(app, "next", REVIEWING, cmd_next)
    staff_command(app, "release", REVIEWING, cmd_release)
    staff_button(app, "rev", REVIEWING, on_button)
