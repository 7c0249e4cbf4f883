"""``rcm demo --interactive``: after the story, play any user by hand (for training staff)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import RunningBot
from bot.transport import inbox
from demo.people import ADMIN_ID, DELEGATE_ID, FATHER, MOTHER, REVIEWER_ID, SISTER
from sandbox import SandboxClient, SandboxServer, TranscriptEntry

# How long one line may take to be handled before the prompt comes back anyway (a slow
# machine); the wait ends as soon as the bot has handled it.
SETTLE_WITHIN_S = 60.0
Settle = Callable[[], Awaitable[None]]

FIRST_USER = 3001
PEOPLE = {
    ADMIN_ID: "Amina, admin",
    REVIEWER_ID: "Rana, reviewer",
    DELEGATE_ID: "Dan, delegate",
    **{f.user_id: f.who for f in (MOTHER, FATHER, SISTER)},
}

HELP = f"""
Interactive mode: the sandbox and the bot keep running. Type a message to send it.
  :user ID [LANG]  play another user: a new family (any id, e.g. :user 3001 fr), or staff:
                   {ADMIN_ID} Amina (admin), {REVIEWER_ID} Rana (reviewer),
                   {DELEGATE_ID} Dan (delegate)
  :press N         press button N of the bot's last message (buttons are numbered below it)
  :photo FILE      send a photo (a family photo while writing, or a reply sheet as delegate)
  :show            show the whole chat of the current user
  :help            this text        :quit  stop everything
Try as a family: /start, then /new. As Rana: /queue, /next. As Dan: /export ALP.
"""


def _show(entry: TranscriptEntry) -> str:
    who = "bot" if entry.from_bot else "you"
    text = entry.text or entry.caption or f"[{entry.kind}]"
    lines = [f"  {who}> " + text.replace("\n", "\n       ")]
    for n, label in enumerate(entry.button_texts, start=1):
        lines.append(f"        [{n}] {label}")
    return "\n".join(lines)


def who(user_id: int, lang: str) -> str:
    """Name the person being played, for the prompt."""
    return PEOPLE.get(user_id, f"user {user_id}, a family ({lang})")


@dataclass
class Chats:
    """Which chat is played, and what was shown of each chat.

    Message ids count per chat, so each chat keeps its own seen ids: one set for all chats
    hid a new person's replies behind the ids already seen in another chat.
    """

    user: int = FIRST_USER
    label: str = field(default_factory=lambda: who(FIRST_USER, "en"))
    seen: dict[int, dict[int, int]] = field(default_factory=dict)

    def prompt(self) -> str:
        return f"[{self.label}] > "

    async def switch(self, client: SandboxClient, user_id: int, lang: str) -> int:
        """Play ``user_id`` from now on; return how many bot messages were already there."""
        earlier = {
            e.message_id: _version(e) for e in await client.transcript(user_id) if e.from_bot
        }
        # Mark what is there as seen before switching: only what comes next is printed.
        self.seen[user_id] = {**earlier, **self.seen.get(user_id, {})}
        self.user, self.label = user_id, who(user_id, lang)
        return len(earlier)

    async def fresh(self, client: SandboxClient) -> list[str]:
        """Return the current chat's new or changed bot messages, rendered, once each."""
        user = self.user
        seen = self.seen.setdefault(user, {})
        shown: list[str] = []
        for entry in await client.transcript(user):
            if entry.from_bot and seen.get(entry.message_id) != _version(entry):
                seen[entry.message_id] = _version(entry)
                shown.append(_show(entry))
        return shown


def _version(entry: TranscriptEntry) -> int:
    return entry.edit_count + (100_000 if entry.deleted else 0)


async def _follow(client: SandboxClient, chats: Chats, reading: asyncio.Event) -> None:
    """Print the bot's new messages to the current user as they arrive while the prompt
    waits for input (the answers to a line are printed by the loop that sent it)."""
    while True:
        await reading.wait()
        shown = await chats.fresh(client)
        if shown:
            print("\n" + "\n".join(shown), flush=True)
            print(chats.prompt(), end="", flush=True)
        await asyncio.sleep(0.2)


