"""Control API under /_sandbox/: play the users, read transcripts, tune limits and faults.

Sandbox-only: a bot never calls these. Bytes travel base64-encoded in JSON so that the
control API stays plain JSON for clients in other processes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.limits import FaultInjector, RateLimiter
from sandbox.state import (
    JSON,
    BotState,
    CallbackRecord,
    ChatMessage,
    SandboxError,
    SimUser,
    World,
    command_entities,
    now,
)
from sandbox.transcript import transcript_entry

log = logging.getLogger("sandbox")
PREFIX = "/_sandbox"
ControlHandler = Callable[[web.Request], Awaitable[Any]]


def _b64(body: JSON, key: str = "data") -> bytes:
    try:
        return base64.b64decode(str(body[key]), validate=True)
    except (KeyError, binascii.Error):
        raise SandboxError(400, f"{key} must be base64") from None


class ControlApi:
    """Handlers of the control endpoints over one World."""

    def __init__(self, world: World, limiter: RateLimiter, faults: FaultInjector) -> None:
        self.world = world
        self.limiter = limiter
        self.faults = faults

    def routes(self) -> list[web.RouteDef]:
        """Return the aiohttp routes of the control API."""
        p = PREFIX
        table: list[tuple[str, str, ControlHandler]] = [
            ("GET", "/health", self.health),
            ("POST", "/bots", self.ensure_bot),
            ("POST", "/users", self.ensure_user),
            ("POST", "/users/{user_id}/{action}", self.user_action),
            ("GET", "/chats/{chat_id}/transcript", self.transcript),
            ("GET", "/chats/{chat_id}/wait", self.wait),
            ("GET", "/files/{file_id}", self.file_bytes),
            ("GET", "/callbacks/{query_id}", self.callback),
            ("GET", "/commands", self.commands),
            ("GET", "/limits", self.limits),
            ("POST", "/limits", self.limits),
            ("GET", "/faults", self.faults_view),
            ("POST", "/faults", self.faults_view),
            ("GET", "/counters", self.counters),
            ("POST", "/reset", self.reset),
        ]
        return [web.route(verb, p + path, self._wrap(h)) for verb, path, h in table]

    @staticmethod
    def _wrap(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                result = await handler(request)
            except SandboxError as err:
                return web.json_response(
                    {"ok": False, "error": err.description}, status=err.status
                )
            except (ValueError, TypeError, KeyError) as err:
                return web.json_response({"ok": False, "error": f"bad request: {err}"}, status=400)
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response({"ok": True, "result": result})

        return run

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    async def _body(request: web.Request) -> JSON:
        if not request.can_read_body:
            return {}
        body = await request.json()
        if not isinstance(body, dict):
            raise SandboxError(400, "expected a JSON object")
        return body

    def _bot(self, request: web.Request, body: JSON | None = None) -> BotState:
        raw = (body or {}).get("bot_id", request.query.get("bot_id"))
        return self.world.resolve_bot(int(raw) if raw is not None else None)

    # -- endpoints --------------------------------------------------------------------------

    async def health(self, request: web.Request) -> Any:
        """Report liveness and the known bots."""
        return {"bots": sorted(self.world.bots)}

    async def ensure_bot(self, request: web.Request) -> Any:
        """Make a bot known before it calls the API, so users can write to it first."""
        body = await self._body(request)
        return self.world.ensure_bot(int(body["bot_id"])).to_api()

    async def ensure_user(self, request: web.Request) -> Any:
        """Create or update a simulated user."""
        body = await self._body(request)
        user = SimUser(
            id=int(body["id"]),
            first_name=str(body["first_name"]),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
        )
        if user.id <= 0:
            raise SandboxError(400, "user ids are positive")
        self.world.users[user.id] = user
        return user.to_api()

    async def user_action(self, request: web.Request) -> Any:
        """Perform one action of a simulated user in its private chat with the bot."""
        action = request.match_info["action"]
        body = await self._body(request)
        user = self.world.user(int(request.match_info["user_id"]))
        bot = self._bot(request, body)
        handlers: dict[str, Callable[[BotState, SimUser, JSON], Awaitable[JSON]]] = {
            "text": self._text,
            "photo": self._photo,
            "document": self._document,
            "sticker": self._sticker,
            "voice": self._voice,
            "location": self._location,
            "contact": self._contact,
            "press": self._press,
            "edit": self._edit,
            "block": self._block,
        }
        if action not in handlers:
            raise SandboxError(404, f"unknown user action {action}")
        return await handlers[action](bot, user, body)

    async def _post(self, bot: BotState, user: SimUser, body: JSON, **fields: Any) -> JSON:
        chat = self.world.chat(bot, user.id)
        if chat.blocked:
            raise SandboxError(409, "the user has blocked the bot; unblock first")
        chat.started = True
        reply_to = body.get("reply_to")
        msg = ChatMessage(
            message_id=chat.new_id(),
            chat_id=user.id,
            from_bot=False,
            date=now(),
            reply_to=int(reply_to) if reply_to else None,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        update = await self.world.enqueue(bot, "message", self.world.render(bot, msg))
        log.debug("user=%s posted message=%s kind=%s", user.id, msg.message_id, msg.kind)
        return {"message_id": msg.message_id, "update_id": update.update_id if update else None}

    async def _text(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        text = str(body["text"])
        if not text.strip():
            raise SandboxError(400, "Telegram clients do not send empty messages")
        entities = body.get("entities")
        if entities is None:
            entities = command_entities(text)
        return await self._post(bot, user, body, kind="text", text=text, entities=entities)

    async def _media(
        self, bot: BotState, user: SimUser, body: JSON, kind: str, **file_fields: Any
    ) -> JSON:
        stored = self.world.store_file(kind, _b64(body), **file_fields)
        caption = body.get("caption")
        return await self._post(
            bot,
            user,
            body,
            kind=kind,
            file_id=stored.file_id,
            caption=str(caption) if caption is not None else None,
        )

    async def _photo(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        return await self._media(bot, user, body, "photo")

    async def _document(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        return await self._media(
            bot,
            user,
            body,
            "document",
            file_name=str(body.get("filename") or "file.bin"),
            mime_type=str(body.get("mime_type") or "application/octet-stream"),
        )

    async def _sticker(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        return await self._media(bot, user, body, "sticker")

    async def _voice(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        return await self._media(
            bot, user, body, "voice", mime_type="audio/ogg", duration=int(body.get("duration", 1))
        )

    async def _location(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        loc = {"latitude": float(body["latitude"]), "longitude": float(body["longitude"])}
        return await self._post(bot, user, body, kind="location", extra={"location": loc})

    async def _contact(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        contact: JSON = {
            "phone_number": str(body["phone_number"]),
            "first_name": str(body["first_name"]),
        }
        for key in ("last_name", "user_id", "vcard"):
            if body.get(key) is not None:
                contact[key] = body[key]
        return await self._post(bot, user, body, kind="contact", extra={"contact": contact})

    async def _press(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        message_id, data = int(body["message_id"]), str(body["callback_data"])
        chat = self.world.chat(bot, user.id)
        msg = chat.messages.get(message_id)
        buttons = (
            [b for row in (msg.inline_markup or {}).get("inline_keyboard", []) for b in row]
            if msg is not None and not msg.deleted
            else []
        )
        if not any(b.get("callback_data") == data for b in buttons) and not body.get("force"):
            raise SandboxError(409, f"message {message_id} has no button with that data")
        chat.started = True
        query_id = self.world.new_callback_id()
        if msg is not None and not msg.deleted:
            shown = self.world.render(bot, msg)
        else:
            # A forged press on a gone message: Telegram sends an InaccessibleMessage.
            shown = {"chat": user.chat_api(), "message_id": message_id, "date": 0}
        self.world.callbacks[query_id] = CallbackRecord(
            id=query_id, bot_id=bot.id, user_id=user.id, message_id=message_id, data=data
        )
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": shown,
            "chat_instance": f"{bot.id}{user.id}",
            "data": data,
        }
        update = await self.world.enqueue(bot, "callback_query", payload)
        return {"callback_query_id": query_id, "update_id": update.update_id if update else None}

    async def _edit(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        chat = self.world.chat(bot, user.id)
        msg = chat.messages.get(int(body["message_id"]))
        if msg is None or msg.from_bot or msg.deleted or msg.text is None:
            raise SandboxError(409, "only the user's own live text messages can be edited")
        msg.edit_history.append(msg.text)
        msg.text = str(body["text"])
        msg.entities = command_entities(msg.text)
        msg.edit_date = now()
        update = await self.world.enqueue(bot, "edited_message", self.world.render(bot, msg))
        return {"message_id": msg.message_id, "update_id": update.update_id if update else None}

    async def _block(self, bot: BotState, user: SimUser, body: JSON) -> JSON:
        chat = self.world.chat(bot, user.id)
        chat.blocked = bool(body.get("blocked", True))
        return {"blocked": chat.blocked}

    async def transcript(self, request: web.Request) -> Any:
        """Return every message of a chat, in order, deleted ones flagged."""
        bot = self._bot(request)
        chat = self.world.chat(bot, int(request.match_info["chat_id"]))
        return [transcript_entry(self.world, m) for m in chat.messages.values()]

    async def wait(self, request: web.Request) -> Any:
        """Long-poll for the first bot message after a message id (default: the last user's)."""
        bot = self._bot(request)
        chat = self.world.chat(bot, int(request.match_info["chat_id"]))
        timeout = float(request.query.get("timeout", "10"))
        raw_after = request.query.get("after")
        if raw_after is not None:
            after = int(raw_after)
        else:
            after = max(
                (m.message_id for m in chat.messages.values() if not m.from_bot), default=0
            )

        def found() -> ChatMessage | None:
            return next(
                (m for m in chat.messages.values() if m.from_bot and m.message_id > after), None
            )

        async with bot.changed:
            try:
                async with asyncio.timeout(timeout):
                    await bot.changed.wait_for(lambda: found() is not None)
            except TimeoutError:
                raise SandboxError(408, "no bot message before the timeout") from None
        msg = found()
        assert msg is not None
        return transcript_entry(self.world, msg)

    async def file_bytes(self, request: web.Request) -> Any:
        """Return the raw bytes of a stored file."""
        stored = self.world.file(request.match_info["file_id"])
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def callback(self, request: web.Request) -> Any:
        """Return how the bot answered a callback query."""
        record = self.world.callbacks.get(request.match_info["query_id"])
        if record is None:
            raise SandboxError(404, "unknown callback query")
        return {
            "id": record.id,
            "answered": record.answered,
            "text": record.text,
            "show_alert": record.show_alert,
            "url": record.url,
        }

    async def commands(self, request: web.Request) -> Any:
        """Return the bot's command menu for a scope (JSON, default) and language."""
        bot = self._bot(request)
        scope = json.loads(request.query.get("scope", '{"type": "default"}'))
        key = (json.dumps(scope, sort_keys=True), request.query.get("language_code", ""))
        return bot.commands.get(key, [])

    async def limits(self, request: web.Request) -> Any:
        """Read or change the limits at runtime."""
        if request.method == "POST":
            self.limiter.configure(**await self._body(request))
        return self.limiter.config.to_json()

    async def faults_view(self, request: web.Request) -> Any:
        """Read or change fault injection at runtime."""
        if request.method == "POST":
            self.faults.configure(**await self._body(request))
        return self.faults.config.to_json()

    async def counters(self, request: web.Request) -> Any:
        """Return request, 429, fault and per-chat message counters."""
        return self.world.counters.to_json()

    async def reset(self, request: web.Request) -> Any:
        """Forget the world and switch faults off; limits keep their configuration."""
        self.world.reset()
        self.faults.configure(
            error_500=0.0,
            error_502=0.0,
            too_many_requests=0.0,
            delay=0.0,
            drop=0.0,
            drop_after=0.0,
            methods=None,
        )
        self.limiter.configure()
        return True
