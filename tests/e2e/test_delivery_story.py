"""A message travels: approved, printed by the delegate, handed over or moved, answered."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import segno
from pypdf import PdfReader

from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser, Transcript, button_with
from relay import messages, people, roles
from relay.export import signing
from relay.models import Role
from relay.store import Store
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.relay.delivery_helpers import approve_all, state_of

FAMILY_ID = 4_100_001
DELEGATE_ID = 4_200_001
REVIEWER_ID = 4_300_001


async def _staff(store: Store) -> str:
    """Give the delegate (ALP) and a reviewer (English) their roles; return the reviewer."""
    await roles.grant(
        store,
        actor_id="config",
        target=address_of(DELEGATE_ID),
        role=Role.DELEGATE,
        site_code="ALP",
        bootstrap=True,
    )
    return await roles.grant(
        store,
        actor_id="config",
        target=address_of(REVIEWER_ID),
        role=Role.REVIEWER,
        languages=("en",),
        bootstrap=True,
    )


def _latest_with(prefix: str) -> Callable[[Transcript], TranscriptEntry | None]:
    def check(entries: Transcript) -> TranscriptEntry | None:
        for entry in reversed(entries):
            if entry.from_bot and not entry.deleted and button_with(entry, prefix):
                return entry
        return None

    return check


async def _document(user: ScriptedUser, after: int) -> TranscriptEntry:
    def check(entries: Transcript) -> TranscriptEntry | None:
        return next(
            (e for e in entries if e.from_bot and e.message_id > after and e.kind == "document"),
            None,
        )

    return await user.wait_until(check)


async def test_printed_handed_over_moved_and_answered(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a running bot, a delegate for ALP, a reviewer, and a family with two messages
    running = await bot()
    store = running.services.store
    reviewer = await _staff(store)
    family = ScriptedUser(client, FAMILY_ID, "Mary", "en")
    delegate = ScriptedUser(client, DELEGATE_ID, "Del", "en", timeout=30.0)
    await delegate.setup()
    await family.onboard("Mary Smith")
    form = AddresseeForm(full_name="John Smith", detainee_number="A-77", site_code="ALP")
    kept = await family.write(form, "Dear son, we are all well. Your sister started school.")
    person = await people.find(store, address_of(FAMILY_ID))
    assert person is not None
    (addressee,) = await messages.addressees(store, person.id)
    moved = await family.write(addressee.id, "Dear son, the harvest was good this year.")
    kept_id = await messages.find_reference(store, person.id, kept)
    moved_id = await messages.find_reference(store, person.id, moved)
    # And a reviewer approves both (through the review service on the bot's own store)
    assert len(await approve_all(store, reviewer)) == 2
    mark_family = await family.mark()
    # When the delegate asks for the batch
    mark = await delegate.say("/export ALP")
    document = await _document(delegate, mark)
    # Then a protected PDF arrives whose text holds the references and the Latin name
    assert document.protect_content is True
    assert document.file_name is not None
    assert re.fullmatch(r"batch-ALP-B[0-9A-F]{8}\.pdf", document.file_name)
    assert document.file_id is not None
    pdf = await client.file_bytes(document.file_id)
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert kept in text
    assert moved in text
    assert "John Smith" in text
    batch_id = document.file_name.removeprefix("batch-ALP-").removesuffix(".pdf")
    # And its signature follows: saved beside the PDF, the pack verifies offline
    signature = await _document(delegate, document.message_id)
    assert signature.file_name == document.file_name + ".sig"
    assert signature.file_id is not None
    pack = running.services.settings.data_dir / "received"
    pack.mkdir()
    (pack / document.file_name).write_bytes(pdf)
    (pack / signature.file_name).write_bytes(await client.file_bytes(signature.file_id))
    trusted = running.services.settings.resolved_key_file.parent / signing.PUBLIC_NAME
    verdict = signing.verify_pack(pack / document.file_name, trusted.read_text().strip())
    assert (verdict.problems, verdict.batch, verdict.trusted) == ((), batch_id, True)
    # And the family is told both were printed
    await family.wait_text(f"{kept} was printed", mark_family)
    await family.wait_text(f"{moved} was printed", mark_family)
    # When the delegate records the hand-over of the first from the checklist
    mark = await delegate.say(f"/handover {batch_id}")
    checklist = await delegate.wait_button("del:ok:", mark)
    assert button_with(checklist, f"del:ok:{kept_id}") == f"del:ok:{kept_id}"
    mark_family = await family.mark()
    await delegate.press(checklist, f"del:ok:{kept_id}")
    # Then the family is told it was handed over, with the date
    told = await family.wait_text(f"{kept} was handed over on", mark_family, edited_ok=False)
    assert re.search(r"handed over on \w+ \d{1,2}, \d{4}", told.text or "")
    # When the second is recorded as transferred to Bravo
    checklist = await delegate.wait_until(_latest_with(f"del:tr:{moved_id}"))
    await delegate.press(checklist, f"del:tr:{moved_id}")
    picker = await delegate.wait_until(_latest_with(f"del:to:{moved_id}.BRV"))
    mark_family = await family.mark()
    await delegate.press(picker, f"del:to:{moved_id}.BRV")
    # Then it is back in the queue for the new site, and the family is told
    await family.wait_text(f"{moved} could not be handed over", mark_family, edited_ok=False)
    assert await state_of(store, moved_id) == ("submitted", "BRV", None)
    # When the delegate brings a reply back: a photo of the reply part with its QR code
    qr = io.BytesIO()
    segno.make_qr(kept, error="m").save(qr, kind="png", scale=8, border=4)
    mark = await client.send_photo(
        DELEGATE_ID, qr.getvalue(), caption="reply\nI am well. Kiss my sister for me."
    )
    await delegate.wait_text(f"Reply to {kept} received", mark, edited_ok=False)
    # And a reviewer approves it
    mark_family = await family.mark()
    assert len(await approve_all(store, reviewer)) == 2  # the reply, and the moved message
    running.services.wake_outbox()

    # Then the family receives the photo with the transcription
    def reply_photo(entries: Transcript) -> TranscriptEntry | None:
        return next(
            (
                e
                for e in entries
                if e.from_bot and e.message_id > mark_family and e.kind == "photo"
            ),
            None,
        )

    photo = await family.wait_until(reply_photo)
    assert photo.caption is not None
    assert f"A reply to your message {kept} has arrived" in photo.caption
    assert "I am well. Kiss my sister for me." in photo.caption
    assert photo.protect_content is True
    # And the batch's hand-over list shows the moved message as transferred, although it is
    # approved again (for Bravo) by now: not by its state in another site's queue
    mark = await delegate.say(f"/handover {batch_id}")
    final = await delegate.wait_text(
        "Every outcome of this batch is recorded", mark, edited_ok=False
    )
    assert (final.text or "").splitlines()[1:3] == [
        f"1. {kept} · John Smith · handed over",
        f"2. {moved} · John Smith · transferred to BRV",
    ]
    assert button_with(final, "del:") is None


async def test_families_are_answered_while_a_batch_renders(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given fifty approved messages for ALP
    running = await bot()
    store = running.services.store
    reviewer = await _staff(store)
    family = ScriptedUser(client, FAMILY_ID, "Mary", "en")
    delegate = ScriptedUser(client, DELEGATE_ID, "Del", "en", timeout=60.0)
    await delegate.setup()
    await family.onboard("Mary Smith")
    await family.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "We are well.")
    person = await people.find(store, address_of(FAMILY_ID))
    assert person is not None
    (addressee,) = await messages.addressees(store, person.id)
    svc = running.services
    for n in range(49):
        await messages.submit(
            store,
            person_id=person.id,
            addressee_id=addressee.id,
            text=f"News number {n}: the garden is green, the children are at school. " * 4,
            lang="en",
            submit_key=f"bulk-{n}",
            checker=svc.checker,
            sites=svc.sites,
            per_day=100,
        )
    assert len(await approve_all(store, reviewer)) == 50
    # When the delegate exports and, right after, the family asks for its status
    mark = await delegate.say("/export ALP")
    mark_family = await family.say("/status")
    # Then the family's answer comes before the batch is done
    status = await family.wait_reply(mark_family)
    pending = [e.kind for e in await delegate.transcript() if e.from_bot and e.message_id > mark]
    document = await _document(delegate, mark)
    assert "RCM-" in (status.text or "")
    # No document yet ("Preparing the batch…" may or may not have arrived: not the point)
    assert "document" not in pending
    pdf = await client.file_bytes(document.file_id or "")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 52  # cover, manifest, fifty forms
    sent_before_pdf = [
        e
        for e in await delegate.transcript()
        if e.from_bot and mark < e.message_id < document.message_id
    ]
    assert [e.text for e in sent_before_pdf] == ["Preparing the batch for ALP…"]
    family_answers = [
        e for e in await family.transcript() if e.from_bot and e.message_id > mark_family
    ]
    assert family_answers[0].message_id == status.message_id