def settler(sandbox: SandboxServer, running: RunningBot) -> Settle:
    """Return a wait until the bot has handled everything sent so far.

    Nothing waits at the sandbox (the bot confirms an update only once its inbox holds it),
    nothing is pending in the inbox, every button press is answered: checked twice in a row,
    so that piped input, read at once, gets each answer before its next line is sent.
    """

    def busy_at_sandbox() -> bool:
        world = sandbox.state
        return any(bot.updates for bot in world.bots.values()) or any(
            not c.answered for c in world.callbacks.values()
        )

    async def settle() -> None:
        deadline, calm = time.monotonic() + SETTLE_WITHIN_S, 0
        while calm < 2 and time.monotonic() < deadline:
            busy = busy_at_sandbox() or bool(await inbox.pending(running.services.store))
            calm = 0 if busy else calm + 1
            await asyncio.sleep(0.05)

    return settle


async def _nothing_to_wait_for() -> None:
    return None


async def repl(
    client: SandboxClient, api_root: str, settle: Settle = _nothing_to_wait_for
) -> None:
    """Read commands from standard input until :quit or end of input.

    After each line, wait until the bot has handled it and show its answer before reading
    the next: typed or piped, the input gets the same answers in the same place.
    """
    print(f"Sandbox Bot API: {api_root}\n{HELP}", flush=True)
    chats = Chats()
    await client.user(FIRST_USER, "You", language_code="en")
    await chats.switch(client, FIRST_USER, "en")
    print(f"You are playing {chats.label}.", flush=True)
    reading = asyncio.Event()
    follower = asyncio.create_task(_follow(client, chats, reading))
    loop = asyncio.get_running_loop()
    try:
        while True:
            print(chats.prompt(), end="", flush=True)
            reading.set()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            reading.clear()
            if not line:
                return
            await _command(client, chats, line.rstrip("\n"))
            await settle()
            shown = await chats.fresh(client)
            if shown:
                print("\n".join(shown), flush=True)
    except _Quit:
        return
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


class _Quit(Exception):
    pass


async def _command(client: SandboxClient, chats: Chats, line: str) -> None:
    parts = line.split()
    if not parts:
        return
    if parts[0] == ":quit":
        raise _Quit
    if parts[0] == ":help":
        print(HELP, flush=True)
    elif parts[0] == ":user" and len(parts) >= 2 and parts[1].isdigit():
        lang = parts[2] if len(parts) > 2 else "en"
        await client.user(int(parts[1]), f"User{parts[1]}", language_code=lang)
        earlier = await chats.switch(client, int(parts[1]), lang)
        tail = f" ({earlier} earlier bot messages: :show lists them)" if earlier else ""
        print(f"You are now playing {chats.label}.{tail}", flush=True)
    elif parts[0] == ":press" and len(parts) == 2 and parts[1].isdigit():
        last = await client.last_bot_message(chats.user)
        buttons = [b for row in (last.buttons if last else None) or [] for b in row]
        index = int(parts[1]) - 1
        if last is None or not 0 <= index < len(buttons) or "callback_data" not in buttons[index]:
            print("no such button", flush=True)
            return
        await client.press(chats.user, last.message_id, buttons[index]["callback_data"])
    elif parts[0] == ":photo" and len(parts) == 2:
        photo = await asyncio.to_thread(Path(parts[1]).read_bytes)
        await client.send_photo(chats.user, photo, caption=None)
    elif parts[0] == ":show":
        for entry in await client.transcript(chats.user):
            print(_show(entry), flush=True)
    elif parts[0].startswith(":"):  # a mistyped command must not reach the bot as a message
        print(f"{line}: not understood; :help lists the commands", flush=True)
    else:
        await client.send_text(chats.user, line)
