"""Family side: start, language, consent notice, privacy, status, cancel, forget."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import cb
from bot.context import Ctx
from bot.handlers import compose, links
from bot.handlers.common import (
    answer_error,
    edit_or_say,
    keyboard,
    person_of,
    pressed,
    say,
    services,
)
from bot.i18n.catalog import N_, NATIVE_NAMES, SUPPORTED, Translator, translator
from bot.texts import state_name
from relay import messages, people
from relay.errors import RelayError
from relay.models import MessageState, MessageView

_LANG_NAMES = {
    "en": N_("English"),
    "fr": N_("French"),
    "es": N_("Spanish"),
    "ar": N_("Arabic"),
    "fa": N_("Persian"),
    "ps": N_("Pashto"),
    "ru": N_("Russian"),
    "uk": N_("Ukrainian"),
    "sw": N_("Swahili"),
    "am": N_("Amharic"),
    "ti": N_("Tigrinya"),
    "so": N_("Somali"),
}


def notice(tr: Translator) -> str:
    """Return the plain notice shown before anything is written."""
    _ = tr.gettext
    return "\n\n".join(
        [
            _("Red Cross messages (RCM)"),
            _(
                "A Red Cross message is a short, open letter with family news (health, "
                "births, school, greetings) to a relative held in a place of detention."
            ),
            _(
                "Red Cross staff read every message before it travels, and the detaining "
                "authority may read it too. Do not write about politics, the military, money "
                "or other people's contact details."
            ),
            _(
                "Telegram is not end-to-end encrypted. We store your messages encrypted and "
                "send what is personal with forwarding disabled, but your chat stays on your "
                "phone: you can delete it after sending."
            ),
            _(
                "We keep your data until your messages are delivered and answered, at most "
                "six months. You can erase everything at any time with /forget."
            ),
            _("Do you agree to continue?"),
        ]
    )


def language_picker() -> list[list[tuple[str, str]]]:
    """Return the languages two to a row (twelve rows would push the question off screen)."""
    buttons = [(NATIVE_NAMES[code], cb("lang", "set", code)) for code in SUPPORTED]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def start(update: Update, context: Ctx) -> None:
    """Greet, pick the language, show the notice or the menu."""
    person, tr = await person_of(update, context)
    payload = (context.args or [""])[0] if context.args else ""
    if payload.startswith("inv_"):
        await links.remember_invitation(services(context).store, person.id, payload[4:])
    user = update.effective_user
    if user is not None and user.language_code is None and not person.consented:
        # We do not know their language yet: ask in every language we speak.
        ask = "\n".join(translator(code).gettext("Choose your language") for code in SUPPORTED)
        await say(update, tr, ask, keyboard(language_picker()))
        return
    await _after_language(update, context, tr, person.consented)


async def _after_language(update: Update, context: Ctx, tr: Translator, consented: bool) -> None:
    _ = tr.gettext
    if not consented:
        rows = [
            [(_("I agree"), cb("consent", "yes"))],
            [(_("Change language"), cb("lang", "pick"))],
        ]
        await say(update, tr, notice(tr), keyboard(rows))
        return
    await compose.continue_after_consent(update, context)


async def language(update: Update, context: Ctx) -> None:
    """Show the language picker."""
    _, tr = await person_of(update, context)
    await say(update, tr, tr.gettext("Choose your language"), keyboard(language_picker()))


async def on_language(update: Update, context: Ctx) -> None:
    """Set the language chosen on the picker."""
    person, tr, data = await pressed(update, context)
    if data is None:
        return
    if data.verb == "pick":
        await edit_or_say(
            update, tr, tr.gettext("Choose your language"), keyboard(language_picker())
        )
        return
    if data.arg not in SUPPORTED:
        return
    await people.set_language(services(context).store, person.id, data.arg)
    tr = translator(data.arg)
    await edit_or_say(
        update, tr, tr.gettext("Language: {name}").format(name=NATIVE_NAMES[data.arg])
    )
    await _after_language(update, context, tr, person.consented)


async def on_consent(update: Update, context: Ctx) -> None:
    """Record consent, then ask for the sender's details."""
    query = update.callback_query
    assert query is not None
    assert update.effective_chat is not None
    person, _tr = await person_of(update, context)
    await query.answer()
    if not person.consented:
        await people.record_consent(
            services(context).store, person.id, str(update.effective_chat.id)
        )
    # Keep the notice readable in the chat; only its buttons go.
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    await compose.continue_after_consent(update, context)


async def help_command(update: Update, context: Ctx) -> None:
    """Say what the bot can do."""
    _, tr = await person_of(update, context)
    await say(update, tr, compose.menu_text(tr))


