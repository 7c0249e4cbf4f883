"""Delegates: /export, /batches, /handover, replies (claims: ``bot.handlers.claims``).

Handlers are thin: the role guard (``bot.handlers.guard``) checks the role before any of
them speaks; the relay services check the site (audited in a transaction of their own) and
every refusal is answered with one sentence that says nothing about messages of other sites.
The export renders in a worker process, so the bot keeps answering families meanwhile.

Replies: a photo whose caption starts with "reply" (or any photo after /reply) is read for
the QR code of the reply part; the rest of the caption is the transcription. When the code
is unreadable the bot keeps the photo and asks for ``/reply RCM-7K3F-9Q2V``. ``/reply REF
text`` alone brings a transcription without a photo.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    MessageHandler,
    filters,
)

from bot.context import Ctx
from bot.delegate_labels import label_gettext, print_language
from bot.handlers import delegate_render as view
from bot.handlers.common import (
    answer_error,
    edit_or_say,
    keyboard,
    person_of,
    pressed,
    say,
    services,
)
from bot.handlers.guard import Guarded, Staff, staff_button, staff_command
from bot.i18n.catalog import Translator
from bot.state import Fields, Slot
from bot.transport import address_of
from relay import delivery, handover, people, replies, roles
from relay.delivery import Batch
from relay.errors import InvalidInput, NotAllowed, NotFound, RelayError, UnprintableCharacters
from relay.export import signing
from relay.export.reply_qr import read_reference
from relay.export.worker import set_label_translator_factory
from relay.reference import PATTERN
from relay.roles import DELEGATING

_CAPTION = re.compile(r"^\s*(reply|/reply)\b[:\s]*", re.IGNORECASE)


async def _fail(update: Update, tr: Translator, exc: RelayError) -> None:
    if isinstance(exc, NotAllowed):
        raise exc  # the role guard audits it and answers the one refusal
    params: dict[str, Any] = {}
    if isinstance(exc, UnprintableCharacters):
        params = {"ref": exc.reference, "chars": " ".join(f"U+{ord(c):04X}" for c in exc.chars)}
    text = view.delegate_error(tr, exc.code, **params)
    if text is None:
        await answer_error(update, tr, exc)
    else:
        await say(update, tr, text)


async def cmd_export(update: Update, context: Ctx, who: Staff) -> None:
    """Print the approved messages of a site and send the batch PDF as a document."""
    pid, tr = who.person_id, who.tr
    svc = services(context)
    mine = await delivery.delegate_sites(svc.store, pid)
    code = (context.args[0].upper() if context.args else "") or (
        mine[0] if mine and len(mine) == 1 else ""
    )
    if code not in svc.sites:
        await say(update, tr, tr.gettext("Which site? For example: /export ALP"))
        return
    # The site is checked before anything is said about it (a refusal goes to the guard).
    await delivery.check_delegate(svc.store, pid, code, action="export")
    await say(update, tr, tr.gettext("Preparing the batch for {site}…").format(site=code))
    try:
        batch = await _export(context, pid, code)
    except RelayError as exc:
        await _fail(update, tr, exc)
        return
    svc.wake_outbox()  # the families are told "printed"
    await _send_batch(update, context, tr, batch)


async def _export(context: Ctx, pid: str, code: str) -> Batch:
    svc = services(context)
    lang = print_language(svc.sites[code])
    async with svc.export_lock:  # one export at a time: batches never overlap
        return await delivery.export_batch(
            svc.store,
            actor_id=pid,
            site=code,
            sites=svc.sites,
            language=lang,
            _=label_gettext(lang),
        )


async def _send_batch(update: Update, context: Ctx, tr: Translator, batch: Batch) -> None:
    """Send the batch's PDF, its signature, and what was held back."""
    chat = update.effective_chat
    assert chat is not None
    caption = tr.ngettext(
        "Batch {id} for {site}: {n} message. Record outcomes with /handover {id}.",
        "Batch {id} for {site}: {n} messages. Record outcomes with /handover {id}.",
        batch.message_count,
    ).format(id=batch.id, site=batch.site_code, n=batch.message_count)
    await context.bot.send_document(
        chat.id,
        batch.pdf,
        filename=batch.filename,
        caption=tr.directed(caption),
        protect_content=True,
    )
    key_dir = services(context).settings.resolved_key_file.parent
    await _send_signature(context, chat.id, key_dir, batch)
    if batch.held:
        await say(update, tr, view.held_text(tr, batch.held))


