"""No staff command or staff button can be registered around the role guard.

Every registered command and button area is either behind ``bot.handlers.guard.Guarded`` or
named here as public (what families and released detainees use). A new handler that is in
neither list fails this test, so a staff handler cannot forget its role check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import build_application
from bot.handlers.guard import Guarded
from bot.i18n.catalog import translator
from bot.i18n.menus import family_commands, staff_commands
from relay.models import Role
from relay.roles import ADMINISTERING, CONFIRMING, DELEGATING, REVIEWING
from relay.settings import Settings

PUBLIC_COMMANDS = {
    "start", "language", "privacy", "help", "status", "forget", "new", "link", "claim",
}  # fmt: skip
PUBLIC_AREAS = {"lang", "consent", "msg", "forget", "nav", "new", "link", None}
# What each staff command and area needs (a change here is a decision, not a refactor).
STAFF = {
    "queue": REVIEWING,
    "next": REVIEWING,
    "release": REVIEWING,
    "rev": REVIEWING,
    "grant": ADMINISTERING,
    "revoke": ADMINISTERING,
    "staff": ADMINISTERING,
    "stats": ADMINISTERING,
    "adm": ADMINISTERING,
    "export": DELEGATING,
    "batches": DELEGATING,
    "handover": DELEGATING,
    "reply": DELEGATING,
    "del": DELEGATING,
    "confirm_claim": CONFIRMING,
    "claims": CONFIRMING,
    "clm": CONFIRMING,
    "alerts": frozenset(Role),
    "console": frozenset(Role),
}


def registered(tmp_path: Path) -> tuple[dict[str, object], dict[str | None, object]]:
    settings = Settings(bot_token="1:x", data_dir=tmp_path, telegram_api_url="http://127.0.0.1:9")
    app = build_application(settings)
    commands: dict[str, object] = {}
    areas: dict[str | None, object] = {}
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                for command in handler.commands:
                    commands.setdefault(command, handler.callback)
            elif isinstance(handler, CallbackQueryHandler):
                pattern = getattr(handler.pattern, "pattern", handler.pattern)
                area = str(pattern).lstrip("^").split(":")[0] if pattern else None
                areas.setdefault(area, handler.callback)
    return commands, areas


def test_every_command_and_area_is_public_or_guarded_with_its_roles(tmp_path: Path) -> None:
    commands, areas = registered(tmp_path)
    found: dict[str, frozenset[Role]] = {}
    for name, callback in [*commands.items(), *areas.items()]:
        if isinstance(callback, Guarded):
            found[str(name)] = callback.needs
        else:
            assert name in PUBLIC_COMMANDS | PUBLIC_AREAS, f"{name} is neither public nor guarded"
    assert found == STAFF


@pytest.mark.parametrize("role", list(Role))
def test_every_staff_menu_command_is_guarded(tmp_path: Path, role: Role) -> None:
    commands, _areas = registered(tmp_path)
    tr = translator("en")
    family = {c.command for c in family_commands(tr)}
    menu = {c.command for c in staff_commands(tr, {role})} - family
    # every member of staff finds the way to the web console in their menu
    assert "console" in menu
    for command in menu:
        callback = commands[command]
        assert isinstance(callback, Guarded), command
        assert role in callback.needs, (command, role)


def test_a_guard_without_a_role_cannot_be_built() -> None:
    async def handler(*_args: object) -> None:
        return None

    with pytest.raises(ValueError, match="at least one role"):
        Guarded(frozenset(), "x", handler)
