"""A review card's buttons: one small function per press, on the reviewer's typed work.

``act`` renews the lease on the card, reads the reviewer's work (``review_state``) and
hands the press to its action; a decision forgets the card's work and shows the outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from bot.context import Ctx
from bot.handlers import review_render as view
from bot.handlers.common import edit_or_say, keyboard, say, services
from bot.handlers.review_state import CARD, Asked, CardWork, ReviewState
from bot.i18n.catalog import Translator
from bot.state import Held
from bot.texts import return_reason
from relay import review
from relay.errors import InvalidInput
from relay.models import MessageState, ReturnReason
from relay.review import Decision, ReviewItem, Verdict
from relay.review_card import PhotoReason

# -- the reviewer's working state, in its own row (``review_state``) ---------------------------


async def load_work(context: Ctx, pid: str) -> Held[ReviewState]:
    return await CARD.load(services(context).store, pid)


async def save_work(context: Ctx, pid: str, held: Held[ReviewState]) -> None:
    await CARD.save(services(context).store, pid, held)


async def touch(context: Ctx, pid: str, mid: str) -> ReviewItem:
    svc = services(context)
    return await review.touch(
        svc.store, reviewer_id=pid, message_id=mid, lease_s=svc.settings.review_lease_s
    )


async def show_card(
    update: Update, tr: Translator, item: ReviewItem, rev: ReviewState, *, new: bool
) -> None:
    work = rev.cards.get(item.message_id, CardWork())
    sel, extra = work.sel, work.extra
    text = view.card_text(tr, item, sel, extra)
    markup = keyboard(view.card_buttons(tr, item, sel, extra))
    if new:
        await say(update, tr, text, markup, protect=True)
    else:
        await edit_or_say(update, tr, text, markup)


async def reshow(update: Update, context: Ctx, pid: str, tr: Translator, mid: str) -> None:
    """Show a card with the reviewer's work as stored now (after a conflicting save)."""
    item = await touch(context, pid, mid)
    await show_card(update, tr, item, (await load_work(context, pid)).value, new=True)


@dataclass(frozen=True)
class _Act:
    """One press on a card: who, on what (the lease renewed), with the reviewer's work."""

    update: Update
    context: Ctx
    pid: str
    tr: Translator
    item: ReviewItem
    held: Held[ReviewState]
    arg: str

    @property
    def work(self) -> CardWork:
        return self.held.value.card(self.item.message_id)


async def act(
    update: Update, context: Ctx, pid: str, tr: Translator, verb: str, mid: str, arg: str
) -> None:
    item = await touch(context, pid, mid)  # holds it? renews the lease
    act = _Act(update, context, pid, tr, item, await load_work(context, pid), arg)
    if verb in _DECISIONS:
        await _decide(act, verb)
        return
    shown = await _ACTIONS.get(verb, _invalid)(act)
    if shown is not None:  # the card again, as it stands now
        act.held.value.wait = None
        await save_work(context, pid, act.held)
        await show_card(update, tr, shown, act.held.value, new=False)


async def _invalid(act: _Act) -> None:
    await say(act.update, act.tr, act.tr.gettext("This button is no longer valid."))


async def _toggle(act: _Act) -> ReviewItem | None:
    if not act.arg.isdigit():
        await _invalid(act)
        return None
    kept = set(view.selection(act.item, act.work.sel)) ^ {int(act.arg)}
    act.work.sel = sorted(kept)
    return act.item


async def _ask_passage(act: _Act) -> None:
    act.held.value.ask(Asked.PASSAGE, act.item.message_id)
    await save_work(act.context, act.pid, act.held)
    text = act.tr.gettext("Type the exact passage to remove, or its positions like 10-25.")
    buttons = view.confirm_buttons(act.tr, "card", act.item.message_id)[1:]
    await say(act.update, act.tr, text, keyboard(buttons))


async def _confirm_redactions(act: _Act) -> None:
    count = len(_spans(act.item, act.work))
    text = act.tr.ngettext(
        "Approve {ref} with {n} passage removed?",
        "Approve {ref} with {n} passages removed?",
        count,
    ).format(ref=act.item.reference, n=count)
    buttons = view.confirm_buttons(act.tr, "red2", act.item.message_id)
    await edit_or_say(act.update, act.tr, text, keyboard(buttons))


async def _ask_reason(act: _Act) -> None:
    text = act.tr.gettext("Why is {ref} returned? The sender reads this reason.")
    buttons = view.reason_buttons(act.tr, act.item.message_id)
    await edit_or_say(act.update, act.tr, text.format(ref=act.item.reference), keyboard(buttons))


async def _take_reason(act: _Act) -> None:
    if act.arg not in set(ReturnReason):
        await _invalid(act)
        return
    act.work.reason = act.arg
    act.held.value.ask(Asked.RETURN_NOTE, act.item.message_id)
    await save_work(act.context, act.pid, act.held)
    await ask_confirm(act.update, act.tr, "ret2", act.item, act.work)
    return


