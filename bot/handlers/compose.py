"""Composing a message step by step (/new), editing a returned one, and sending.

The letter lives in its own sealed row (``compose_state``) so a restart loses nothing
typed, and nothing here touches another feature's state (a reviewer's card, a delegate's
reply, an invitation). Every step has Back and Cancel; the steps are in ``steps``, moving
between them in ``compose_flow``, sending in ``compose_send``.
"""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import Ctx
from bot.handlers import links as links_handlers
from bot.handlers import steps
from bot.handlers.common import (
    edit_or_say,
    person_of,
    person_with,
    pressed_with,
    say,
    services,
)
from bot.handlers.compose_flow import (
    Turn,
    advance,
    choice,
    menu_text,
    refuse,
    remember,
    replayed,
    run,
    save,
    show,
    turn,
)
from bot.handlers.compose_send import send, wipe
from bot.handlers.compose_state import COMPOSE, ComposeState, Step
from bot.texts import input_error
from relay import messages, people
from relay.errors import InvalidInput, NotFound

__all__ = ["continue_after_consent", "menu_text", "new", "register", "start_edit"]


async def continue_after_consent(update: Update, context: Ctx) -> None:
    """Ask for the sender's details once, then show the menu."""
    person, tr = await person_of(update, context)
    if await people.load_profile(services(context).store, person.id) is None:
        await run(await turn(update, context, tr, person.id), _ask_profile)
        return
    if not await links_handlers.offer_pending(update, context):
        await say(update, tr, menu_text(tr))


async def _ask_profile(t: Turn) -> None:
    if t.draft.step is None:  # not in the middle of /new: the menu comes after
        t.draft.then_menu = True
    t.draft.step, t.draft.history = Step.PROFILE_NAME, []
    await show(t)


async def new(update: Update, context: Ctx) -> None:
    """Start writing a new message."""
    person, tr = await person_of(update, context)
    if not person.consented:
        from bot.handlers.family import start  # the notice comes first

        await start(update, context)
        return
    t = await turn(update, context, tr, person.id)
    draft = ComposeState(submit_key=secrets.token_hex(8), last_sent=t.draft.last_sent)
    remember(draft, update.effective_message)
    has_profile = await people.load_profile(services(context).store, person.id) is not None
    draft.step = Step.PICK if has_profile else Step.PROFILE_NAME
    t.held.value = draft
    await run(t, show)


async def start_edit(update: Update, context: Ctx, message_id: str) -> None:
    """Begin editing a returned message."""
    person, tr = await person_of(update, context)
    found = await messages.list_for(services(context).store, person.id, limit=50)
    views = [v for v in found if v.id == message_id]
    if not views:
        raise NotFound("message")
    t = await turn(update, context, tr, person.id)
    t.held.value = ComposeState(
        step=Step.EDIT_TEXT,
        message_id=message_id,
        site_code=views[0].site_code,
        submit_key=secrets.token_hex(8),
    )
    await run(t, show)


async def on_text(update: Update, context: Ctx) -> None:
    """Take typed text for the current step."""
    person, tr, held = await person_with(update, context, COMPOSE)
    await run(Turn(update, context, tr, person.id, held), _take_text)


async def _take_text(t: Turn) -> None:
    draft, message = t.draft, t.update.effective_message
    assert message is not None
    if draft.step is None:
        await say(t.update, t.tr, menu_text(t.tr))
        return
    if await replayed(t):
        return
    remember(draft, message)
    if draft.step in steps.BUTTON_STEPS:
        await save(t)
        text = t.tr.gettext("Please use the buttons above, or /new to start again.")
        await say(t.update, t.tr, text)
        return
    svc = services(t.context)
    today = svc.store.clock.now().date()
    try:
        nxt = steps.accept_text(
            draft.step, message.text or "", draft, today=today, sites=svc.sites
        )
    except InvalidInput as exc:
        await refuse(t, input_error(t.tr, exc.code, exc.params))
        return
    await _went_on(t, nxt)


async def _went_on(t: Turn, nxt: Step) -> None:
    if nxt == Step.PHOTO and t.draft.revising:
        t.draft.revising = False
        nxt = Step.PREVIEW  # the text was changed from the preview: the photo was answered
    if nxt == t.draft.step:  # a site search: show the filtered list
        await show(t)
        return
    await advance(t, nxt)


async def on_photo(update: Update, context: Ctx) -> None:
    """Take the one family photo at the photo step."""
    person, tr = await person_of(update, context)
    await run(await turn(update, context, tr, person.id), _take_photo)


async def _take_photo(t: Turn) -> None:
    draft, message = t.draft, t.update.effective_message
    assert message is not None
    if await replayed(t):
        return
    if draft.step != Step.PHOTO or not message.photo:
        text = t.tr.gettext("A photo can only be added while writing a message, after the text.")
        if draft.step is not None and draft.step not in steps.BUTTON_STEPS:
            await refuse(t, text)
        else:
            await say(t.update, t.tr, text)
        return
    remember(draft, message)
    draft.photo = message.photo[-1].file_id
    await advance(t, Step.PREVIEW)


async def on_button(update: Update, context: Ctx) -> None:
    """Handle the compose buttons: back, cancel, skip, choices, send."""
    person, tr, held, data = await pressed_with(update, context, COMPOSE)
    if data is None:
        return
    t = Turn(update, context, tr, person.id, held)
    if data.verb == "wipe":
        await run(t, wipe)
    elif data.verb == "send":
        await run(t, lambda t: send(t, data.arg))
    else:
        await run(t, lambda t: _press(t, data.verb, data.arg))


async def _press(t: Turn, verb: str, arg: str) -> None:
    if await replayed(t):
        return
    draft, _ = t.draft, t.tr.gettext
    if draft.step is None:
        await edit_or_say(t.update, t.tr, _("This step is over. Use /new to write a message."))
    elif verb == "cancel":
        t.held.value = draft.after_letter(draft.last_sent)
        await save(t)
        await edit_or_say(t.update, t.tr, _("Cancelled. Nothing was sent."))
    elif verb == "back":
        draft.revising = False  # the text step may lead to the photo step again
        if draft.history:
            draft.step = draft.history.pop()
        await show(t)
    else:
        await choice(t, verb, arg)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the compose handlers (group 0; typed text last, after commands)."""
    app.add_handler(CommandHandler("new", new))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^new:"))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO, on_photo))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, on_text)
    )