async def _send_signature(context: Ctx, chat_id: int, key_dir: Path, batch: Batch) -> None:
    """Send the batch's signature file, for `rcm verify` wherever the PDF travels."""
    key = signing.load_or_create_key(key_dir)
    sig = signing.sign_blobs(
        key, [(batch.filename, batch.pdf)], batch=batch.id, site=batch.site_code
    )
    await context.bot.send_document(
        chat_id, sig, filename=batch.filename + signing.SUFFIX, protect_content=True
    )


async def cmd_batches(update: Update, context: Ctx, who: Staff) -> None:
    """List the delegate's recent batches."""
    tr = who.tr
    try:
        found = await delivery.recent_batches(services(context).store, actor_id=who.person_id)
    except RelayError as exc:
        await _fail(update, tr, exc)
        return
    await say(update, tr, view.batches_text(tr, found))


async def _show_checklist(update: Update, context: Ctx, tr: Translator, batch_id: str) -> None:
    person, _ = await person_of(update, context)
    store = services(context).store
    lines = await handover.checklist(store, actor_id=person.id, batch_id=batch_id)
    text = view.checklist_text(tr, batch_id, lines)
    await edit_or_say(update, tr, text, keyboard(view.checklist_buttons(tr, lines)))


async def cmd_handover(update: Update, context: Ctx, who: Staff) -> None:
    """Show the hand-over checklist of a batch."""
    tr = who.tr
    if not context.args:
        await say(update, tr, tr.gettext("Which batch? For example: /handover B1A2B3C4"))
        return
    try:
        await _show_checklist(update, context, tr, context.args[0].strip().upper())
    except RelayError as exc:
        await _fail(update, tr, exc)


async def on_button(update: Update, context: Ctx, who: Staff) -> None:
    """Record an outcome from the checklist, or ask for the new site of a transfer."""
    person, tr, data = await pressed(update, context)
    if data is None:
        return
    svc = services(context)
    message_id, _dot, site = data.arg.partition(".")
    try:
        if data.verb == "tr":
            reference = await _line(context, person.id, message_id)
            text, rows = view.site_picker(tr, message_id, reference, "", svc.sites)
            await edit_or_say(update, tr, text, keyboard(rows))
        elif data.verb == "to":
            await _record(update, context, tr, message_id, "transferred", site)
        elif data.verb in view.OUTCOME_VERBS:
            await _record(update, context, tr, message_id, view.OUTCOME_VERBS[data.verb], "-")
    except RelayError as exc:
        await _fail(update, tr, exc)


async def _record(
    update: Update, context: Ctx, tr: Translator, message_id: str, outcome: str, site: str
) -> None:
    """Record a hand-over outcome (a transfer to ``site``, "-": unknown), then the list."""
    person, _tr = await person_of(update, context)
    svc = services(context)
    await handover.record_outcome(
        svc.store,
        actor_id=person.id,
        message_id=message_id,
        outcome=outcome,
        transferred_to=site if outcome == "transferred" and site != "-" else None,
        sites=svc.sites,
    )
    svc.wake_outbox()
    batch_id = await handover.batch_of(svc.store, message_id)
    if batch_id is not None:
        await _show_checklist(update, context, tr, batch_id)


async def _line(context: Ctx, person_id: str, message_id: str) -> str:
    """Return the reference of a checklist message (NotFound for anyone else's)."""
    svc = services(context)
    batch_id = await handover.batch_of(svc.store, message_id)
    if batch_id is not None:
        for line in await handover.checklist(svc.store, actor_id=person_id, batch_id=batch_id):
            if line.message_id == message_id:
                return line.reference
    raise NotFound("message")


# -- replies -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingReply:
    """A reply in progress, in its own sealed row (a restart loses nothing).

    none -> waiting (``/reply`` without a reference: the next photo is a reply) -> kept (a
    photo whose code did not read, until its reference is typed) -> none (received).
    """

    waiting: bool = False
    file_id: str | None = None
    text: str = ""


def _encode(value: PendingReply) -> dict[str, object]:
    return {"waiting": value.waiting, "file_id": value.file_id, "text": value.text}


def _decode(fields: Fields) -> PendingReply:
    return PendingReply(
        waiting=fields.flag("waiting"),
        file_id=fields.maybe_text("file_id"),
        text=fields.text("text"),
    )


