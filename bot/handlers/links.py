"""Linking two people who both use the bot, for messages delivered in the chat (/link)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import cb
from bot.context import Ctx
from bot.handlers.common import (
    answer_error,
    edit_or_say,
    keyboard,
    person_of,
    pressed,
    say,
    services,
)
from bot.state import Fields, Slot
from relay import links, people
from relay.errors import InvalidInput, RelayError
from relay.store import Store


@dataclass(frozen=True)
class Invitation:
    """An invitation in progress: opened (before consenting), then offered with Accept.

    none -> opened (``/start inv_...``) -> offered (the Accept question) -> none (accepted).
    """

    opened: str | None = None
    offered: str | None = None


def _encode(value: Invitation) -> dict[str, object]:
    return {"opened": value.opened, "offered": value.offered}


def _decode(fields: Fields) -> Invitation:
    return Invitation(opened=fields.maybe_text("opened"), offered=fields.maybe_text("offered"))


INVITATION = Slot("invitation", Invitation, _encode, _decode)


async def remember_invitation(store: Store, person_id: str, code: str) -> None:
    """Keep an invitation opened by a link, to offer it once the person has consented."""
    held = await INVITATION.load(store, person_id)
    held.value = Invitation(opened=code)
    await INVITATION.save(store, person_id, held)


async def link(update: Update, context: Ctx) -> None:
    """Give a personal, single-use invitation link, and list active links."""
    person, tr = await person_of(update, context)
    _ = tr.gettext
    store = services(context).store
    if not person.consented or await people.load_profile(store, person.id) is None:
        await say(update, tr, _("Please start with /start first."))
        return
    code = await links.invite(store, person.id)
    url = f"https://t.me/{context.bot.username}?start=inv_{code}"
    text = "\n\n".join(
        [
            _(
                "Send this link to your relative. When they open it in Telegram and accept, "
                "you can write to each other here. Every message is still read by Red Cross "
                "staff before it arrives."
            ),
            url,
            _("The link works once, for 48 hours."),
        ]
    )
    rows = [
        [(_("End the link with {name}").format(name=ln.other_name), cb("link", "end", ln.id))]
        for ln in await links.active_links(store, person.id)
    ]
    await say(update, tr, text, keyboard(rows) if rows else None, protect=True)


async def offer_pending(update: Update, context: Ctx) -> bool:
    """Ask to accept an invitation the person opened before consenting; True if one was shown."""
    person, tr = await person_of(update, context)
    store = services(context).store
    held = await INVITATION.load(store, person.id)
    code = held.value.opened
    if not code:
        return False
    try:
        name = await links.inviter_name(store, code)
    except InvalidInput as exc:
        await INVITATION.clear(store, person.id, held)
        await answer_error(update, tr, exc)
        return True
    _ = tr.gettext
    held.value = Invitation(offered=code)
    await INVITATION.save(store, person.id, held)
    rows = [[(_("Accept"), cb("link", "accept"))], [(_("No"), cb("nav", "noop"))]]
    await say(
        update,
        tr,
        _("{name} invites you to write to each other here. Accept?").format(name=name),
        keyboard(rows),
        protect=True,
    )
    return True


async def on_link_button(update: Update, context: Ctx) -> None:
    """Accept an invitation, or end a link (two taps)."""
    person, tr, data = await pressed(update, context)
    _ = tr.gettext
    store = services(context).store
    if data is None:
        return
    try:
        if data.verb == "accept":
            held = await INVITATION.load(store, person.id)
            await links.accept(store, person.id, held.value.offered or "")
            await INVITATION.clear(store, person.id, held)
            await edit_or_say(update, tr, _("You are linked. Choose them as addressee in /new."))
        elif data.verb == "end":
            rows = [
                [(_("Yes, end it"), cb("link", "end2", data.arg))],
                [(_("No"), cb("nav", "noop"))],
            ]
            await say(
                update,
                tr,
                _("End this link? You will no longer be able to write to each other here."),
                keyboard(rows),
            )
        elif data.verb == "end2":
            await links.end(store, person.id, data.arg)
            await edit_or_say(update, tr, _("The link was ended."))
    except RelayError as exc:
        await answer_error(update, tr, exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the link handlers (group 0)."""
    app.add_handler(CommandHandler("link", link))
    app.add_handler(CallbackQueryHandler(on_link_button, pattern=r"^link:"))
