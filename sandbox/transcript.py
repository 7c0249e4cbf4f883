"""A chat message as the control API shows it to tests: who sent it, what it shows, buttons.

Plain JSON (sandbox.client.TranscriptEntry reads it back), so clients in other processes
see exactly what a person would.
"""

from __future__ import annotations

from sandbox.state import JSON, ChatMessage, World


def transcript_entry(world: World, msg: ChatMessage) -> JSON:
    """Render a chat message for tests: who sent it, what it shows, what can be pressed."""
    stored = world.files.get(msg.file_id) if msg.file_id else None
    buttons = None
    if msg.inline_markup is not None:
        buttons = [
            [{k: v for k, v in b.items() if k in ("text", "callback_data", "url")} for b in row]
            for row in msg.inline_markup["inline_keyboard"]
        ]
    keyboard = msg.reply_keyboard or {}
    return {
        "message_id": msg.message_id,
        "chat_id": msg.chat_id,
        "from_bot": msg.from_bot,
        "kind": msg.kind,
        "date": msg.date,
        "text": msg.text,
        "caption": msg.caption,
        "entities": msg.entities,
        "buttons": buttons,
        "reply_keyboard": [[b["text"] for b in row] for row in keyboard["keyboard"]]
        if "keyboard" in keyboard
        else None,
        "remove_keyboard": bool(keyboard.get("remove_keyboard")),
        "protect_content": msg.protect_content,
        "deleted": msg.deleted,
        "edit_count": len(msg.edit_history),
        "file_id": msg.file_id,
        "file_name": stored.file_name if stored else None,
        "mime_type": stored.mime_type if stored else None,
        "reply_to": msg.reply_to,
        "extra": msg.extra,
    }
