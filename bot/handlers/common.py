"""Shared pieces of the handlers: who is talking, in which language, and how to answer."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Callback, cb, parse
from bot.context import Ctx, Services
from bot.i18n.catalog import Translator, negotiate, translator
from bot.state import Held, S, Slot
from bot.texts import input_error
from bot.transport import address_of
from relay import conversation, people
from relay.errors import InvalidInput, RelayError
from relay.people import Person

log = logging.getLogger("bot.handlers")

Buttons = Sequence[Sequence[tuple[str, str]]]


def services(context: Ctx) -> Services:
    return context.bot_data.services


def keyboard(rows: Buttons) -> InlineKeyboardMarkup:
    """Build an inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def nav_row(tr: Translator, *, back: bool = True) -> list[tuple[str, str]]:
    """Return the Back / Cancel row shown under every step."""
    _ = tr.gettext
    row = [(_("« Back"), cb("new", "back"))] if back else []
    row.append((_("✖ Cancel"), cb("new", "cancel")))
    return row


def _or_none(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """Return None for a keyboard without buttons (Telegram refuses an empty one)."""
    return markup if markup is not None and markup.inline_keyboard else None


async def person_of(update: Update, context: Ctx) -> tuple[Person, Translator]:
    """Return the person writing (created with a language only) and their translator."""
    user = update.effective_user
    assert user is not None
    svc = services(context)
    found = await people.find(svc.store, address_of(user.id))
    if found is None:
        lang = negotiate(user.language_code) or "en"
        found = await people.ensure(svc.store, address_of(user.id), lang)
    return found, translator(found.lang)


async def person_with(
    update: Update, context: Ctx, slot: Slot[S]
) -> tuple[Person, Translator, Held[S]]:
    """Return the person writing, their translator and their state of ``slot`` (one read)."""
    user = update.effective_user
    assert user is not None
    store = services(context).store
    found, saved = await conversation.find_with(store, address_of(user.id), slot.feature)
    if found is None:
        found, tr = await person_of(update, context)
        return found, tr, slot.held(None)
    return found, translator(found.lang), slot.held(saved)


async def pressed_with(
    update: Update, context: Ctx, slot: Slot[S]
) -> tuple[Person, Translator, Held[S], Callback | None]:
    """``pressed`` that also reads the presser's state of ``slot`` (one read for both)."""
    query = update.callback_query
    assert query is not None
    person, tr, held = await person_with(update, context, slot)
    await query.answer()
    return person, tr, held, parse(query.data)


async def pressed(update: Update, context: Ctx) -> tuple[Person, Translator, Callback | None]:
    """Acknowledge a button press; return who pressed it, their words, and the parsed data.

    The data is None when it does not parse (forged or truncated): callers then do nothing.
    """
    query = update.callback_query
    assert query is not None
    person, tr = await person_of(update, context)
    await query.answer()
    return person, tr, parse(query.data)


async def say(
    update: Update,
    tr: Translator,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
) -> Message | None:
    """Answer in the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return None
    markup = _or_none(markup)
    return await chat.send_message(
        tr.directed(text), reply_markup=markup, protect_content=protect or None
    )


async def edit_or_say(
    update: Update, tr: Translator, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the message whose button was pressed, or send a new one."""
    query = update.callback_query
    markup = _or_none(markup)
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(tr.directed(text), reply_markup=markup)
        except BadRequest:
            pass  # the same text again ("message is not modified"), or too old to edit
        else:
            return
    await say(update, tr, text, markup)


async def answer_error(update: Update, tr: Translator, error: RelayError) -> None:
    """Turn a domain error into a short localized sentence."""
    _ = tr.gettext
    if isinstance(error, InvalidInput):
        text = input_error(tr, error.code, error.params)
    elif error.code == "not_found":
        text = _("We could not find that. Please check and try again.")
    elif error.code == "not_allowed":
        text = _("Sorry, you are not allowed to do this.")
    elif error.code == "invalid_transition":
        text = _("This cannot be done any more: the message has moved on.")
    elif error.code == "conflict":
        text = _("Somebody else got there first. Please try again.")
    elif error.code == "rate_limited":
        text = _("You have reached today's limit of messages. Please try again tomorrow.")
    else:
        text = _("Something went wrong on our side. Please try again later.")
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:200], show_alert=True)
        except TelegramError:
            await say(update, tr, text)
        return
    await say(update, tr, text)


async def gatekeeper(update: Update, context: Ctx) -> None:
    """Refuse floods politely before any handler runs (group -2)."""
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    limiter = services(context).limiter
    if limiter.allow(user.id):
        return
    if not limiter.should_warn(user.id):
        raise ApplicationHandlerStop
    tr = translator(negotiate(user.language_code))
    if update.callback_query is not None:
        await update.callback_query.answer(
            tr.gettext("Too many requests. Please wait a minute."), show_alert=False
        )
    elif update.effective_chat is not None:
        await say(update, tr, tr.gettext("Too many requests. Please wait a minute."))
    raise ApplicationHandlerStop


async def on_error(update: object, context: Ctx) -> None:
    """Log a handler failure without user data, and tell the user something went wrong."""
    log.error(
        "handler failed: %s",
        type(context.error).__name__,
        exc_info=(type(context.error), context.error, context.error.__traceback__)
        if context.error is not None and log.isEnabledFor(logging.DEBUG)
        else None,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        tr = translator(negotiate(user.language_code) if user else None)
        with contextlib.suppress(TelegramError):
            await say(
                update, tr, tr.gettext("Something went wrong on our side. Please try again later.")
            )
