"""Control API and message life: presses, forged presses, edits, deletions, commands, markup."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from sandbox import SandboxClient, SandboxClientError

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="rv:ok:7")]])


async def test_forged_press_is_refused_unless_forced(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    sent = await ptb_bot.send_message(user, "Review", reply_markup=KEYBOARD)
    with pytest.raises(SandboxClientError) as caught:
        await client.press(user, sent.message_id, "rv:ok:8")
    assert caught.value.status == 409
    with pytest.raises(SandboxClientError):
        await client.press(user, 999, "rv:ok:7")

    query_id = await client.press(user, sent.message_id, "rv:ok:8", force=True)
    gone_id = await client.press(user, 999, "rv:ok:7", force=True)
    updates = await ptb_bot.get_updates(offset=2)
    queries = [u.callback_query for u in updates]
    assert [(q.id, q.data) for q in queries if q] == [(query_id, "rv:ok:8"), (gone_id, "rv:ok:7")]
    forged, gone = queries
    assert forged is not None
    assert forged.message is not None
    assert forged.message.message_id == sent.message_id
    assert gone is not None
    assert gone.message is not None
    assert (gone.message.message_id, gone.message.is_accessible) == (999, False)
    # A callback query is answered once only.
    assert await ptb_bot.answer_callback_query(query_id, text="ok") is True
    with pytest.raises(BadRequest) as twice:
        await ptb_bot.answer_callback_query(query_id)
    assert twice.value.message == (
        "Query is too old and response timeout expired or query id is invalid"
    )


async def test_wait_for_bot_message_long_polls_and_times_out(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    # (waiting for what comes after the user's "hello", so it does not matter whether the
    # waiter or the reply reaches the sandbox first)
    waiter = asyncio.create_task(client.wait_for_bot_message(user, after_message_id=1, timeout=3))
    await ptb_bot.send_message(user, "late reply")
    entry = await asyncio.wait_for(waiter, 2)
    assert (entry.message_id, entry.text) == (2, "late reply")
    with pytest.raises(TimeoutError):
        await client.wait_for_bot_message(user, after_message_id=2, timeout=0.2)
    last = await client.last_bot_message(user)
    assert last is not None
    assert last.message_id == 2


async def test_edits_and_their_refusals(client: SandboxClient, ptb_bot: Bot, user: int) -> None:
    sent = await ptb_bot.send_message(user, "v1", reply_markup=KEYBOARD)
    edited = await ptb_bot.edit_message_text(
        "v2", chat_id=user, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert isinstance(edited, Message)
    assert (edited.text, edited.edit_date is not None) == ("v2", True)
    with pytest.raises(BadRequest) as same:
        await ptb_bot.edit_message_text(
            "v2", chat_id=user, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    assert same.value.message.startswith("Message is not modified")
    await ptb_bot.edit_message_reply_markup(chat_id=user, message_id=sent.message_id)
    with pytest.raises(BadRequest) as users_own:
        await ptb_bot.edit_message_text("mine now", chat_id=user, message_id=1)
    assert users_own.value.message == "Message can't be edited"
    entry = (await client.transcript(user))[-1]
    assert (entry.text, entry.edit_count, entry.buttons) == ("v2", 2, None)

    # A user's edit reaches the bot as an edited_message update.
    await client.edit_text(user, 1, "/start again")
    updates = await ptb_bot.get_updates(offset=2)
    edited_update = updates[-1].edited_message
    assert edited_update is not None
    assert (edited_update.message_id, edited_update.text) == (1, "/start again")


async def test_delete_message_rules(client: SandboxClient, ptb_bot: Bot, user: int) -> None:
    sent = await ptb_bot.send_message(user, "compose draft")
    assert await ptb_bot.delete_message(user, sent.message_id) is True
    assert await ptb_bot.delete_message(user, 1) is True  # the user's message, private chat
    with pytest.raises(BadRequest) as again:
        await ptb_bot.delete_message(user, sent.message_id)
    assert again.value.message == "Message to delete not found"
    assert [(e.message_id, e.deleted) for e in await client.transcript(user)] == [
        (1, True),
        (2, True),
    ]


async def test_commands_per_language_and_scope(client: SandboxClient, ptb_bot: Bot) -> None:
    await ptb_bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await ptb_bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    await ptb_bot.set_my_commands(
        [BotCommand("forget", "Forget me")], scope=BotCommandScopeAllPrivateChats()
    )
    assert await client.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert await client.commands("ar") == [{"command": "start", "description": "ابدأ"}]
    assert await client.commands(scope='{"type": "all_private_chats"}') == [
        {"command": "forget", "description": "Forget me"}
    ]
    got = await ptb_bot.get_my_commands(language_code="ar")
    assert [(c.command, c.description) for c in got] == [("start", "ابدأ")]
    assert await ptb_bot.get_my_commands(language_code="fr") == ()
    with pytest.raises(BadRequest) as bad:
        await ptb_bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert bad.value.message == "Bot_command_invalid"


async def test_parse_modes_and_reply_keyboards(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    html = await ptb_bot.send_message(user, "Dear <b>Amal</b> &amp; family", parse_mode="HTML")
    assert (html.text, [(e.type, e.offset, e.length) for e in html.entities]) == (
        "Dear Amal & family",
        [("bold", 5, 4)],
    )
    with pytest.raises(BadRequest) as unescaped:
        await ptb_bot.send_message(user, "From <Omar>", parse_mode="HTML")
    # PTB capitalises Telegram's description, lower-casing the rest.
    assert unescaped.value.message == (
        'Can\'t parse entities: unsupported start tag "omar" at byte offset 5'
    )
    md = await ptb_bot.send_message(user, r"*RCM\-7K3F* ok\.", parse_mode="MarkdownV2")
    assert md.text == "RCM-7K3F ok."
    with pytest.raises(BadRequest) as reserved:
        await ptb_bot.send_message(user, "RCM-7K3F.", parse_mode="MarkdownV2")
    assert reserved.value.message == (
        "Can't parse entities: character '-' is reserved and must be escaped with the "
        "preceding '\\'"
    )
    await ptb_bot.send_message(
        user, "Pick", reply_markup=ReplyKeyboardMarkup([["العربية", "English"]])
    )
    await ptb_bot.send_message(user, "Done", reply_markup=ReplyKeyboardRemove())
    kb, removed = (await client.transcript(user))[-2:]
    assert (kb.reply_keyboard, kb.remove_keyboard) == ([["العربية", "English"]], False)
    assert (removed.reply_keyboard, removed.remove_keyboard) == (None, True)


async def test_reset_forgets_the_world(client: SandboxClient, ptb_bot: Bot, user: int) -> None:
    await client.reset()
    assert await client.health() == {"bots": []}
    with pytest.raises(SandboxClientError) as caught:
        await client.transcript(user)
    assert caught.value.status in (404, 409)
