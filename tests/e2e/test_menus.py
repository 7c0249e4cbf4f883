"""Command menus: one per language for families, and a staff chat gets its roles' commands."""

from __future__ import annotations

import json

from bot.i18n.catalog import SUPPORTED, translator
from bot.i18n.menus import family_commands
from demo.simulate import ScriptedUser
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID, grant, staff_user


async def test_family_menus_are_localized_per_language(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    for lang in SUPPORTED:
        menu = await client.commands(lang)
        expected = [
            {"command": c.command, "description": c.description}
            for c in family_commands(translator(lang))
        ]
        assert menu == expected
    # Each translated language really reads differently from English
    english = await client.commands("en")
    for lang in (code for code in SUPPORTED if code != "en"):
        assert await client.commands(lang) != english


async def test_a_reviewer_gets_the_review_commands_in_their_chat(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 5301, "reviewer", "en")
    reviewer = ScriptedUser(client, 5301, "Rev", "en")
    await reviewer.setup()
    mark = await reviewer.say("/queue")
    await reviewer.wait_reply(mark)
    scope = json.dumps({"chat_id": 5301, "type": "chat"}, sort_keys=True)
    commands = [c["command"] for c in await client.commands("", scope=scope)]
    assert commands[:3] == ["next", "queue", "release"]
    assert "grant" not in commands
    assert "new" in commands
