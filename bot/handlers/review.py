"""Staff side, reviewers: /queue, /next, /release and the review card's buttons.

Every command and every ``rev:`` button goes through the role guard (``bot.handlers.guard``,
audited) and answers a refusal that says nothing about the message asked for. What a
reviewer is doing on a card (kept proposals, passages typed by hand, a reason, a note
being typed) lives in its own sealed row (``review_state``), so a restart loses nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    MessageHandler,
    filters,
)

from bot.callbacks import parse
from bot.context import Ctx
from bot.handlers import review_actions as cards
from bot.handlers import review_render as view
from bot.handlers.common import answer_error, say, services
from bot.handlers.guard import Guarded, Staff, staff_button, staff_command
from bot.handlers.review_state import CARD, Asked, ReviewState
from bot.i18n.catalog import Translator
from bot.state import Held
from bot.texts import input_error
from bot.transport import address_of
from relay import conversation, review, roles
from relay.errors import InvalidInput, RelayError, StaleState
from relay.review import ReviewItem
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
    held = await cards.load_work(context, pid)
    if held.value.wait is None or held.value.wait.mid != item.message_id:
        held.value.forget(item.message_id)  # a new claim starts clean; a held one keeps its work
    await cards.save_work(context, pid, held)
    if item.has_photo:
        await _show_photo(update, context, pid, item)
    await cards.show_card(update, tr, item, held.value, new=True)


async def cmd_release(update: Update, context: Ctx, who: Staff) -> None:
    """Give back every message this reviewer holds."""
    pid, tr = who.person_id, who.tr
    count = await review.release_all(services(context).store, reviewer_id=pid)
    held = await cards.load_work(context, pid)
    if held.version:
        await CARD.clear(services(context).store, pid, held)
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
        await cards.act(update, context, pid, tr, verb, mid, extra)
    except StaleState:  # another update moved the reviewer's work on: the card as it is now
        await cards.reshow(update, context, pid, tr, mid)
    except RelayError as exc:
        await fail(update, tr, exc)


# -- typed text: a passage to remove, or a note --------------------------------------------------


async def on_text(update: Update, context: Ctx) -> None:
    """Take text a reviewer was asked for (group -1); let everything else through."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not message.text:
        return
    store = services(context).store
    person, card = await conversation.find_with(store, address_of(user.id), CARD.feature)
    if person is None or card is None or CARD.held(card).value.wait is None:
        return
    await _guarded_text(update, context)
    raise ApplicationHandlerStop  # the text was the reviewer's, not a family step


async def _on_typed(update: Update, context: Ctx, who: Staff) -> None:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    held = await cards.load_work(context, who.person_id)
    try:
        await _typed(update, context, who, held, message.text)
    except StaleState:
        if held.value.wait is not None:
            await cards.reshow(update, context, who.person_id, who.tr, held.value.wait.mid)
    except RelayError as exc:
        await fail(update, who.tr, exc)


# A reviewer's typed note or passage: behind the guard like every staff action (a former
# reviewer whose role was taken away is refused, and the refusal audited).
_guarded_text = Guarded(REVIEWING, "rev.text", _on_typed)


async def _typed(
    update: Update, context: Ctx, who: Staff, held: Held[ReviewState], text: str
) -> None:
    wait = held.value.wait
    if wait is None:  # answered meanwhile by another update
        return
    pid, tr = who.person_id, who.tr
    item = await cards.touch(context, pid, wait.mid)
    work = held.value.card(wait.mid)
    held.value.wait = None
    if wait.asked == Asked.PASSAGE:
        work.extra.append(review.find_passage(item.text, text))
        await cards.save_work(context, pid, held)
        await cards.show_card(update, tr, item, held.value, new=True)
        return
    work.note = clean_text(text, max_chars=NOTE_MAX, field="note")
    verb = {Asked.RETURN_NOTE: "ret2", Asked.ESCALATE_NOTE: "esc2"}.get(wait.asked, "ovr2")
    await cards.save_work(context, pid, held)
    await cards.ask_confirm(update, tr, verb, item, work)


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
