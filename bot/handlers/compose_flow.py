"""Moving a letter from step to step: ask, remember, go on, go back, refuse.

Every function takes a ``Turn``: one update of one person, with the letter as read (and
the version a save must find). Writing comes first, then answering: a crash in between
replays the update, which asks the step again instead of applying it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Message, Update

from bot.context import Ctx
from bot.handlers import links as links_handlers
from bot.handlers import steps
from bot.handlers.common import answer_error, keyboard, say, services
from bot.handlers.compose_state import COMPOSE, PREVIEWS, AddresseeDraft, ComposeState, Step
from bot.handlers.preview import render_preview
from bot.i18n.catalog import Translator
from bot.state import Held
from bot.texts import RELATIONSHIPS
from relay import messages, people
from relay.errors import NotFound, StaleState
from relay.export import printable
from relay.models import Profile

TRAIL_MAX = 80


def menu_text(tr: Translator) -> str:
    _ = tr.gettext
    return "\n".join(
        [
            _("What would you like to do?"),
            _("/new: write a message"),
            _("/status: see your messages and replies"),
            _("/link: write to a relative who also uses this bot"),
            _("/claim: after your release, ask for the messages held for you"),
            _("/language: change the language"),
            _("/privacy: how your data is handled"),
            _("/forget: erase your data"),
            _("/help: this list"),
        ]
    )


@dataclass(frozen=True)
class Turn:
    """One update of one person, and their letter as read."""

    update: Update
    context: Ctx
    tr: Translator
    person_id: str
    held: Held[ComposeState]

    @property
    def draft(self) -> ComposeState:
        return self.held.value


async def turn(update: Update, context: Ctx, tr: Translator, person_id: str) -> Turn:
    """Read the person's letter for this update."""
    held = await COMPOSE.load(services(context).store, person_id)
    return Turn(update, context, tr, person_id, held)


async def run(t: Turn, body: Callable[[Turn], Awaitable[None]]) -> None:
    """Handle the update; when another update moved the letter meanwhile, ask its step."""
    try:
        await body(t)
    except StaleState:
        fresh = await turn(t.update, t.context, t.tr, t.person_id)
        if fresh.draft.step is None:
            await say(t.update, t.tr, menu_text(t.tr))
        else:
            await show(fresh)


async def save(t: Turn) -> None:
    await COMPOSE.save(services(t.context).store, t.person_id, t.held)


def remember(draft: ComposeState, message: Message | None) -> None:
    """Add a chat message to the trail that "delete this conversation" deletes."""
    if message is not None:
        draft.trail.append(message.message_id)
        del draft.trail[:-TRAIL_MAX]


async def show(t: Turn) -> None:
    """Save the letter, then ask what its current step needs (write first, then answer)."""
    svc, draft = services(t.context), t.draft
    if draft.step in PREVIEWS:
        text, rows = await render_preview(svc, t.tr, t.person_id, draft)
    else:
        pick = draft.step == Step.PICK
        adds = await messages.addressees(svc.store, t.person_id) if pick else []
        text, rows = steps.prompt(draft.step, t.tr, draft, sites=svc.sites, addressees=adds)
    # Remember which update moved the letter here: if the process dies before the prompt is
    # sent, the replayed update must ask again, not be applied to the next step.
    draft.applied = t.update.update_id
    await save(t)
    sent = await say(t.update, t.tr, text, keyboard(rows), protect=True)
    remember(draft, sent)
    await save(t)


async def replayed(t: Turn) -> bool:
    """Ask the current step again when this update was already applied (a replay)."""
    if t.draft.step is not None and t.draft.applied == t.update.update_id:
        await show(t)
        return True
    return False


async def advance(t: Turn, nxt: Step) -> None:
    """Go on to ``nxt`` (Back returns here); the profile is saved when it is complete."""
    draft = t.draft
    if draft.step is not None:
        draft.history.append(draft.step)
    if nxt == Step.PROFILE_DONE:
        if await _profile_done(t):
            return
        nxt, draft.history = Step.PICK, []
    draft.step = nxt
    await show(t)


async def _profile_done(t: Turn) -> bool:
    """Save the sender's details; True when the menu (not a letter) comes next."""
    draft = t.draft
    name = draft.profile.full_name
    profile = Profile(full_name=name, latin_name=draft.profile.latin_name or name)
    await people.save_profile(services(t.context).store, t.person_id, profile)
    if not draft.then_menu:
        return False
    draft.step = None
    await save(t)
    if not await links_handlers.offer_pending(t.update, t.context):
        await say(t.update, t.tr, menu_text(t.tr))
    return True


async def refuse(t: Turn, why: str) -> None:
    """Say why an answer was refused, with the step's own buttons (Skip, Back, Cancel)."""
    svc = services(t.context)
    _text, rows = steps.prompt(t.draft.step, t.tr, t.draft, sites=svc.sites, addressees=[])
    sent = await say(t.update, t.tr, why, keyboard(rows), protect=True)
    remember(t.draft, sent)
    await save(t)


async def choice(t: Turn, verb: str, arg: str) -> None:
    """Take a button of the current step (skip, addressee, relationship, place, yes...)."""
    draft, step, svc = t.draft, t.draft.step, services(t.context)
    if verb == "skip" and step in steps.SKIPPABLE:
        await advance(t, steps.skip(step, draft))
    elif verb == "to" and step == Step.PICK:
        await _pick(t, arg)
    elif verb == "rel" and step == Step.AD_REL and arg in RELATIONSHIPS:
        draft.ad.relationship = arg
        await advance(t, Step.AD_SITE)
    elif verb == "site" and step == Step.AD_SITE and arg in svc.sites:
        draft.ad.site_code = arg
        await advance(t, Step.AD_SITE_OK)
    elif verb == "ok" and step in steps.CONFIRM_STEPS:
        await advance(t, steps.CONFIRM_STEPS[step])
    elif verb in ("strip", "edit") and step in PREVIEWS:
        await _revise(t, verb)
    else:
        text = t.tr.gettext("This button is no longer valid. Please use the latest message.")
        await say(t.update, t.tr, text)


async def _pick(t: Turn, arg: str) -> None:
    draft = t.draft
    draft.ad = AddresseeDraft()  # a fresh addressee, whoever was picked before (Back)
    if arg == "new":
        draft.addressee_id = None
        await advance(t, Step.AD_NAME)
        return
    known = {a.id: a for a in await messages.addressees(services(t.context).store, t.person_id)}
    if arg not in known:
        await answer_error(t.update, t.tr, NotFound("addressee"))
        return
    draft.addressee_id = arg
    draft.ad.site_code = known[arg].site_code
    await advance(t, Step.TEXT)


async def _revise(t: Turn, verb: str) -> None:
    draft = t.draft
    if verb == "strip":
        # The family chose to drop what cannot be printed (emoji): the preview shows the rest.
        draft.text = printable.without_symbols(draft.text)
        await show(t)
        return
    draft.revising = True  # the photo step was answered: the new text goes to preview
    await advance(t, Step.TEXT if draft.step == Step.PREVIEW else Step.EDIT_TEXT)
