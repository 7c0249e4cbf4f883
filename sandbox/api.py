"""Bot API calls: parameters read as Telegram reads them, the method registry, shared checks.

The methods themselves register from sandbox/api_send.py (updates, sending) and
sandbox/api_manage.py (edits, callbacks, files, commands, webhooks).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sandbox.limits import MAX_CALLBACK_DATA_BYTES, RateLimiter
from sandbox.markup import parse_text
from sandbox.state import JSON, BotState, Chat, ChatMessage, SandboxError, World

log = logging.getLogger("sandbox")

TOKEN_RE = re.compile(r"^(\d{1,19}):([A-Za-z0-9_-]+)$")
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


class ApiError(SandboxError):
    """A Bot API error answer: {"ok": false, "error_code": status, "description": ...}."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(status, description)
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    """Build a 400 answer worded as Telegram words it."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Request parameters as Telegram reads them: every value may arrive as a string."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        """Return the raw value, or None when absent."""
        return self.values.get(name)

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """Return a string parameter."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """Return an integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float) -> float:
        """Return a number parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        """Return a boolean parameter (absent means false)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        """Return a JSON-serialised parameter (reply_markup, scope ...) decoded."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def get_file(self, name: str) -> Upload | str | None:
        """Return an uploaded file (by part name or attach:// URI) or a file_id/URL string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.get_str(name)
        if value is not None and value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"wrong remote file identifier specified: {name}")
            return upload
        return value


@dataclass
class Call:
    """Everything a handler needs for one Bot API call."""

    world: World
    bot: BotState
    params: Params
    limiter: RateLimiter
    method: str

    @property
    def text_limits(self) -> bool:
        """Tell whether Telegram's text and callback-data limits are enforced."""
        return self.limiter.config.text_limits


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under Telegram method names (matched case-insensitively)."""

    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = (name, func)
        return func

    return register


def canonical_name(name: str) -> str:
    """Return Telegram's spelling of a method name, or the name lower-cased if unknown."""
    entry = METHODS.get(name.lower())
    return entry[0] if entry else name.lower()


async def dispatch(call: Call) -> Any:
    """Run a known method; the caller has already checked that it exists."""
    _, handler = METHODS[call.method.lower()]
    return await handler(call)


# -- shared checks --------------------------------------------------------------------------


def target_chat(call: Call) -> Chat:
    """Return the private chat named by chat_id, refusing as Telegram does."""
    chat_id = call.params.get_int("chat_id", required=True)
    assert chat_id is not None
    if chat_id not in call.world.users:
        raise bad_request("chat not found")
    chat = call.world.chat(call.bot, chat_id)
    if chat.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if not chat.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return chat


def existing_message(call: Call, chat: Chat, missing: str) -> ChatMessage:
    """Return the message named by message_id, or refuse with Telegram's wording."""
    if call.params.raw("inline_message_id") is not None:
        raise bad_request("inline messages are not supported by the sandbox")
    message_id = call.params.get_int("message_id", required=True)
    msg = chat.messages.get(message_id or 0)
    if msg is None or msg.deleted:
        raise bad_request(missing)
    return msg


def check_rate(call: Call, chat: Chat) -> None:
    """Apply the per-bot and per-chat send rate, answering 429 like Telegram."""
    retry_after = call.limiter.check(call.bot.id, chat.user_id)
    if retry_after is not None:
        call.world.counters.too_many_requests += 1
        log.info("429 bot=%s chat=%s retry_after=%s", call.bot.id, chat.user_id, retry_after)
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )


def parse_markup(call: Call) -> tuple[JSON | None, JSON | None]:
    """Validate reply_markup; return (inline keyboard, reply keyboard or removal)."""
    raw = call.params.get_json("reply_markup")
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return _inline_keyboard(call, raw["inline_keyboard"]), None
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        norm = [[b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows]
        return None, {**raw, "keyboard": norm}
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return None, dict(raw)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(call: Call, rows: Any) -> JSON | None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            data = button.get("callback_data")
            url = button.get("url")
            if data is not None:
                size = len(str(data).encode("utf-8"))
                if size == 0 or (call.text_limits and size > MAX_CALLBACK_DATA_BYTES):
                    raise bad_request("BUTTON_DATA_INVALID")
            elif url is not None:
                if not re.match(r"^(https?|tg)://\S+$", str(url)):
                    raise bad_request("BUTTON_URL_INVALID")
            elif len(button) == 1:
                raise bad_request("text buttons are unallowed in the inline keyboard")
    if not any(rows):
        return None
    return {"inline_keyboard": rows}


def parse_body(
    call: Call, field: str, limit: int, *, required: bool
) -> tuple[str | None, list[JSON]]:
    """Read text or caption with its parse_mode, enforcing Telegram's length limits."""
    raw = call.params.get_str(field)
    if raw is None:
        if required:
            raise bad_request("message text is empty")
        return None, []
    entities_key = "entities" if field == "text" else "caption_entities"
    plain, entities = parse_text(
        raw, call.params.get_str("parse_mode"), call.params.get_json(entities_key)
    )
    if required and not plain.strip():
        raise bad_request("message text is empty")
    if call.text_limits and len(plain) > limit:
        raise bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    return plain, entities


def reply_to(call: Call, chat: Chat) -> int | None:
    """Read reply_parameters (or the legacy reply_to_message_id)."""
    params = call.params.get_json("reply_parameters")
    target = params.get("message_id") if isinstance(params, dict) else None
    if target is None:
        target = call.params.get_int("reply_to_message_id")
    if target is None:
        return None
    msg = chat.messages.get(int(target))
    if msg is None or msg.deleted:
        raise bad_request("message to be replied not found")
    return int(target)


async def record_bot_message(call: Call, chat: Chat, msg: ChatMessage) -> JSON:
    """Store a message the bot sent, count it, wake waiters and render it."""
    chat.messages[msg.message_id] = msg
    call.world.counters.messages_per_chat[chat.user_id] += 1
    await call.world.notify(call.bot)
    log.debug("bot=%s sent message=%s kind=%s", call.bot.id, msg.message_id, msg.kind)
    return call.world.render(call.bot, msg)
