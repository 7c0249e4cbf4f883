"""The real PTB Application polling the sandbox: echo, command with payload, button press."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import SandboxClient, SandboxServer

from .conftest import TOKEN


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        f"start:{' '.join(context.args or [])}",
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Yes", callback_data="answer:yes"),
                    InlineKeyboardButton("Help", url="https://example.org/help"),
                ]
            ]
        ),
        protect_content=True,
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"echo:{update.message.text}")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"chose:{query.data}")


async def test_application_runs_unchanged_against_the_sandbox(
    sandbox: SandboxServer, client: SandboxClient
) -> None:
    root = sandbox.api_root
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            await client.user(42, "Amal", language_code="ar")

            # Given a command with a deep-link payload, the CommandHandler sees its args.
            first = await client.send_text(42, "/start RCM-7K3F-9Q2V")
            reply = await client.wait_for_bot_message(42, timeout=5)
            assert (reply.message_id, reply.text, reply.from_bot) == (
                2,
                "start:RCM-7K3F-9Q2V",
                True,
            )
            assert reply.buttons == [
                [
                    {"text": "Yes", "callback_data": "answer:yes"},
                    {"text": "Help", "url": "https://example.org/help"},
                ]
            ]
            assert reply.protect_content is True

            # When the user presses the button, the bot answers and edits its message.
            query_id = await client.press(42, reply.message_id, "answer:yes")
            for _ in range(100):
                answer = await client.callback_answer(query_id)
                if answer["answered"]:
                    break
                await asyncio.sleep(0.02)
            assert answer == {
                "id": query_id,
                "answered": True,
                "text": "noted",
                "show_alert": False,
                "url": None,
            }

            # And plain text is echoed.
            echoed_id = await client.send_text(42, "مرحبا")
            echo_reply = await client.wait_for_bot_message(42, timeout=5)
            assert (echoed_id, echo_reply.message_id, echo_reply.text) == (3, 4, "echo:مرحبا")

            transcript = await client.transcript(42)
            assert [
                (e.message_id, e.from_bot, e.kind, e.text, e.edit_count, e.buttons)
                for e in transcript
            ] == [
                (first, False, "text", "/start RCM-7K3F-9Q2V", 0, None),
                (2, True, "text", "chose:answer:yes", 1, None),
                (3, False, "text", "مرحبا", 0, None),
                (4, True, "text", "echo:مرحبا", 0, None),
            ]
            assert transcript[0].entities == [{"type": "bot_command", "offset": 0, "length": 6}]
            counters = await client.counters()
            assert counters["requests"]["deleteWebhook"] == 1
            assert counters["requests"]["answerCallbackQuery"] == 1
            assert counters["messages_per_chat"] == {"42": 2}
        finally:
            await app.updater.stop()
            await app.stop()
