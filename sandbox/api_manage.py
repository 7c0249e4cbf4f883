"""Bot API methods beyond sending: edits, deletions, callbacks, files, commands, webhooks."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.api import (
    MAX_DOWNLOAD_BYTES,
    ApiError,
    Call,
    bad_request,
    check_rate,
    existing_message,
    method,
    parse_body,
    parse_markup,
    target_chat,
)
from sandbox.limits import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from sandbox.state import JSON, ChatMessage, now
from sandbox.webhooks import deliverable

_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _editable(call: Call) -> ChatMessage:
    chat = target_chat(call)
    msg = existing_message(call, chat, "message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


async def _finish_edit(call: Call, msg: ChatMessage, old: tuple[Any, ...]) -> JSON:
    if old == (msg.text, msg.caption, msg.entities, msg.inline_markup):
        raise bad_request(_NOT_MODIFIED)
    check_rate(call, call.world.chat(call.bot, msg.chat_id))
    msg.edit_history.append(old[0] if old[0] is not None else old[1])
    msg.edit_date = now()
    await call.world.notify(call.bot)
    return call.world.render(call.bot, msg)


def _inline_only(call: Call) -> JSON | None:
    inline, keyboard = parse_markup(call)
    if keyboard is not None:
        # Telegram only lets edits carry inline keyboards.
        raise bad_request("inline keyboard expected")
    return inline


@method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    """Replace the text (and inline keyboard) of one of the bot's messages."""
    msg = _editable(call)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = parse_body(call, "text", MAX_TEXT_LENGTH, required=True)
    inline = _inline_only(call)
    old = (msg.text, msg.caption, list(msg.entities), msg.inline_markup)
    msg.text, msg.entities, msg.inline_markup = text, entities, inline
    try:
        return await _finish_edit(call, msg, old)
    except ApiError:
        msg.text, msg.entities, msg.inline_markup = old[0], old[2], old[3]
        raise


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> Any:
    """Replace the caption (and inline keyboard) of one of the bot's media messages."""
    msg = _editable(call)
    if msg.text is not None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = parse_body(call, "caption", MAX_CAPTION_LENGTH, required=False)
    inline = _inline_only(call)
    old = (msg.text, msg.caption, list(msg.entities), msg.inline_markup)
    msg.caption, msg.entities, msg.inline_markup = caption, entities, inline
    try:
        return await _finish_edit(call, msg, old)
    except ApiError:
        msg.caption, msg.entities, msg.inline_markup = old[1], old[2], old[3]
        raise


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    """Replace or remove the inline keyboard of one of the bot's messages."""
    msg = _editable(call)
    inline = _inline_only(call)
    old = (msg.text, msg.caption, list(msg.entities), msg.inline_markup)
    msg.inline_markup = inline
    try:
        return await _finish_edit(call, msg, old)
    except ApiError:
        msg.inline_markup = old[3]
        raise


@method("deleteMessage")
async def delete_message(call: Call) -> Any:
    """Delete a message in a private chat (the bot's own or the user's)."""
    chat_id = call.params.get_int("chat_id", required=True)
    chat = call.bot.chats.get(chat_id or 0)
    if chat is None:
        raise bad_request("chat not found")
    msg = existing_message(call, chat, "message to delete not found")
    msg.deleted = True
    await call.world.notify(call.bot)
    return True


@method("deleteMessages")
async def delete_messages(call: Call) -> Any:
    """Delete several messages; those already gone are skipped, as Telegram does."""
    chat_id = call.params.get_int("chat_id", required=True)
    chat = call.bot.chats.get(chat_id or 0)
    ids = call.params.get_json("message_ids")
    if chat is None:
        raise bad_request("chat not found")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message_ids is empty")
    for mid in ids:
        msg = chat.messages.get(int(mid))
        if msg is not None:
            msg.deleted = True
    await call.world.notify(call.bot)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> Any:
    """Answer a callback query once."""
    query_id = call.params.get_str("callback_query_id", required=True)
    record = call.world.callbacks.get(query_id or "")
    if record is None or record.answered or record.bot_id != call.bot.id:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answered = True
    record.text = call.params.get_str("text")
    record.show_alert = call.params.get_bool("show_alert")
    record.url = call.params.get_str("url")
    await call.world.notify(call.bot)
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    """Accept a chat action (typing ...) for an existing chat."""
    target_chat(call)
    if call.params.get_str("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("getFile")
async def get_file(call: Call) -> Any:
    """Describe a stored file so that it can be downloaded from /file/bot<token>/<path>."""
    file_id = call.params.get_str("file_id", required=True)
    stored = call.world.files.get(file_id or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.to_api_file()


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.params.get_json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), call.params.get_str("language_code") or ""


@method("setMyCommands")
async def set_my_commands(call: Call) -> Any:
    """Store the command menu for a scope and language."""
    commands = call.params.get_json("commands")
    if not isinstance(commands, list):
        raise bad_request("commands is empty")
    if len(commands) > 100:
        raise bad_request("too many commands")
    clean: list[JSON] = []
    for entry in commands:
        if not isinstance(entry, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = str(entry.get("command", "")), str(entry.get("description", ""))
        if not _COMMAND_NAME_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be non-empty")
        clean.append({"command": name, "description": description})
    key = _commands_key(call)
    if clean:
        call.bot.commands[key] = clean
    else:
        call.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> Any:
    """Return the command menu stored for exactly this scope and language."""
    return call.bot.commands.get(_commands_key(call), [])


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> Any:
    """Forget the command menu of a scope and language."""
    call.bot.commands.pop(_commands_key(call), None)
    return True


@method("setWebhook")
async def set_webhook(call: Call) -> Any:
    """Remember a webhook URL and deliver to it when it is on loopback (sandbox/webhooks)."""
    url = call.params.get_str("url") or ""
    if url and not (url.startswith("https://") or deliverable(url)):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    call.bot.webhook_url = url
    call.bot.extra_settings["secret_token"] = call.params.get_str("secret_token") or ""
    call.bot.extra_settings["max_connections"] = call.params.get_int("max_connections") or 40
    if call.params.get_bool("drop_pending_updates"):
        call.bot.updates.clear()
    if call.world.on_webhook is not None:
        call.world.on_webhook(call.bot)
    return True


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    """Forget the webhook (and pending updates when asked)."""
    call.bot.webhook_url = ""
    if call.params.get_bool("drop_pending_updates"):
        call.bot.updates.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> Any:
    """Describe the webhook setting."""
    return {
        "url": call.bot.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.updates),
    }


@method("getChat")
async def get_chat(call: Call) -> Any:
    """Describe a private chat as a ChatFullInfo object."""
    chat = target_chat(call)
    info = call.world.user(chat.user_id).chat_api()
    info.update(accent_color_id=0, max_reaction_count=11)
    return info


@method(
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
)
async def store_setting(call: Call) -> Any:
    """Accept a bot profile setting and keep it for inspection."""
    call.bot.extra_settings[call.method.lower()] = dict(call.params.values)
    return True


@method("close", "logOut")
async def close(call: Call) -> Any:
    """Accept close/logOut; the sandbox has nothing to hand over."""
    return True
