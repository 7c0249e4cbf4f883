"""SandboxClient: play users and inspect chats through the control API, from any process."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

JSON = dict[str, Any]


class SandboxClientError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SimUser:
    """A simulated user as the sandbox knows it."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a private chat as a test sees it."""

    message_id: int
    chat_id: int
    from_bot: bool
    kind: str
    date: int
    text: str | None
    caption: str | None
    buttons: list[list[dict[str, str]]] | None
    reply_keyboard: list[list[str]] | None
    remove_keyboard: bool
    protect_content: bool
    deleted: bool
    edit_count: int
    file_id: str | None
    file_name: str | None
    mime_type: str | None
    reply_to: int | None
    entities: list[JSON] = field(default_factory=list)
    extra: JSON = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: JSON) -> TranscriptEntry:
        """Build from the control API's JSON."""
        return cls(**data)

    @property
    def button_texts(self) -> list[str]:
        """Return the inline button labels, row by row, flattened."""
        return [b["text"] for row in self.buttons or [] for b in row]

    def callback_data(self, text: str) -> str:
        """Return the callback_data of the inline button labelled text."""
        for row in self.buttons or []:
            for button in row:
                if button["text"] == text and "callback_data" in button:
                    return button["callback_data"]
        raise KeyError(f"no callback button labelled {text!r}")