async def privacy(update: Update, context: Ctx) -> None:
    """Repeat the notice."""
    _, tr = await person_of(update, context)
    await say(update, tr, notice(tr).rsplit("\n\n", 1)[0])


def _timeline(tr: Translator, view: MessageView, country_code: str | None = None) -> str:
    _ = tr.gettext
    lines = [_("{ref} · to: {name}").format(ref=view.reference, name=view.addressee_name)]
    if view.kind == "reply":
        lines = [_("{ref}: reply received").format(ref=view.reference)]
    for event in view.timeline:
        day = tr.date(event.at, country_code)
        lines.append(f"• {day}: {state_name(tr, event.state, view.kind)}")
    if view.waiting_for_reader:
        lines.append(
            _(
                "Waiting for a reviewer who reads this language: {language}. "
                "It will not be dropped."
            ).format(language=_(_LANG_NAMES.get(view.lang, "?")))
        )
    return "\n".join(lines)


async def status(update: Update, context: Ctx) -> None:
    """Show each message's timeline."""
    person, tr = await person_of(update, context)
    _ = tr.gettext
    if not person.consented:
        await _after_language(update, context, tr, consented=False)
        return
    svc = services(context)
    views = await messages.list_for(svc.store, person.id)
    if not views:
        await say(update, tr, _("You have not sent any message yet. Write one with /new."))
        return
    for view in views:
        rows = []
        if view.state in (MessageState.SUBMITTED, MessageState.RETURNED, MessageState.APPROVED):
            rows.append([(_("Cancel this message"), cb("msg", "cancel", view.id))])
        if view.state == MessageState.RETURNED:
            rows.insert(0, [(_("Edit and send again"), cb("msg", "edit", view.id))])
        site = svc.sites.get(view.site_code)
        text = _timeline(tr, view, site.country_code if site else None)
        await say(update, tr, text, keyboard(rows) if rows else None, protect=True)


async def on_message_action(update: Update, context: Ctx) -> None:
    """Cancel (two taps) or edit a message from its notification or the status list."""
    person, tr, data = await pressed(update, context)
    _ = tr.gettext
    if data is None:
        return
    store = services(context).store
    try:
        if data.verb == "cancel":
            rows = [
                [(_("Yes, cancel it"), cb("msg", "cancel2", data.arg))],
                [(_("No"), cb("nav", "noop"))],
            ]
            await say(update, tr, _("Cancel this message? It will not be sent."), keyboard(rows))
        elif data.verb == "cancel2":
            await messages.cancel(store, person_id=person.id, message_id=data.arg)
            await edit_or_say(update, tr, _("The message was cancelled."))
        elif data.verb == "edit":
            await compose.start_edit(update, context, data.arg)
    except RelayError as exc:
        await answer_error(update, tr, exc)


async def forget(update: Update, context: Ctx) -> None:
    """Ask for confirmation before erasing everything."""
    _, tr = await person_of(update, context)
    rows = [
        [(tr.gettext("Yes, erase everything"), cb("forget", "yes"))],
        [(tr.gettext("No"), cb("nav", "noop"))],
    ]
    await say(
        update,
        tr,
        tr.gettext(
            "This erases your details, your addressees and your messages from our system. "
            "Messages already printed cannot be recalled from paper. Erase everything?"
        ),
        keyboard(rows),
    )


async def on_forget(update: Update, context: Ctx) -> None:
    """Erase the family after the second tap."""
    query = update.callback_query
    assert query is not None
    person, tr = await person_of(update, context)
    await query.answer()
    printed = await messages.forget(services(context).store, person.id)
    text = tr.gettext("Everything was erased.")
    if printed:
        text += "\n" + tr.ngettext(
            "One message had already been printed and cannot be recalled.",
            "{n} messages had already been printed and cannot be recalled.",
            printed,
        ).format(n=printed)
    await edit_or_say(update, tr, text)


async def on_noop(update: Update, context: Ctx) -> None:
    """Close a question answered "No"."""
    query = update.callback_query
    assert query is not None
    _, tr = await person_of(update, context)
    await query.answer()
    await edit_or_say(update, tr, tr.gettext("Nothing was changed."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the family handlers (group 0)."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CommandHandler("privacy", privacy))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("forget", forget))
    app.add_handler(CallbackQueryHandler(on_language, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:yes:$"))
    app.add_handler(CallbackQueryHandler(on_message_action, pattern=r"^msg:"))
    app.add_handler(CallbackQueryHandler(on_forget, pattern=r"^forget:yes:$"))
    app.add_handler(CallbackQueryHandler(on_noop, pattern=r"^nav:noop:$"))
