"""Staff: ``/console`` answers a single-use sign-in link to the web console (10 minutes).

The bot is the second factor of the console: only the Telegram account of a staff member
gets a link. The role guard checks (and audits) the role before anything is said; the relay
checks it again when it makes the link.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import Ctx
from bot.handlers.common import answer_error, say, services
from bot.handlers.guard import Staff, staff_command
from relay import staff_access
from relay.errors import NotAllowed
from relay.roles import ANY_STAFF


async def cmd_console(update: Update, context: Ctx, who: Staff) -> None:
    """Answer a sign-in link to a staff member."""
    svc = services(context)
    try:
        token = await staff_access.create_link(svc.store, person_id=who.person_id)
    except NotAllowed as exc:
        await answer_error(update, who.tr, exc)
        return
    url = f"{svc.settings.console_url}/login/{token}"
    # Translators: the sign-in link follows on the next line
    text = who.tr.gettext("Your sign-in link to the console (it works once, for 10 minutes):")
    await say(update, who.tr, f"{text}\n{url}", protect=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /console (group 0) behind the role guard: any staff role."""
    staff_command(app, "console", ANY_STAFF, cmd_console)
