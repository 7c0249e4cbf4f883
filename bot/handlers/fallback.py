"""Everything nobody else handled: a short, localized word on what the bot expects."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import Ctx
from bot.handlers.common import person_of, say


async def unsupported(update: Update, context: Ctx) -> None:
    """Explain that only text (and one photo while writing) is read; store nothing."""
    _, tr = await person_of(update, context)
    _ = tr.gettext
    message = update.effective_message
    if update.edited_message is not None:
        await say(
            update,
            tr,
            _("I don't see edits to messages already sent. Please send the text again."),
        )
    elif message is not None and message.text and message.text.startswith("/"):
        await say(update, tr, _("Unknown command. Use /new to write a message or /status."))
    else:
        await say(
            update,
            tr,
            _(
                "I can only read text, and one family photo while you write a message. "
                "Stickers, voice notes, videos, files and locations cannot be sent."
            ),
        )


async def stale_button(update: Update, context: Ctx) -> None:
    """Answer a button that is unknown, forged or too old; change nothing."""
    query = update.callback_query
    assert query is not None
    _, tr = await person_of(update, context)
    await query.answer(tr.gettext("This button is no longer valid."), show_alert=False)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the catch-alls: register them LAST in group 0, where the first match wins."""
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE | filters.UpdateType.EDITED, unsupported)
    )
    app.add_handler(CallbackQueryHandler(stale_button))
