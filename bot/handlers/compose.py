"""Composing a message step by step (/new), editing a returned one, and sending.

The draft lives in the database (``relay.drafts``) so a restart loses nothing typed. Every
step has Back and Cancel; sending is idempotent (the draft's submit key), so a double tap
or a replayed update never makes two messages.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import cb
from bot.context import Ctx
from bot.handlers import links as links_handlers
from bot.handlers import steps
from bot.handlers.common import (
    answer_error,
    edit_or_say,
    keyboard,
    person_of,
    pressed,
    say,
    services,
)
from bot.handlers.preview import render_preview
from bot.i18n.catalog import Translator
from bot.texts import RELATIONSHIPS, input_error
from relay import drafts, messages, people
from relay.errors import InvalidInput, NotFound, RelayError
from relay.export import printable
from relay.messages import NewAddressee
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


def _remember(draft: dict[str, Any], message: Message | None) -> None:
    if message is not None:
        trail: list[int] = draft.setdefault("trail", [])
        trail.append(message.message_id)
        del trail[:-TRAIL_MAX]


async def _show(
    update: Update, context: Ctx, tr: Translator, person_id: str, draft: dict[str, Any]
) -> None:
    """Save the draft, then ask what its current step needs (write first, then answer)."""
    svc = services(context)
    step = draft.get("step", "")
    if step in ("preview", "edit_preview"):
        text, rows = await render_preview(svc, tr, person_id, draft)
    else:
        adds = await messages.addressees(svc.store, person_id) if step == "pick" else []
        text, rows = steps.prompt(step, tr, draft, sites=svc.sites, addressees=adds)
    # Remember which update moved the draft here: if the process dies before the prompt is
    # sent, the replayed update must ask again, not be applied to the next step.
    draft["applied"] = update.update_id
    await drafts.save(svc.store, person_id, draft)
    sent = await say(update, tr, text, keyboard(rows), protect=True)
    _remember(draft, sent)
    await drafts.save(svc.store, person_id, draft)


async def _replayed(
    update: Update, context: Ctx, tr: Translator, person_id: str, draft: dict[str, Any]
) -> bool:
    """Ask the current step again when this update was already applied (a replay)."""
    if draft.get("step") and draft.get("applied") == update.update_id:
        await _show(update, context, tr, person_id, draft)
        return True
    return False


async def continue_after_consent(update: Update, context: Ctx) -> None:
    """Ask for the sender's details once, then show the menu."""
    person, tr = await person_of(update, context)
    svc = services(context)
    if await people.load_profile(svc.store, person.id) is None:
        draft = await drafts.load(svc.store, person.id)
        draft.setdefault("then", "menu")
        draft.update({"step": "profile_name", "history": []})
        await _show(update, context, tr, person.id, draft)
        return
    if not await links_handlers.offer_pending(update, context):
        await say(update, tr, menu_text(tr))


async def new(update: Update, context: Ctx) -> None:
    """Start writing a new message."""
    person, tr = await person_of(update, context)
    if not person.consented:
        from bot.handlers.family import start  # the notice comes first

        await start(update, context)
        return
    svc = services(context)
    draft: dict[str, Any] = {
        "submit_key": secrets.token_hex(8),
        "history": [],
        "trail": [],
        "last_sent": (await drafts.load(svc.store, person.id)).get("last_sent"),
    }
    _remember(draft, update.effective_message)
    if await people.load_profile(svc.store, person.id) is None:
        draft.update({"step": "profile_name", "then": "pick"})
    else:
        draft["step"] = "pick"
    await _show(update, context, tr, person.id, draft)


async def start_edit(update: Update, context: Ctx, message_id: str) -> None:
    """Begin editing a returned message."""
    person, tr = await person_of(update, context)
    svc = services(context)
    views = [
        v for v in await messages.list_for(svc.store, person.id, limit=50) if v.id == message_id
    ]
    if not views:
        raise NotFound("message")
    draft = {
        "step": "edit_text",
        "message_id": message_id,
        "site_code": views[0].site_code,
        "history": [],
        "trail": [],
        "submit_key": secrets.token_hex(8),
    }
    await _show(update, context, tr, person.id, draft)


async def _advance(
    update: Update, context: Ctx, tr: Translator, person_id: str, draft: dict[str, Any], nxt: str
) -> None:
    svc = services(context)
    draft.setdefault("history", []).append(draft.get("step"))
    if nxt == "profile_done":
        p = draft.get("profile", {})
        await people.save_profile(
            svc.store,
            person_id,
            Profile(full_name=p["full_name"], latin_name=p.get("latin_name") or p["full_name"]),
        )
        if draft.get("then") == "menu":
            draft["step"] = None
            await drafts.save(svc.store, person_id, draft)
            if not await links_handlers.offer_pending(update, context):
                await say(update, tr, menu_text(tr))
            return
        nxt = "pick"
        draft["history"] = []
    draft["step"] = nxt
    await _show(update, context, tr, person_id, draft)


