"""Sending a letter from its preview, and deleting the conversation from the chat after.

Sending is idempotent (the letter's submit key), so a double tap or a replayed update never
makes two messages; a Send button sends only what its own preview showed (``steps.shown``).
"""

from __future__ import annotations

import contextlib

from telegram import Message
from telegram.error import TelegramError

from bot.callbacks import cb
from bot.handlers import steps
from bot.handlers.common import answer_error, edit_or_say, keyboard, say, services
from bot.handlers.compose_flow import Turn, save, show
from bot.handlers.compose_state import PREVIEWS, ComposeState, LastSent, Step
from relay import messages, people
from relay.errors import RelayError
from relay.messages import NewAddressee


async def send(t: Turn, pressed_on: str) -> None:
    """Send the letter its preview showed, once; say its reference."""
    draft, svc = t.draft, services(t.context)
    if draft.step not in PREVIEWS or pressed_on != steps.shown(draft):
        await _not_this_preview(t, pressed_on)
        return
    try:
        if draft.step == Step.EDIT_PREVIEW:
            done = await _resubmit(t)
        else:
            done = await _submit_new(t)
    except RelayError as exc:
        await answer_error(t.update, t.tr, exc)
        return
    # Write first: the state now remembers the sending, then we answer.
    t.held.value = draft.after_letter(LastSent(done.reference, pressed_on))
    await save(t)
    svc.wake_outbox()
    _ = t.tr.gettext
    rows = [[(_("Delete this conversation from my phone"), cb("new", "wipe"))]]
    text = _(
        "Sent. Your reference is {ref}. Keep it: it is printed on the letter and on the reply."
    ).format(ref=done.reference)
    await edit_or_say(
        t.update, t.tr, text + "\n" + _("You can follow it with /status."), keyboard(rows)
    )


async def _not_this_preview(t: Turn, pressed_on: str) -> None:
    """Answer a Send press on another preview than the current one: never send it."""
    _ = t.tr.gettext
    last = t.draft.last_sent
    if last is not None and last.shown == pressed_on:
        text = _("This message was already sent. Reference: {ref}").format(ref=last.reference)
        await say(t.update, t.tr, text)
    elif t.draft.step in PREVIEWS:
        # An older preview: send only what the family sees now, after they look at it.
        await say(
            t.update, t.tr, _("This button is no longer valid. Please use the latest message.")
        )
        await show(t)
    else:
        await say(t.update, t.tr, _("This step is over. Use /new to write a message."))


async def _resubmit(t: Turn) -> messages.Submitted:
    svc, draft = services(t.context), t.draft
    return await messages.resubmit(
        svc.store,
        person_id=t.person_id,
        message_id=draft.message_id or "",
        text=draft.text,
        checker=svc.checker,
        sites=svc.sites,
    )


async def _submit_new(t: Turn) -> messages.Submitted:
    svc, draft = services(t.context), t.draft
    person = await people.get(svc.store, t.person_id)
    if not draft.addressee_id:
        draft.addressee_id = await messages.add_addressee(svc.store, t.person_id, _new(draft))
        await save(t)  # a replay must not add it twice
    photo: bytes | None = None
    if draft.photo:
        file = await t.context.bot.get_file(draft.photo)
        photo = bytes(await file.download_as_bytearray())
    return await messages.submit(
        svc.store,
        person_id=t.person_id,
        addressee_id=draft.addressee_id,
        text=draft.text,
        lang=person.lang,
        submit_key=draft.submit_key,
        checker=svc.checker,
        sites=svc.sites,
        photo=photo,
        per_day=svc.settings.messages_per_day,
    )


def _new(draft: ComposeState) -> NewAddressee:
    ad = draft.ad
    return NewAddressee(
        full_name=ad.full_name,
        latin_name=ad.latin_name or ad.full_name,
        father_name=ad.father_name,
        birth_date=ad.birth_date,
        detainee_number=ad.detainee_number,
        site_code=ad.site_code or "",
        relationship=ad.relationship or "other",
    )


async def wipe(t: Turn) -> None:
    """Delete the compose conversation from the chat (Telegram allows it for 48 hours)."""
    chat = t.update.effective_chat
    if chat is None:
        return
    for message_id in t.draft.trail:
        with contextlib.suppress(TelegramError):
            await t.context.bot.delete_message(chat.id, message_id)
    query = t.update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.delete()
    t.held.value = ComposeState(last_sent=t.draft.last_sent)
    await save(t)
    text = t.tr.gettext(
        "The conversation was deleted from this chat. Use /status to follow your message."
    )
    await say(t.update, t.tr, text)