REPLY = Slot("reply", PendingReply, _encode, _decode)


async def _keep_reply(context: Ctx, person_id: str, pending: PendingReply | None) -> None:
    store = services(context).store
    held = await REPLY.load(store, person_id)
    if pending is None:
        if held.version:
            await REPLY.clear(store, person_id, held)
        return
    held.value = pending
    await REPLY.save(store, person_id, held)


async def cmd_reply(update: Update, context: Ctx, who: Staff) -> None:
    """Start a reply (then the photo), or give the reference of a kept photo, or text only."""
    person, tr = await person_of(update, context)
    args = list(context.args or [])
    if args and PATTERN.fullmatch(args[0].upper()):
        kept = (await REPLY.load(services(context).store, person.id)).value
        text = " ".join(args[1:]) or kept.text
        photo = None
        if kept.file_id:
            file = await context.bot.get_file(kept.file_id)
            photo = bytes(await file.download_as_bytearray())
        await _receive(update, context, args[0], photo, text)
        return
    await _keep_reply(context, person.id, PendingReply(waiting=True))
    await say(
        update,
        tr,
        tr.gettext(
            "Send the photo of the reply part. Type the transcription as its caption if you "
            "have one."
        ),
    )


async def on_photo(update: Update, context: Ctx) -> None:
    """Take a reply photo (group -1); any other photo goes on to the family's compose.

    Only a delegate's photo can be a reply; anybody else's goes on untouched, unanswered.
    """
    message, user = update.effective_message, update.effective_user
    assert message is not None
    assert user is not None
    caption = message.caption or ""
    store = services(context).store
    person = await people.find(store, address_of(user.id))
    if person is None or not {g.role for g in await roles.grants(store, person.id)} & DELEGATING:
        return  # not a delegate: the family's compose handles it
    pending = (await REPLY.load(store, person.id)).value
    if not pending.waiting and not _CAPTION.match(caption):
        return  # not a reply: group 0 handles it
    await _take_reply_photo(update, context)
    raise ApplicationHandlerStop  # handled: the family's compose must not see this photo


async def _on_reply_photo(update: Update, context: Ctx, who: Staff) -> None:
    message = update.effective_message
    assert message is not None
    caption = message.caption or ""
    person, tr = await person_of(update, context)
    text = _CAPTION.sub("", caption, count=1).strip()
    file_id = message.photo[-1].file_id
    file = await context.bot.get_file(file_id)
    photo = bytes(await file.download_as_bytearray())
    reference = await asyncio.to_thread(read_reference, photo)
    if reference is None:
        # Keep Telegram's file id (not the picture) until the reference is typed.
        await _keep_reply(context, person.id, PendingReply(file_id=file_id, text=text))
        await say(
            update,
            tr,
            tr.gettext(
                "The code on the reply could not be read. Please type its reference like "
                "this: /reply RCM-7K3F-9Q2V"
            ),
        )
    else:
        await _receive(update, context, reference, photo, text)


_take_reply_photo = Guarded(DELEGATING, "reply.photo", _on_reply_photo)


async def _receive(
    update: Update, context: Ctx, reference: str, photo: bytes | None, text: str
) -> None:
    person, tr = await person_of(update, context)
    svc = services(context)
    try:
        done = await replies.receive_reply(
            svc.store,
            delegate_id=person.id,
            reference=reference,
            photo=photo,
            transcription=text or None,
            checker=svc.checker,
            sites=svc.sites,
        )
    except RelayError as exc:
        if not isinstance(exc, InvalidInput) or exc.code != "bad_reference":
            await _keep_reply(context, person.id, None)
        await _fail(update, tr, exc)
        return
    await _keep_reply(context, person.id, None)
    svc.wake_outbox()
    await say(
        update,
        tr,
        tr.gettext("Reply to {ref} received. It goes to review, then to the family.").format(
            ref=done.reference
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the delegate handlers: reply photos in group -1 (before the family's compose)."""
    set_label_translator_factory(label_gettext)  # printed labels in the batch's language
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO, on_photo), group=-1)
    staff_command(app, "export", DELEGATING, cmd_export)
    staff_command(app, "batches", DELEGATING, cmd_batches)
    staff_command(app, "handover", DELEGATING, cmd_handover)
    staff_command(app, "reply", DELEGATING, cmd_reply)
    staff_button(app, "del", DELEGATING, on_button)
