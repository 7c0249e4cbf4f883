"""Files: multipart upload by the bot, getFile and download; photos sent by the user."""

from __future__ import annotations

import io

from PIL import Image
from telegram import Bot

from sandbox import SandboxClient, SandboxServer


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


async def test_send_document_upload_round_trips_bytes(
    sandbox: SandboxServer, client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    payload = bytes(range(256)) * 40  # binary, not text: catches any decoding on the way
    msg = await ptb_bot.send_document(
        user, document=payload, filename="batch-KBL.pdf", caption="batch", protect_content=True
    )
    assert msg.document is not None
    assert (msg.document.file_name, msg.document.mime_type, msg.document.file_size) == (
        "batch-KBL.pdf",
        "application/pdf",
        len(payload),
    )
    assert msg.caption == "batch"

    tg_file = await ptb_bot.get_file(msg.document.file_id)
    assert tg_file.file_path is not None
    assert tg_file.file_path.startswith(f"{sandbox.api_root}/file/bot123:abc/documents/")
    downloaded = await tg_file.download_as_bytearray()
    assert bytes(downloaded) == payload
    assert await client.file_bytes(msg.document.file_id) == payload

    entry = (await client.transcript(user))[-1]
    assert (entry.kind, entry.file_name, entry.caption, entry.protect_content) == (
        "document",
        "batch-KBL.pdf",
        "batch",
        True,
    )


async def test_user_photo_is_downloadable_by_the_bot(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    image = png(64, 48)
    await client.send_photo(user, image, caption="reply page")
    updates = await ptb_bot.get_updates()
    message = updates[-1].message
    assert message is not None
    assert message.caption == "reply page"
    largest = message.photo[-1]
    assert (largest.width, largest.height, largest.file_size) == (64, 48, len(image))
    tg_file = await largest.get_file()
    assert bytes(await tg_file.download_as_bytearray()) == image


async def test_send_photo_by_file_id_reuses_the_file(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    first = await ptb_bot.send_photo(user, photo=png(10, 20))
    again = await ptb_bot.send_photo(user, photo=first.photo[-1].file_id)
    assert again.photo[-1].file_id == first.photo[-1].file_id
    assert (again.photo[-1].width, again.photo[-1].height) == (10, 20)


async def test_user_document_voice_sticker_location_contact_reach_the_bot(
    client: SandboxClient, ptb_bot: Bot, user: int
) -> None:
    await client.send_document(user, b"%PDF-1.4", "letter.pdf", "application/pdf")
    await client.send_voice(user, b"OggS", duration=3)
    await client.send_sticker(user)
    await client.send_location(user, 34.5, 69.2)
    await client.send_contact(user, "+93700000000", "Zahra")
    messages = [u.message for u in await ptb_bot.get_updates(offset=2)]
    assert [m.message_id for m in messages if m] == [2, 3, 4, 5, 6]
    doc, voice, sticker, loc, contact = messages
    assert doc is not None
    assert doc.document is not None
    assert (doc.document.file_name, doc.document.mime_type) == ("letter.pdf", "application/pdf")
    assert voice is not None
    assert voice.voice is not None
    assert voice.voice.mime_type == "audio/ogg"
    assert sticker is not None
    assert sticker.sticker is not None
    assert sticker.sticker.type == "regular"
    assert loc is not None
    assert loc.location is not None
    assert (loc.location.latitude, loc.location.longitude) == (34.5, 69.2)
    assert contact is not None
    assert contact.contact is not None
    assert (contact.contact.phone_number, contact.contact.first_name) == ("+93700000000", "Zahra")