async def on_text(update: Update, context: Ctx) -> None:
    """Take typed text for the current step."""
    person, tr = await person_of(update, context)
    svc = services(context)
    message = update.effective_message
    assert message is not None
    draft = await drafts.load(svc.store, person.id)
    step = draft.get("step")
    if not step:
        await say(update, tr, menu_text(tr))
        return
    if await _replayed(update, context, tr, person.id, draft):
        return
    _remember(draft, message)
    if step in steps.BUTTON_STEPS:
        await drafts.save(svc.store, person.id, draft)
        await say(update, tr, tr.gettext("Please use the buttons above, or /new to start again."))
        return
    try:
        nxt = steps.accept_text(
            step, message.text or "", draft, today=svc.store.clock.now().date(), sites=svc.sites
        )
    except InvalidInput as exc:
        await _refuse(update, context, tr, person.id, draft, input_error(tr, exc.code, exc.params))
        return
    if nxt == "photo" and draft.pop("revising", False):
        nxt = "preview"  # the text was changed from the preview: the photo was answered
    if nxt == step:  # a site search: show the filtered list
        await _show(update, context, tr, person.id, draft)
        return
    await _advance(update, context, tr, person.id, draft, nxt)


async def _refuse(
    update: Update,
    context: Ctx,
    tr: Translator,
    person_id: str,
    draft: dict[str, Any],
    why: str,
) -> None:
    """Say why an answer was refused, with the step's own buttons (Skip, Back, Cancel)."""
    svc = services(context)
    _text, rows = steps.prompt(draft["step"], tr, draft, sites=svc.sites, addressees=[])
    sent = await say(update, tr, why, keyboard(rows), protect=True)
    _remember(draft, sent)
    await drafts.save(svc.store, person_id, draft)


async def on_photo(update: Update, context: Ctx) -> None:
    """Take the one family photo at the photo step."""
    person, tr = await person_of(update, context)
    svc = services(context)
    message = update.effective_message
    assert message is not None
    draft = await drafts.load(svc.store, person.id)
    if await _replayed(update, context, tr, person.id, draft):
        return
    if draft.get("step") != "photo" or not message.photo:
        text = tr.gettext("A photo can only be added while writing a message, after the text.")
        if draft.get("step") and draft["step"] not in steps.BUTTON_STEPS:
            await _refuse(update, context, tr, person.id, draft, text)
        else:
            await say(update, tr, text)
        return
    _remember(draft, message)
    draft["photo"] = message.photo[-1].file_id
    await _advance(update, context, tr, person.id, draft, "preview")


async def on_button(update: Update, context: Ctx) -> None:
    """Handle the compose buttons: back, cancel, skip, choices, send."""
    person, tr, data = await pressed(update, context)
    if data is None:
        return
    svc = services(context)
    draft = await drafts.load(svc.store, person.id)
    step = draft.get("step")
    if data.verb == "wipe":
        await _wipe(update, context, draft)
        return
    if data.verb == "send":
        await _send(update, context, tr, person.id, draft, data.arg)
        return
    if await _replayed(update, context, tr, person.id, draft):
        return
    if not step:
        await edit_or_say(
            update, tr, tr.gettext("This step is over. Use /new to write a message.")
        )
        return
    if data.verb == "cancel":
        await drafts.save(
            svc.store,
            person.id,
            {"trail": draft.get("trail", []), "last_sent": draft.get("last_sent")},
        )
        await edit_or_say(update, tr, tr.gettext("Cancelled. Nothing was sent."))
        return
    if data.verb == "back":
        draft.pop("revising", None)  # the text step may lead to the photo step again
        history = draft.get("history", [])
        if history:
            draft["step"] = history.pop()
        await _show(update, context, tr, person.id, draft)
        return
    await _choice(update, context, tr, person.id, draft, data.verb, data.arg)


async def _choice(
    update: Update,
    context: Ctx,
    tr: Translator,
    person_id: str,
    draft: dict[str, Any],
    verb: str,
    arg: str,
) -> None:
    svc = services(context)
    step = draft.get("step", "")
    if verb == "skip" and step in steps.SKIPPABLE:
        await _advance(update, context, tr, person_id, draft, steps.skip(step, draft))
    elif verb == "to" and step == "pick":
        if arg == "new":
            draft["ad"] = {}
            await _advance(update, context, tr, person_id, draft, "ad_name")
            return
        known = {a.id: a for a in await messages.addressees(svc.store, person_id)}
        if arg not in known:
            await answer_error(update, tr, NotFound("addressee"))
            return
        draft["addressee_id"] = arg
        draft["ad"] = {"site_code": known[arg].site_code}
        await _advance(update, context, tr, person_id, draft, "text")
    elif verb == "rel" and step == "ad_rel" and arg in RELATIONSHIPS:
        draft.setdefault("ad", {})["relationship"] = arg
        await _advance(update, context, tr, person_id, draft, "ad_site")
    elif verb == "site" and step == "ad_site" and arg in svc.sites:
        draft.setdefault("ad", {})["site_code"] = arg
        await _advance(update, context, tr, person_id, draft, "ad_site_ok")
    elif verb == "ok" and step in steps.CONFIRM_STEPS:
        await _advance(update, context, tr, person_id, draft, steps.CONFIRM_STEPS[step])
    elif verb == "strip" and step in ("preview", "edit_preview"):
        # The family chose to drop what cannot be printed (emoji): the preview shows the rest.
        draft["text"] = printable.without_symbols(str(draft.get("text", "")))
        await _show(update, context, tr, person_id, draft)
    elif verb == "edit" and step in ("preview", "edit_preview"):
        draft["revising"] = True  # the photo step was answered: the new text goes to preview
        await _advance(
            update, context, tr, person_id, draft, "text" if step == "preview" else "edit_text"
        )
    else:
        await say(
            update,
            tr,
            tr.gettext("This button is no longer valid. Please use the latest message."),
        )


