"""Staff: ``/console`` answers a single-use sign-in link to the web console (10 minutes).

The bot is the second factor of the console: only the Telegram account of a staff member
gets a link. The role is checked first (by the relay, which audits a refusal).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import Ctx
from bot.handlers.common import answer_error, say, services
from bot.i18n.catalog import negotiate, translator
from relay import people, staff_access
from relay.errors import NotAllowed


async def cmd_console(update: Update, context: Ctx) -> None:
    """Answer a sign-in link to a staff member; refuse anyone else."""
    user = update.effective_user
    assert user is not None
    svc = services(context)
    person = await people.find(svc.store, user.id)
    tr = translator(person.lang if person else negotiate(user.language_code))
    try:
        token = await staff_access.create_link(svc.store, person_id=person.id if person else None)
    except NotAllowed as exc:
        await answer_error(update, tr, exc)
        return
    url = f"{svc.settings.console_url}/login/{token}"
    # Translators: the sign-in link follows on the next line
    text = tr.gettext("Your sign-in link to the console (it works once, for 10 minutes):")
    await say(update, tr, f"{text}\n{url}", protect=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /console (group 0)."""
    app.add_handler(CommandHandler("console", cmd_console))
