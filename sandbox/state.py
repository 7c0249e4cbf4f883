"""In-memory world of the sandbox: bots, simulated users, private chats, updates, files."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.files import StoredFile, new_file

JSON = dict[str, Any]

# Telegram delivers these unless a bot asks for them explicitly in allowed_updates.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# A command as Telegram recognises it: at the start of the text or after whitespace.
_COMMAND_RE = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """Return the bot_command entities Telegram would attach to a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group(0)),
        }
        for m in _COMMAND_RE.finditer(text)
    ]


class SandboxError(Exception):
    """A refused control or API operation, carrying the HTTP status to answer with."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class SimUser:
    """A simulated Telegram user (never a bot)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> JSON:
        """Render as a Telegram User object."""
        out: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def chat_api(self) -> JSON:
        """Render the private chat with this user as a Telegram Chat object."""
        out: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            out["last_name"] = self.last_name
        if self.username is not None:
            out["username"] = self.username
        return out


@dataclass
class ChatMessage:
    """One message in a private chat, sent by the bot or by the user."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str
    text: str | None = None
    caption: str | None = None
    entities: list[JSON] = field(default_factory=list)
    inline_markup: JSON | None = None
    reply_keyboard: JSON | None = None
    protect_content: bool = False
    deleted: bool = False
    edit_history: list[str | None] = field(default_factory=list)
    edit_date: int | None = None
    file_id: str | None = None
    extra: JSON = field(default_factory=dict)
    reply_to: int | None = None


@dataclass
class Update:
    """A queued update for one bot."""

    update_id: int
    kind: str
    payload: JSON

    def to_api(self) -> JSON:
        """Render as a Telegram Update object."""
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class CallbackRecord:
    """A callback query produced by a button press, and the bot's answer to it."""

    id: str
    bot_id: int
    user_id: int
    message_id: int
    data: str
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class Chat:
    """The private chat between one bot and one user; message ids are per chat."""

    user_id: int
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    started: bool = False
    blocked: bool = False

    def new_id(self) -> int:
        """Allocate the next message id in this chat."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class BotState:
    """One bot known to the sandbox, identified by the numeric part of its token."""

    id: int
    updates: list[Update] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] | None = None
    webhook_url: str = ""
    # Bumped by each long poll so that a newer getUpdates ends an older one, as Telegram does.
    poll_generation: int = 0
    extra_settings: dict[str, Any] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    # Wakes long polls (new update) and wait_for_bot_message (new bot message).
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def username(self) -> str:
        """Return the bot's username, derived from its id."""
        return f"sandbox_{self.id}_bot"

    def to_api(self) -> JSON:
        """Render the bot as a Telegram User object (the answer of getMe)."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": f"Sandbox {self.id}",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def wants(self, kind: str) -> bool:
        """Tell whether an update of this kind is delivered under the current allowed_updates."""
        if self.allowed_updates is None or not self.allowed_updates:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates


@dataclass
class Counters:
    """Figures for tests and benchmarks."""

    requests: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    messages_per_chat: Counter[int] = field(default_factory=Counter)

    def to_json(self) -> JSON:
        """Render as plain JSON."""
        return {
            "requests": dict(self.requests),
            "too_many_requests": self.too_many_requests,
            "faults": dict(self.faults),
            "messages_per_chat": {str(k): v for k, v in self.messages_per_chat.items()},
        }


class World:
    """Everything the sandbox knows; lives in memory only and is shared by API and control."""

    def __init__(self) -> None:
        self.bots: dict[int, BotState] = {}
        self.users: dict[int, SimUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.counters = Counters()
        self._file_seq = 0
        self._callback_seq = 0
        # Called when a bot sets a webhook (the server's delivery loop listens here).
        self.on_webhook: Callable[[BotState], None] | None = getattr(self, "on_webhook", None)

    def reset(self) -> None:
        """Forget everything, as if the server had just started."""
        self.__init__()  # type: ignore[misc]

    # -- bots and users -------------------------------------------------------------------

    def ensure_bot(self, bot_id: int) -> BotState:
        """Return the bot with this id, creating it on first sight as Telegram knows any token."""
        bot = self.bots.get(bot_id)
        if bot is None:
            bot = self.bots[bot_id] = BotState(id=bot_id)
        return bot

    def resolve_bot(self, bot_id: int | None) -> BotState:
        """Return the given bot, or the only one known when none is named."""
        if bot_id is not None:
            return self.ensure_bot(bot_id)
        if len(self.bots) == 1:
            return next(iter(self.bots.values()))
        if not self.bots:
            raise SandboxError(409, "no bot has called the API yet; pass bot_id")
        raise SandboxError(409, "several bots are known; pass bot_id")

    def user(self, user_id: int) -> SimUser:
        """Return a known simulated user."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxError(404, f"unknown user {user_id}") from None

    def chat(self, bot: BotState, chat_id: int) -> Chat:
        """Return the private chat of a bot with a known user, creating it empty."""
        self.user(chat_id)
        chat = bot.chats.get(chat_id)
        if chat is None:
            chat = bot.chats[chat_id] = Chat(user_id=chat_id)
        return chat

    # -- files ----------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int = 0,
    ) -> StoredFile:
        """Keep bytes under a fresh file_id and file_path."""
        self._file_seq += 1
        stored = new_file(
            self._file_seq, kind, data, file_name=file_name, mime_type=mime_type, duration=duration
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        """Return a stored file by id."""
        stored = self.files.get(file_id)
        if stored is None:
            raise SandboxError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored

    # -- rendering ------------------------------------------------------------------------

    def render(self, bot: BotState, msg: ChatMessage, *, nested: bool = True) -> JSON:
        """Render a chat message as a Telegram Message object."""
        user = self.user(msg.chat_id)
        out: JSON = {
            "message_id": msg.message_id,
            "from": bot.to_api() if msg.from_bot else user.to_api(),
            "chat": user.chat_api(),
            "date": msg.date,
        }
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.caption is not None:
            out["caption"] = msg.caption
            if msg.entities:
                out["caption_entities"] = msg.entities
        if msg.file_id is not None:
            media = self.files[msg.file_id].media_api()
            out[msg.kind] = [media] if msg.kind == "photo" else media
        out.update(msg.extra)
        if msg.inline_markup is not None:
            out["reply_markup"] = msg.inline_markup
        if msg.protect_content:
            out["has_protected_content"] = True
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if nested and msg.reply_to is not None:
            target = bot.chats[msg.chat_id].messages.get(msg.reply_to)
            if target is not None and not target.deleted:
                out["reply_to_message"] = self.render(bot, target, nested=False)
        return out

    # -- updates --------------------------------------------------------------------------

    async def enqueue(self, bot: BotState, kind: str, payload: JSON) -> Update | None:
        """Queue an update for a bot and wake its long poll; drop it if the bot opted out."""
        if not bot.wants(kind):
            return None
        update = Update(update_id=bot.next_update_id, kind=kind, payload=payload)
        bot.next_update_id += 1
        bot.updates.append(update)
        async with bot.changed:
            bot.changed.notify_all()
        return update

    async def notify(self, bot: BotState) -> None:
        """Wake everyone waiting on this bot (e.g. for a new bot message)."""
        async with bot.changed:
            bot.changed.notify_all()

    def new_callback_id(self) -> str:
        """Allocate a fresh callback query id."""
        self._callback_seq += 1
        return f"{self._callback_seq:016d}"


def now() -> int:
    """Return the current Unix time in whole seconds, as Telegram dates are."""
    return int(time.time())