class SandboxClient:
    """Async client of the sandbox control API (`async with SandboxClient(root) as c:`)."""

    def __init__(self, api_root: str, *, bot_id: int | None = None) -> None:
        self.api_root = api_root.rstrip("/")
        self.bot_id = bot_id
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxClient:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        verb: str,
        path: str,
        body: JSON | None = None,
        query: dict[str, str] | None = None,
        *,
        wait_seconds: float = 30.0,
        raw: bool = False,
    ) -> Any:
        if self._session is None:
            raise RuntimeError("use `async with SandboxClient(...)`")
        query = dict(query or {})
        if self.bot_id is not None:
            query.setdefault("bot_id", str(self.bot_id))
        async with self._session.request(
            verb,
            f"{self.api_root}/_sandbox{path}",
            json=body,
            params=query,
            timeout=aiohttp.ClientTimeout(total=wait_seconds),
        ) as resp:
            if raw and resp.status == 200:
                return await resp.read()
            payload = await resp.json()
            if resp.status != 200 or not payload.get("ok"):
                raise SandboxClientError(resp.status, str(payload.get("error")))
            return payload["result"]

    async def _act(self, user_id: int, action: str, body: JSON) -> JSON:
        result: JSON = await self._call("POST", f"/users/{user_id}/{action}", body)
        return result

    # -- world ------------------------------------------------------------------------------

    async def health(self) -> JSON:
        """Return liveness and the known bot ids."""
        result: JSON = await self._call("GET", "/health")
        return result

    async def ensure_bot(self, bot_id: int) -> JSON:
        """Make a bot known before it first calls the API."""
        result: JSON = await self._call("POST", "/bots", {"bot_id": bot_id})
        return result

    async def user(
        self,
        id: int,  # mirrors Telegram's field name
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SimUser:
        """Create or update a simulated user."""
        await self._call(
            "POST",
            "/users",
            {
                "id": id,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
            },
        )
        return SimUser(id, first_name, last_name, username, language_code)

    # -- what users do ----------------------------------------------------------------------

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[JSON] | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Send text as the user (a leading /command gets its bot_command entity); return id."""
        body: JSON = {"text": text, "reply_to": reply_to}
        if entities is not None:
            body["entities"] = entities
        return int((await self._act(user_id, "text", body))["message_id"])

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> int:
        """Send a photo as the user; return the message id."""
        body = {"data": base64.b64encode(data).decode(), "caption": caption}
        return int((await self._act(user_id, "photo", body))["message_id"])

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        mime: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        """Send a document as the user; return the message id."""
        body = {
            "data": base64.b64encode(data).decode(),
            "filename": filename,
            "mime_type": mime,
            "caption": caption,
        }
        return int((await self._act(user_id, "document", body))["message_id"])

    async def send_sticker(self, user_id: int, data: bytes = b"RIFF0000WEBP") -> int:
        """Send a sticker as the user; return the message id."""
        body = {"data": base64.b64encode(data).decode()}
        return int((await self._act(user_id, "sticker", body))["message_id"])

    async def send_voice(self, user_id: int, data: bytes, duration: int = 1) -> int:
        """Send a voice note as the user; return the message id."""
        body = {"data": base64.b64encode(data).decode(), "duration": duration}
        return int((await self._act(user_id, "voice", body))["message_id"])

    async def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        """Share a location as the user; return the message id."""
        body = {"latitude": latitude, "longitude": longitude}
        return int((await self._act(user_id, "location", body))["message_id"])

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        contact_user_id: int | None = None,
    ) -> int:
        """Share a contact as the user; return the message id."""
        body = {
            "phone_number": phone_number,
            "first_name": first_name,
            "last_name": last_name,
            "user_id": contact_user_id,
        }
        return int((await self._act(user_id, "contact", body))["message_id"])

    async def press(
        self, user_id: int, message_id: int, callback_data: str, force: bool = False
    ) -> str:
        """Press an inline button (force=True forges one); return the callback query id."""
        body = {"message_id": message_id, "callback_data": callback_data, "force": force}
        return str((await self._act(user_id, "press", body))["callback_query_id"])

    async def edit_text(self, user_id: int, message_id: int, text: str) -> None:
        """Edit one of the user's text messages (an edited_message update)."""
        await self._act(user_id, "edit", {"message_id": message_id, "text": text})

    async def block(self, user_id: int, blocked: bool = True) -> None:
        """Make the user block (or unblock) the bot."""
        await self._act(user_id, "block", {"blocked": blocked})

    # -- what tests read --------------------------------------------------------------------

    async def transcript(self, chat_id: int) -> list[TranscriptEntry]:
        """Return every message of the chat in order."""
        rows = await self._call("GET", f"/chats/{chat_id}/transcript")
        return [TranscriptEntry.from_json(r) for r in rows]

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after_message_id: int | None = None,
        # The wait happens server-side (a long poll), so a plain timeout argument is right here.
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> TranscriptEntry:
        """Wait for the first bot message after a message id (default: the user's last one)."""
        query = {"timeout": str(timeout)}
        if after_message_id is not None:
            query["after"] = str(after_message_id)
        try:
            row = await self._call(
                "GET", f"/chats/{chat_id}/wait", query=query, wait_seconds=timeout + 10.0
            )
        except SandboxClientError as err:
            if err.status == 408:
                raise TimeoutError(f"no bot message in chat within {timeout}s") from None
            raise
        return TranscriptEntry.from_json(row)

    async def last_bot_message(self, chat_id: int) -> TranscriptEntry | None:
        """Return the bot's latest message in the chat, or None."""
        bot_msgs = [e for e in await self.transcript(chat_id) if e.from_bot]
        return bot_msgs[-1] if bot_msgs else None

    async def file_bytes(self, file_id: str) -> bytes:
        """Return the bytes of a file sent by the bot or a user."""
        data: bytes = await self._call("GET", f"/files/{file_id}", raw=True)
        return data

    async def callback_answer(self, query_id: str) -> JSON:
        """Return how the bot answered a callback query (answered, text, show_alert, url)."""
        result: JSON = await self._call("GET", f"/callbacks/{query_id}")
        return result

    async def commands(self, language_code: str = "", scope: str | None = None) -> list[JSON]:
        """Return the command menu set for a language (and scope JSON, default scope)."""
        query = {"language_code": language_code}
        if scope is not None:
            query["scope"] = scope
        result: list[JSON] = await self._call("GET", "/commands", query=query)
        return result

    async def set_limits(self, **changes: Any) -> JSON:
        """Change limits at runtime (text_limits, rate_limits, chat_rate ...)."""
        result: JSON = await self._call("POST", "/limits", changes)
        return result

    async def set_faults(self, **changes: Any) -> JSON:
        """Change fault injection at runtime (error_500, drop, delay, methods, seed ...)."""
        if isinstance(changes.get("methods"), set | frozenset | tuple):
            changes["methods"] = sorted(changes["methods"])
        result: JSON = await self._call("POST", "/faults", changes)
        return result

    async def counters(self) -> JSON:
        """Return request, 429, fault and per-chat message counters."""
        result: JSON = await self._call("GET", "/counters")
        return result

    async def reset(self) -> None:
        """Forget every bot, user, chat and file; switch faults off."""
        await self._call("POST", "/reset")