async def _send(
    update: Update,
    context: Ctx,
    tr: Translator,
    person_id: str,
    draft: dict[str, Any],
    pressed_on: str,
) -> None:
    svc = services(context)
    _ = tr.gettext
    last = draft.get("last_sent") or {}
    if draft.get("step") not in ("preview", "edit_preview") or pressed_on != steps.shown(draft):
        if last.get("reference") and last.get("shown") == pressed_on:
            await say(
                update,
                tr,
                _("This message was already sent. Reference: {ref}").format(ref=last["reference"]),
            )
        elif draft.get("step") in ("preview", "edit_preview"):
            # An older preview: send only what the family sees now, after they look at it.
            await say(
                update,
                tr,
                _("This button is no longer valid. Please use the latest message."),
            )
            await _show(update, context, tr, person_id, draft)
        else:
            await say(update, tr, _("This step is over. Use /new to write a message."))
        return
    try:
        if draft["step"] == "edit_preview":
            done = await messages.resubmit(
                svc.store,
                person_id=person_id,
                message_id=draft["message_id"],
                text=draft["text"],
                checker=svc.checker,
                sites=svc.sites,
            )
        else:
            done = await _submit_new(update, context, person_id, draft)
    except RelayError as exc:
        await answer_error(update, tr, exc)
        return
    # Write first: the draft now remembers the sending, then we answer.
    await drafts.save(
        svc.store,
        person_id,
        {
            "trail": draft.get("trail", []),
            "last_sent": {"reference": done.reference, "shown": pressed_on},
        },
    )
    svc.wake_outbox()
    rows = [[(_("Delete this conversation from my phone"), cb("new", "wipe"))]]
    await edit_or_say(
        update,
        tr,
        _(
            "Sent. Your reference is {ref}. Keep it: it is printed on the letter and on the reply."
        ).format(ref=done.reference)
        + "\n"
        + _("You can follow it with /status."),
        keyboard(rows),
    )


async def _submit_new(
    update: Update, context: Ctx, person_id: str, draft: dict[str, Any]
) -> messages.Submitted:
    svc = services(context)
    person = await people.get(svc.store, person_id)
    if not draft.get("addressee_id"):
        ad = draft.get("ad", {})
        draft["addressee_id"] = await messages.add_addressee(
            svc.store,
            person_id,
            NewAddressee(
                full_name=ad["full_name"],
                latin_name=ad.get("latin_name") or ad["full_name"],
                father_name=ad.get("father_name"),
                birth_date=ad.get("birth_date"),
                detainee_number=ad.get("detainee_number"),
                site_code=ad["site_code"],
                relationship=ad.get("relationship", "other"),
                linked_person_id=ad.get("linked_person_id"),
            ),
        )
        await drafts.save(svc.store, person_id, draft)  # a replay must not add it twice
    photo: bytes | None = None
    if draft.get("photo"):
        file = await context.bot.get_file(draft["photo"])
        photo = bytes(await file.download_as_bytearray())
    return await messages.submit(
        svc.store,
        person_id=person_id,
        addressee_id=draft["addressee_id"],
        text=draft["text"],
        lang=person.lang,
        submit_key=draft["submit_key"],
        checker=svc.checker,
        sites=svc.sites,
        photo=photo,
        per_day=svc.settings.messages_per_day,
    )


async def _wipe(update: Update, context: Ctx, draft: dict[str, Any]) -> None:
    """Delete the compose conversation from the chat (Telegram allows it for 48 hours)."""
    chat = update.effective_chat
    if chat is None:
        return
    for message_id in draft.get("trail", []):
        with contextlib.suppress(TelegramError):
            await context.bot.delete_message(chat.id, message_id)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.delete()
    person, tr = await person_of(update, context)
    await drafts.save(services(context).store, person.id, {"last_sent": draft.get("last_sent")})
    await say(
        update,
        tr,
        tr.gettext(
            "The conversation was deleted from this chat. Use /status to follow your message."
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the compose handlers (group 0; typed text last, after commands)."""
    app.add_handler(CommandHandler("new", new))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^new:"))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO, on_photo))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, on_text)
    )
