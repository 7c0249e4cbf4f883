"""Bot API methods that read updates and send messages (getUpdates, sendMessage, media).

Importing this module registers them (sandbox/server.py does); the call machinery and the
checks they share are in sandbox/api.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.api import (
    ApiError,
    Call,
    Upload,
    bad_request,
    check_rate,
    method,
    parse_body,
    parse_markup,
    record_bot_message,
    reply_to,
    target_chat,
)
from sandbox.limits import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from sandbox.state import ChatMessage, now


@method("getMe")
async def get_me(call: Call) -> Any:
    """Describe the bot."""
    return call.bot.to_api()


@method("getUpdates")
async def get_updates(call: Call) -> Any:
    """Long-poll: confirm updates below offset, wait up to timeout for one, return them."""
    bot, p = call.bot, call.params
    if bot.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    allowed = p.get_json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = frozenset(str(a) for a in allowed)
        bot.updates = [u for u in bot.updates if bot.wants(u.kind)]
    offset = p.get_int("offset")
    if offset is not None and offset < 0:
        bot.updates = bot.updates[offset:]
    elif offset is not None:
        bot.updates = [u for u in bot.updates if u.update_id >= offset]
    limit = min(max(p.get_int("limit") or 100, 1), 100)
    timeout = max(p.get_float("timeout", 0.0), 0.0)
    if not bot.updates and timeout > 0:
        bot.poll_generation += 1
        generation = bot.poll_generation
        async with bot.changed:
            bot.changed.notify_all()  # lets an older poll see that it has been superseded
            try:
                async with asyncio.timeout(timeout):
                    await bot.changed.wait_for(
                        lambda: bool(bot.updates) or bot.poll_generation != generation
                    )
            except TimeoutError:
                return []
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure "
                "that only one bot instance is running",
            )
    return [u.to_api() for u in bot.updates[:limit]]


@method("sendMessage")
async def send_message(call: Call) -> Any:
    """Send a text message to a private chat."""
    chat = target_chat(call)
    text, entities = parse_body(call, "text", MAX_TEXT_LENGTH, required=True)
    inline, keyboard = parse_markup(call)
    replied = reply_to(call, chat)
    check_rate(call, chat)
    msg = ChatMessage(
        message_id=chat.new_id(),
        chat_id=chat.user_id,
        from_bot=True,
        date=now(),
        kind="text",
        text=text,
        entities=entities,
        inline_markup=inline,
        reply_keyboard=keyboard,
        protect_content=call.params.get_bool("protect_content"),
        reply_to=replied,
    )
    return await record_bot_message(call, chat, msg)


async def _send_media(call: Call, kind: str) -> Any:
    chat = target_chat(call)
    source = call.params.get_file(kind)
    if source is None:
        raise bad_request(f"there is no {kind} in the request")
    caption, entities = parse_body(call, "caption", MAX_CAPTION_LENGTH, required=False)
    inline, keyboard = parse_markup(call)
    replied = reply_to(call, chat)
    if isinstance(source, Upload):
        mime = source.content_type
        if kind == "document" and mime in (None, "application/octet-stream"):
            mime = guess_mime(source.filename)
        stored = call.world.store_file(
            kind,
            source.data,
            file_name=source.filename if kind == "document" else None,
            mime_type=mime,
        )
    elif source.startswith(("http://", "https://")):
        # The sandbox never reaches the internet, so a URL cannot be fetched.
        raise bad_request("failed to get HTTP URL content")
    else:
        stored = call.world.file(source)
    check_rate(call, chat)
    msg = ChatMessage(
        message_id=chat.new_id(),
        chat_id=chat.user_id,
        from_bot=True,
        date=now(),
        kind=kind,
        caption=caption,
        entities=entities,
        inline_markup=inline,
        reply_keyboard=keyboard,
        protect_content=call.params.get_bool("protect_content"),
        file_id=stored.file_id,
        reply_to=replied,
    )
    return await record_bot_message(call, chat, msg)


@method("sendPhoto")
async def send_photo(call: Call) -> Any:
    """Send a photo (multipart upload or file_id)."""
    return await _send_media(call, "photo")


@method("sendDocument")
async def send_document(call: Call) -> Any:
    """Send a document (multipart upload or file_id), keeping its name and bytes."""
    return await _send_media(call, "document")


@method("sendSticker")
async def send_sticker(call: Call) -> Any:
    """Send a sticker."""
    return await _send_media(call, "sticker")


@method("sendVoice")
async def send_voice(call: Call) -> Any:
    """Send a voice note."""
    return await _send_media(call, "voice")


def guess_mime(filename: str | None) -> str:
    """Guess a MIME type from a file name, as Telegram does for documents."""
    import mimetypes

    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or "application/octet-stream"
