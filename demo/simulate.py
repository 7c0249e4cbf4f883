"""Scripted people who use the bot through the sandbox: for the demo, the tests, the benchmarks.

They press buttons by their callback data, not by their labels, so the same script works in
every language.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from relay.text_input import is_latin
from sandbox import SandboxClient, TranscriptEntry

REF = re.compile(r"RCM-[0-9A-Y]{4}-[0-9A-Y]{4}")
Transcript = list[TranscriptEntry]


@dataclass
class AddresseeForm:
    full_name: str
    latin_name: str | None = None
    father_name: str | None = None
    birth_date: str | None = None
    detainee_number: str | None = None
    relationship: str = "son"
    site_code: str = "ALP"


def button_with(entry: TranscriptEntry, prefix: str) -> str | None:
    """Return the first callback data of ``entry`` starting with ``prefix``."""
    for row in entry.buttons or []:
        for button in row:
            data = button.get("callback_data", "")
            if data.startswith(prefix):
                return data
    return None


@dataclass
class ScriptedUser:
    """One simulated Telegram user talking to the bot."""

    client: SandboxClient
    user_id: int
    first_name: str
    lang: str | None
    timeout: float = 15.0
    log: Callable[[str], None] | None = None
    sent_refs: list[str] = field(default_factory=list)

    async def setup(self) -> None:
        await self.client.user(self.user_id, self.first_name, language_code=self.lang)

    async def transcript(self) -> Transcript:
        return await self.client.transcript(self.user_id)

    async def mark(self) -> int:
        """Return the id of the latest message in the chat."""
        entries = await self.transcript()
        return entries[-1].message_id if entries else 0

    async def wait_until(
        self, check: Callable[[Transcript], TranscriptEntry | None]
    ) -> TranscriptEntry:
        """Poll the transcript until ``check`` finds what it looks for."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = check(await self.transcript())
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"user {self.user_id}: the bot did not answer as expected")
            await asyncio.sleep(0.02)

    async def wait_button(self, prefix: str, after: int) -> TranscriptEntry:
        """Wait for a new bot message (after ``after``) carrying a button ``prefix``."""

        def check(entries: Transcript) -> TranscriptEntry | None:
            for entry in reversed(entries):
                fresh = entry.from_bot and entry.message_id > after and not entry.deleted
                if fresh and button_with(entry, prefix):
                    return entry
            return None

        return await self.wait_until(check)

    async def wait_text(
        self, pattern: str, after: int, *, edited_ok: bool = True
    ) -> TranscriptEntry:
        """Wait for a bot message (new, or edited) whose text matches ``pattern``."""
        regex = re.compile(pattern)

        def check(entries: Transcript) -> TranscriptEntry | None:
            for entry in reversed(entries):
                fresh = entry.message_id > after or (edited_ok and entry.edit_count > 0)
                if entry.from_bot and fresh and regex.search(entry.text or entry.caption or ""):
                    return entry
            return None

        return await self.wait_until(check)

    async def wait_reply(self, after: int) -> TranscriptEntry:
        """Wait for the next bot message after ``after``."""

        def check(entries: Transcript) -> TranscriptEntry | None:
            for entry in entries:
                if entry.from_bot and entry.message_id > after:
                    return entry
            return None

        return await self.wait_until(check)

    async def say(self, text: str) -> int:
        """Send text; return its message id."""
        return await self.client.send_text(self.user_id, text)

    async def press(self, entry: TranscriptEntry, prefix: str) -> int:
        """Press the button of ``entry`` whose data starts with ``prefix``; return a mark."""
        data = button_with(entry, prefix)
        if data is None:
            raise LookupError(f"no button {prefix!r} on message {entry.message_id}")
        mark = await self.mark()
        await self.client.press(self.user_id, entry.message_id, data)
        return mark

    async def press_then(self, entry: TranscriptEntry, prefix: str, want: str) -> TranscriptEntry:
        """Press ``prefix``; wait for a bot message (new, or ``entry`` edited) with ``want``."""
        mark = await self.press(entry, prefix)

        def check(entries: Transcript) -> TranscriptEntry | None:
            for e in reversed(entries):
                changed = e.message_id > mark or (
                    e.message_id == entry.message_id and e.edit_count > entry.edit_count
                )
                if e.from_bot and changed and not e.deleted and button_with(e, want):
                    return e
            return None

        return await self.wait_until(check)

    async def type_then(self, text: str, want: str) -> TranscriptEntry:
        """Type text; wait for a new bot message with a button ``want``."""
        mark = await self.say(text)
        return await self.wait_button(want, mark)

    async def answer(self, text: str | None) -> TranscriptEntry:
        """Type ``text`` at a step, or press Skip when None; return the next prompt."""
        if text is None:
            last = await self.wait_button("new:skip", 0)
            mark = await self.press(last, "new:skip")
        else:
            mark = await self.say(text)
        return await self.wait_reply(mark)

    # -- stories ---------------------------------------------------------------------------
    async def onboard(self, full_name: str, latin_name: str | None = None) -> None:
        """/start, accept the notice, give one's name."""
        await self.setup()
        mark = await self.say("/start")
        if self.lang is None:
            picker = await self.wait_button("lang:set:", mark)
            mark = await self.press(picker, "lang:set:en")
        notice = await self.wait_button("consent:yes", mark)
        mark = await self.press(notice, "consent:yes")
        await self.wait_button("new:cancel", mark)
        await self.answer(full_name)
        if not is_latin(full_name):  # the Latin spelling is asked for
            await self.answer(latin_name)

    async def begin_new_addressee(self) -> None:
        """/new, then "someone new": return when the addressee's name is asked for."""
        mark = await self.say("/new")
        pick = await self.wait_button("new:to:", mark)
        mark = await self.press(pick, "new:to:new")
        await self.wait_button("new:cancel", mark)

    async def write(
        self, form: AddresseeForm | str, text: str, *, photo: bytes | None = None
    ) -> str:
        """Compose and send a message; return its reference.

        ``form`` is a new addressee, or the id of one already known (``a_...``).
        """
        mark = await self.say("/new")
        pick = await self.wait_button("new:to:", mark)
        if isinstance(form, str):
            mark = await self.press(pick, f"new:to:{form}")
            await self.wait_button("new:cancel", mark)
        else:
            mark = await self.press(pick, "new:to:new")
            await self.wait_button("new:cancel", mark)
            prompt = await self.answer(form.full_name)
            if not is_latin(form.full_name):  # the Latin spelling is asked for
                prompt = await self.answer(form.latin_name)
            prompt = await self.answer(form.father_name)
            prompt = await self.answer(form.birth_date)
            if button_with(prompt, "new:ok"):  # a Solar Hijri date is confirmed
                mark = await self.press(prompt, "new:ok")
                prompt = await self.wait_reply(mark)
            prompt = await self.answer(form.detainee_number)
            mark = await self.press(prompt, f"new:rel:{form.relationship}")
            sites = await self.wait_button("new:site:", mark)
            mark = await self.press(sites, f"new:site:{form.site_code}")
            confirm = await self.wait_button("new:ok", mark)
            mark = await self.press(confirm, "new:ok")
            await self.wait_button("new:cancel", mark)
        mark = await self.say(text)
        photo_step = await self.wait_button("new:skip", mark)
        if photo is not None:
            mark = await self.client.send_photo(self.user_id, photo)
        else:
            mark = await self.press(photo_step, "new:skip")
        preview = await self.wait_button("new:send", mark)
        mark = await self.press(preview, "new:send")
        # The preview itself turns into "Sent": an older edited "Sent" must not match.
        done = await self.wait_text(
            REF.pattern + r"[\s\S]*/status", preview.message_id - 1, edited_ok=False
        )
        found = REF.search(done.text or "")
        assert found is not None
        self.sent_refs.append(found.group(0))
        return found.group(0)
