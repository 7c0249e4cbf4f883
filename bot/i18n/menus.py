"""Localized command menus (``set_my_commands`` per language)."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n.catalog import SUPPORTED, Translator, translator


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
