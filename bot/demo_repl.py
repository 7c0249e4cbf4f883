"""``rcm demo --interactive``: after the story, play any user by hand (for training staff)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from bot.demo_people import ADMIN_ID, DELEGATE_ID, REVIEWER_ID
from bot.sandbox import SandboxClient, TranscriptEntry

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


async def _follow(client: SandboxClient, state: dict[str, int]) -> None:
    """Print the bot's new messages to the current user as they arrive."""
    seen: dict[int, int] = {}
    while True:
        user = state["user"]
        for entry in await client.transcript(user):
            version = entry.edit_count + (100 if entry.deleted else 0)
            if entry.from_bot and seen.get(entry.message_id, -1) != version:
                if entry.message_id in seen or entry.message_id > state.get("shown", 0):
                    print(_show(entry), flush=True)
                seen[entry.message_id] = version
                state["shown"] = max(state.get("shown", 0), entry.message_id)
        await asyncio.sleep(0.2)


async def repl(client: SandboxClient, api_root: str) -> None:
    """Read commands from standard input until :quit or end of input."""
    print(f"Sandbox Bot API: {api_root}\n{HELP}", flush=True)
    state = {"user": 3001}
    await client.user(3001, "You", language_code="en")
    follower = asyncio.create_task(_follow(client, state))
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            await _command(client, state, line.rstrip("\n"))
    except _Quit:
        return
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


class _Quit(Exception):
    pass


async def _command(client: SandboxClient, state: dict[str, int], line: str) -> None:
    parts = line.split()
    if not parts:
        return
    if parts[0] == ":quit":
        raise _Quit
    if parts[0] == ":help":
        print(HELP, flush=True)
    elif parts[0] == ":user" and len(parts) >= 2 and parts[1].isdigit():
        state["user"] = int(parts[1])
        state["shown"] = 0
        lang = parts[2] if len(parts) > 2 else "en"
        await client.user(state["user"], f"User{parts[1]}", language_code=lang)
        print(f"now playing user {parts[1]} ({lang})", flush=True)
    elif parts[0] == ":press" and len(parts) == 2 and parts[1].isdigit():
        last = await client.last_bot_message(state["user"])
        buttons = [b for row in (last.buttons if last else None) or [] for b in row]
        index = int(parts[1]) - 1
        if last is None or not 0 <= index < len(buttons) or "callback_data" not in buttons[index]:
            print("no such button", flush=True)
            return
        await client.press(state["user"], last.message_id, buttons[index]["callback_data"])
    elif parts[0] == ":photo" and len(parts) == 2:
        photo = await asyncio.to_thread(Path(parts[1]).read_bytes)
        await client.send_photo(state["user"], photo, caption=None)
    elif parts[0] == ":show":
        for entry in await client.transcript(state["user"]):
            print(_show(entry), flush=True)
    else:
        await client.send_text(state["user"], line)
