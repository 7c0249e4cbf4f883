"""Staff people for the end-to-end stories: an admin, reviewers, seniors (driven by data)."""

from __future__ import annotations

from demo.simulate import ScriptedUser, button_with
from sandbox import SandboxClient, TranscriptEntry

ADMIN_ID = 900001  # in RCM_ADMIN_IDS of the e2e settings


async def staff_user(client: SandboxClient, user_id: int, lang: str = "en") -> ScriptedUser:
    user = ScriptedUser(client, user_id, f"Staff{user_id}", lang)
    await user.setup()
    return user


async def grant(admin: ScriptedUser, user_id: int, role: str, *extra: str) -> TranscriptEntry:
    """Grant a role through the bot, as the admin types it."""
    mark = await admin.say(" ".join(["/grant", str(user_id), role, *extra]))
    return await admin.wait_text(f"granted to user {user_id}", mark, edited_ok=False)


async def next_card(reviewer: ScriptedUser) -> TranscriptEntry:
    """Type /next and return the review card."""
    mark = await reviewer.say("/next")
    return await reviewer.wait_button("rev:ok:", mark)


def message_id_of(card: TranscriptEntry) -> str:
    data = button_with(card, "rev:ok:")
    assert data is not None
    return data.split(":")[2]


async def press_then(
    user: ScriptedUser, entry: TranscriptEntry, prefix: str, want: str
) -> TranscriptEntry:
    """Press ``prefix``; wait for a bot message (new, or ``entry`` edited) with ``want``."""
    return await user.press_then(entry, prefix, want)


async def type_then(user: ScriptedUser, text: str, want: str) -> TranscriptEntry:
    """Type text; wait for a new bot message with a button ``want``."""
    return await user.type_then(text, want)