async def _ask_escalation(act: _Act) -> None:
    if act.item.state == MessageState.ESCALATED:
        await _invalid(act)
        return
    act.held.value.ask(Asked.ESCALATE_NOTE, act.item.message_id)
    await save_work(act.context, act.pid, act.held)
    text = act.tr.gettext("Type a note for the senior reviewer: why do you escalate {ref}?")
    await say(act.update, act.tr, text.format(ref=act.item.reference))
    return


async def _remove_photo(act: _Act) -> ReviewItem | None:
    if act.arg not in set(PhotoReason):
        await _invalid(act)
        return None
    return await _judge_photo(act, PhotoReason(act.arg))


async def _keep_photo(act: _Act) -> ReviewItem:
    return await _judge_photo(act, None)


async def _judge_photo(act: _Act, reason: PhotoReason | None) -> ReviewItem:
    store = services(act.context).store
    mid = act.item.message_id
    return await review.judge_photo(store, reviewer_id=act.pid, message_id=mid, reason=reason)


async def _ask_photo_reason(act: _Act) -> None:
    text = act.tr.gettext("Why is the photo of {ref} removed? The family reads this reason.")
    buttons = view.photo_reason_buttons(act.tr, act.item.message_id)
    await edit_or_say(act.update, act.tr, text.format(ref=act.item.reference), keyboard(buttons))


async def _same_card(act: _Act) -> ReviewItem:
    return act.item


_ACTIONS: dict[str, Callable[[_Act], Awaitable[ReviewItem | None]]] = {
    "tog": _toggle,
    "add": _ask_passage,
    "red": _confirm_redactions,
    "ret": _ask_reason,
    "rr": _take_reason,
    "esc": _ask_escalation,
    "pk": _keep_photo,
    "pr": _remove_photo,
    "px": _ask_photo_reason,
    "card": _same_card,
}
_DECISIONS = frozenset({"ok", "red2", "ret2", "esc2", "ovr2", "rel"})


def _spans(item: ReviewItem, work: CardWork) -> tuple[tuple[int, int], ...]:
    return view.chosen_spans(item, work.sel, work.extra)


async def ask_confirm(
    update: Update, tr: Translator, verb: str, item: ReviewItem, work: CardWork
) -> None:
    """Show the second tap of a destructive action, with the note typed so far."""
    _ = tr.gettext
    if verb == "ret2":
        reason = return_reason(tr, work.reason or "other")
        text = _("Return {ref} to the sender? Reason: {reason}").format(
            ref=item.reference, reason=reason
        )
        text += "\n" + _("You may type a note for the sender first (optional).")
    elif verb == "esc2":
        text = _("Escalate {ref} to a senior reviewer?").format(ref=item.reference)
    else:
        text = _("Approve {ref} despite its blocking finding?").format(ref=item.reference)
    if work.note:
        text += "\n" + _("Note: {note}").format(note=work.note)
    buttons = view.confirm_buttons(tr, verb, item.message_id)
    await say(update, tr, text, keyboard(buttons), protect=True)


def _decision(verb: str, item: ReviewItem, work: CardWork) -> Decision:
    """Return the decision a confirming press stands for."""
    note = work.note
    if verb in ("red2", "ovr2"):
        return Decision(Verdict.APPROVE, redactions=_spans(item, work), note=note)
    if verb == "ret2":
        return Decision(Verdict.RETURN, reason=ReturnReason(work.reason or "other"), note=note)
    if verb == "esc2":
        return Decision(Verdict.ESCALATE, note=note)
    if verb == "rel":
        return Decision(Verdict.RELEASE)
    return Decision(Verdict.APPROVE, note=note)


async def _decide(act: _Act, verb: str) -> None:
    """Apply the decision, forget the card's work, show the outcome and Next."""
    svc, item, tr = services(act.context), act.item, act.tr
    decision = _decision(verb, item, act.work)
    try:
        state = await review.decide(
            svc.store, reviewer_id=act.pid, message_id=item.message_id, decision=decision
        )
    except InvalidInput as exc:
        if exc.code != "note_required":
            raise
        await _ask_override_note(act, verb, exc.code)
        return
    act.held.value.forget(item.message_id)
    await save_work(act.context, act.pid, act.held)
    svc.wake_outbox()
    text = outcome(tr, item.reference, state, len(decision.redactions))
    if decision.verdict == Verdict.APPROVE and state == MessageState.ESCALATED:
        text = tr.gettext(
            "{ref}: your judgement is recorded. A second senior reviewer decides (four eyes)."
        ).format(ref=item.reference)
    await edit_or_say(act.update, tr, text, keyboard(view.next_buttons(tr)))


async def _ask_override_note(act: _Act, verb: str, code: str) -> None:
    """A senior overrides a blocking finding: the note comes first, then Confirm."""
    if verb == "ok":  # as it is: nothing removed when the override is confirmed
        act.work.sel, act.work.extra = [], []
    act.held.value.ask(Asked.OVERRIDE_NOTE, act.item.message_id)
    await save_work(act.context, act.pid, act.held)
    await say(act.update, act.tr, view.staff_error(act.tr, code) or "")


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
