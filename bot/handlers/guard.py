"""The role guard: every staff command and button goes through it before a handler speaks.

Staff handlers are never registered with ``CommandHandler`` or ``CallbackQueryHandler``
directly but with ``staff_command`` and ``staff_button``, which take the roles that may use
them. The guard then, on the routing path and before the handler runs:

1. looks the person up (a stranger gets no person row);
2. checks the roles in a transaction of its own (``relay.roles.require_any``), so that the
   refusal is in the audit log even though nothing else happens;
3. answers a refusal with one sentence, the same whether the object named exists or not
   (a command: one chat message; a button: the button's answer);
4. otherwise runs the handler with a ``Staff`` value; a refusal the handler's service raises
   later (a site it does not cover, say) is audited in its own transaction and answered
   with the same sentence.

``tests/bot/test_guard.py`` walks every registered handler and fails on a staff command or
a staff button area that does not go through here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import parse
from bot.context import Ctx
from bot.handlers.common import say, services
from bot.i18n.catalog import Translator, negotiate, translator
from bot.i18n.menus import set_staff_menu
from bot.transport import address_of
from relay import people, roles
from relay.errors import NotAllowed
from relay.models import Role
from relay.roles import Grant


@dataclass(frozen=True, slots=True)
class Staff:
    """Who passed the guard: their person id, their words, and the roles they hold."""

    person_id: str
    tr: Translator
    grants: tuple[Grant, ...]

    @property
    def roles(self) -> set[Role]:
        return {g.role for g in self.grants}


StaffHandler = Callable[[Update, Ctx, Staff], Awaitable[None]]


def refusal(tr: Translator) -> str:
    """Return the one sentence every refusal gets."""
    return tr.gettext("Sorry, you are not allowed to do this.")


async def refuse(update: Update, tr: Translator) -> None:
    """Answer a refusal: on the button pressed, or once in the chat."""
    text = refusal(tr)
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(text, show_alert=True)
        except TelegramError:  # already answered by the handler: say it in the chat
            await say(update, tr, text)
        return
    await say(update, tr, text)


class Guarded:
    """A staff handler behind the role guard (what PTB calls; see the module docstring)."""

    def __init__(self, needs: Collection[Role], action: str, handler: StaffHandler) -> None:
        if not needs:
            raise ValueError("a staff handler needs at least one role")
        self.needs = frozenset(needs)
        self.action = action
        self.handler = handler
        self.__qualname__ = f"Guarded({getattr(handler, '__qualname__', action)})"

    async def __call__(self, update: Update, context: Ctx) -> None:
        user = update.effective_user
        if user is None:
            return
        store = services(context).store
        person = await people.find(store, address_of(user.id))  # a stranger gets no person row
        tr = translator(person.lang if person else negotiate(user.language_code))
        action = self.action
        if update.callback_query is not None:
            data = parse(update.callback_query.data)
            action = f"{self.action}.{data.verb if data else 'forged'}"[:40]
        try:
            held = await roles.require_any(
                store, person.id if person else None, self.needs, action=action
            )
        except NotAllowed:
            await refuse(update, tr)
            return
        assert person is not None
        await _note_chat(update, context, person.id, tr, held)
        try:
            await self.handler(update, context, Staff(person.id, tr, tuple(held)))
        except NotAllowed as exc:
            # A refusal raised inside a service (rolled back with its transaction).
            await roles.record_refusal(store, exc)
            await refuse(update, tr)


async def _note_chat(
    update: Update, context: Ctx, person_id: str, tr: Translator, held: list[Grant]
) -> None:
    """Remember a staff chat (for alerts) and give it the staff menu, the first time."""
    chat = update.effective_chat
    store = services(context).store
    if chat is not None and await roles.note_staff_address(store, person_id, str(chat.id)):
        with contextlib.suppress(TelegramError):  # a menu is a convenience, never a blocker
            await set_staff_menu(context.bot, chat.id, tr, {g.role for g in held})


def staff_command(
    app: Application,  # type: ignore[type-arg]
    command: str,
    needs: Collection[Role],
    handler: StaffHandler,
) -> None:
    """Register a staff command behind the role guard (group 0)."""
    app.add_handler(CommandHandler(command, Guarded(needs, command, handler)))


def staff_button(
    app: Application,  # type: ignore[type-arg]
    area: str,
    needs: Collection[Role],
    handler: StaffHandler,
) -> None:
    """Register the buttons of a callback area (``area:verb:arg``) behind the role guard."""
    app.add_handler(CallbackQueryHandler(Guarded(needs, area, handler), pattern=rf"^{area}:"))
