"""Localized command menus (``set_my_commands`` per language)."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.i18n.catalog import SUPPORTED, Translator, translator
from relay.models import Role


def family_commands(tr: Translator) -> list[BotCommand]:
    """Return the commands a family sees in the menu, in their language."""
    _ = tr.gettext
    return [
        BotCommand("new", _("Write a Red Cross message")),
        BotCommand("status", _("Your messages and replies")),
        BotCommand("link", _("Link with a relative who uses this bot")),
        BotCommand("language", _("Change the language")),
        BotCommand("privacy", _("How your data is handled")),
        BotCommand("forget", _("Erase your data")),
    ]


def menus() -> list[tuple[str | None, list[BotCommand]]]:
    """Return (language_code, commands) pairs; None is the default for other languages."""
    result: list[tuple[str | None, list[BotCommand]]] = [(None, family_commands(translator("en")))]
    result += [(code, family_commands(translator(code))) for code in SUPPORTED]
    return result


def staff_commands(tr: Translator, roles: set[Role]) -> list[BotCommand]:
    """Return the menu of a staff member: their roles' commands, then the family's."""
    _ = tr.gettext
    commands: list[BotCommand] = []
    if roles & {Role.REVIEWER, Role.SENIOR}:
        commands += [
            BotCommand("next", _("Review the next message")),
            BotCommand("queue", _("The review backlog")),
            BotCommand("release", _("Give back the messages you hold")),
        ]
    if Role.DELEGATE in roles or Role.ADMIN in roles:
        commands += [
            BotCommand("export", _("Print a site's approved messages")),
            BotCommand("batches", _("Recent print batches")),
            BotCommand("handover", _("Record hand-over outcomes of a batch")),
            BotCommand("reply", _("Bring back a reply (photo of the reply part)")),
        ]
    if roles & {Role.REVIEWER, Role.SENIOR, Role.ADMIN}:
        commands.append(BotCommand("claims", _("Released people asking for their messages")))
    if Role.ADMIN in roles:
        commands += [
            BotCommand("grant", _("Give a staff role")),
            BotCommand("revoke", _("Take a staff role away")),
            BotCommand("staff", _("Staff and their roles")),
            BotCommand("stats", _("Figures")),
        ]
    if roles:
        commands += [
            BotCommand("console", _("Sign in to the console")),
            BotCommand("alerts", _("Staff alerts on or off")),
        ]
    return commands + family_commands(tr)


async def set_staff_menu(bot: Bot, chat_id: int, tr: Translator, roles: set[Role]) -> None:
    """Give one staff chat its own command menu (Telegram's per-chat scope)."""
    await bot.set_my_commands(staff_commands(tr, roles), scope=BotCommandScopeChat(chat_id))
