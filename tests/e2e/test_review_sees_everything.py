"""Review sees everything it approves, and staff are told: photos with their own verdict, a
reply photo held back, site-scoped grants, escalations that reach a senior unasked, a card
that says who writes to whom. Real bot, sandbox, store, rules."""

from __future__ import annotations

import io

import segno

from bot.i18n.catalog import translator
from bot.texts import photo_reason
from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser, Transcript
from relay import delivery, handover, messages, outbox, people, replies, review
from relay.review import Decision, Verdict
from relay.store import Store
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID, grant, message_id_of, press_then, staff_user, type_then
from tests.relay.delivery_helpers import approve_all


def png(text: str) -> bytes:
    """A real PNG image (a QR code of ``text``: a photo that carries writing)."""
    out = io.BytesIO()
    segno.make_qr(text).save(out, kind="png", scale=4)
    return out.getvalue()


async def card_after(reviewer: ScriptedUser, mark: int) -> tuple[TranscriptEntry, Transcript]:
    """Wait for the review card after ``mark``; return it and the bot's messages before it."""
    card = await reviewer.wait_button("rev:ok:", mark)
    before = [
        e
        for e in await reviewer.transcript()
        if e.from_bot and mark < e.message_id < card.message_id
    ]
    return card, before


async def test_photo_is_shown_judged_removed_and_the_text_still_travels(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given an Arabic family whose message carries a photo with a phone number written on it
    running = await bot()
    fam = ScriptedUser(client, 8101, "Fam", "ar")
    await fam.onboard("فاطمة حسن", "Fatima Hassan")
    form = AddresseeForm(
        full_name="أحمد حسن", latin_name="Ahmad Hassan", relationship="son", site_code="ALP"
    )
    earlier = await fam.write(form, "Dear son, the harvest was good this year.")
    ref = await fam.write(form, "Dear son, we are all well.", photo=png("+963 944 123 456"))
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8102, "reviewer", "ar,en")
    reviewer = await staff_user(client, 8102)
    store = running.services.store
    # (the earlier message is approved first, so this one is the next)
    reviewer_id = (await people.find(store, address_of(8102))).id  # type: ignore[union-attr]
    first = await approve_all_one(store, reviewer_id)
    assert first == earlier
    # When the reviewer takes it
    mark = await reviewer.say("/next")
    card, before = await card_after(reviewer, mark)
    # Then the photo comes first, content protected, and the card says who writes to whom
    assert [(e.kind, e.caption, e.protect_content) for e in before] == [("photo", ref, True)]
    text = card.text or ""
    assert "From: فاطمة حسن (Fatima Hassan)" in text
    assert "To: أحمد حسن (Ahmad Hassan) · son" in text
    assert "waiting 0 days · due" in text
    assert f"• {earlier} (approved, " in text
    assert ": Dear son, the harvest was good this year." in text
    assert "keep it or remove it first" in text
    # When they try to approve before judging the photo
    mark = await reviewer.press(card, "rev:ok:")
    refusal = await reviewer.wait_reply(mark)
    # Then it is refused with the reason
    assert refusal.text == (
        "Judge the photo first: keep it, or remove it with a reason the family reads."
    )
    # When they remove the photo (it carries writing) and approve the text
    reasons = await press_then(reviewer, card, "rev:px:", "rev:pr:")
    mid = message_id_of(card)
    card = await press_then(reviewer, reasons, f"rev:pr:{mid}.writing", "rev:ok:")
    assert "🖼 Photo: removed (it carries writing, numbers or a map that cannot travel)." in (
        card.text or ""
    )
    before_told = await fam.mark()
    done = await press_then(reviewer, card, "rev:ok:", "rev:next:")
    assert done.text == f"{ref}: approved."
    # Then the family reads, in Arabic, that the text goes and why the photo does not
    tr = translator("ar")
    told = await fam.wait_text(ref, before_told, edited_ok=False)
    assert told.text == tr.directed(
        tr.gettext("Your message {ref} was approved.").format(ref=ref)
        + "\n"
        + tr.gettext("The photo does not travel with it: {reason}.").format(
            reason=photo_reason(tr, "writing")
        )
    )
    # And the photo is gone from the store: it can be neither printed nor sent
    assert await messages.photo_of(store, mid) is None


async def approve_all_one(store: Store, reviewer_id: str) -> str:
    """Approve the next message (through the service); return its reference."""
    item = await review.claim_next(store, reviewer_id=reviewer_id, lease_s=600)
    assert item is not None
    mid = item.message_id
    await review.decide(
        store, reviewer_id=reviewer_id, message_id=mid, decision=Decision(Verdict.APPROVE)
    )
    async with store.tx() as tx:
        row = await tx.one("SELECT family_id, ref_enc FROM messages WHERE id = ?", (mid,))
        assert row is not None
        ref = await tx.open_for(row["family_id"], "messages", "ref", mid, row["ref_enc"])
    return ref.decode()


async def test_reply_photo_held_back_only_the_transcription_reaches_the_family(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a printed message and its handwritten reply (photo and transcription)
    running = await bot()
    svc = running.services
    store = svc.store
    fam = ScriptedUser(client, 8201, "Mary", "en")
    await fam.onboard("Mary Smith")
    ref = await fam.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8202, "reviewer", "en")
    await grant(admin, 8203, "delegate", "ALP")
    reviewer = await staff_user(client, 8202)
    reviewer_id = (await people.find(store, address_of(8202))).id  # type: ignore[union-attr]
    delegate_id = (await people.find(store, address_of(8203))).id  # type: ignore[union-attr]
    await approve_all(store, reviewer_id)
    await delivery.export_batch(store, actor_id=delegate_id, site="ALP", sites=svc.sites)
    await replies.receive_reply(
        store,
        delegate_id=delegate_id,
        reference=ref,
        photo=png("cell 4, guard Karim"),
        transcription="I am well. Kiss the children.",
        checker=svc.checker,
        sites=svc.sites,
    )
    # When the reviewer sees the reply photo and holds it back
    mark = await reviewer.say("/next")
    card, before = await card_after(reviewer, mark)
    assert [e.kind for e in before] == ["photo"]
    mid = message_id_of(card)
    reasons = await press_then(reviewer, card, "rev:px:", "rev:pr:")
    card = await press_then(reviewer, reasons, f"rev:pr:{mid}.place_or_people", "rev:ok:")
    told_mark = await fam.mark()
    await press_then(reviewer, card, "rev:ok:", "rev:next:")
    # Then the family gets the transcription as text, no photo, and why
    told = await fam.wait_text("A reply to your message", told_mark, edited_ok=False)
    assert told.kind == "text"
    assert told.protect_content is True
    assert told.text == "\n".join(
        [
            f"A reply to your message {ref} has arrived.",
            "",
            "Transcription:",
            "I am well. Kiss the children.",
            "",
            "The photo of the reply was held back: it shows a place or people that cannot "
            "be shown.",
        ]
    )
    later = [e for e in await fam.transcript() if e.from_bot and e.message_id > told_mark]
    assert [e.kind for e in later if e.kind == "photo"] == []


async def test_a_site_scoped_reviewer_never_sees_another_site(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given messages to ALP and to BRV, and an admin
    await bot()
    fam = ScriptedUser(client, 8301, "Mary", "en")
    await fam.onboard("Mary Smith")
    alp = await fam.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    brv = await fam.write(AddresseeForm(full_name="Paul Smith", site_code="BRV"), "All well.")
    admin = await staff_user(client, ADMIN_ID)
    # When the admin limits a grant to a site that does not exist
    mark = await admin.say("/grant 8302 reviewer XYZ en")
    refused = await admin.wait_reply(mark)
    # Then it is refused with the valid codes, and nothing is granted
    assert refused.text == "There is no site XYZ. Sites: ALP, BRV, CDR, DLT."
    # When the admin grants a reviewer limited to BRV
    await grant(admin, 8302, "reviewer", "BRV", "en")
    reviewer = await staff_user(client, 8302)
    # Then /queue shows BRV only, /next hands out BRV, and then nothing
    mark = await reviewer.say("/queue")
    queue = await reviewer.wait_reply(mark)
    assert (queue.text or "").splitlines()[1:] == [
        "BRV · en: 1 waiting, oldest 0 days, 0 overdue, 1 reader"
    ]
    mark = await reviewer.say("/next")
    card = await reviewer.wait_button("rev:ok:", mark)
    assert (card.text or "").startswith(f"{brv} · BRV · en")
    await press_then(reviewer, card, "rev:ok:", "rev:next:")
    mark = await reviewer.say("/next")
    nothing = await reviewer.wait_reply(mark)
    assert nothing.text == "Nothing to review in your languages right now."
    assert alp not in "".join(e.text or "" for e in await reviewer.transcript())


async def test_next_while_holding_hands_back_the_held_message(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    fam = ScriptedUser(client, 8401, "Mary", "en")
    await fam.onboard("Mary Smith")
    form = AddresseeForm(full_name="John Smith", site_code="ALP")
    first = await fam.write(form, "All well.")
    await fam.write(form, "All well again.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8402, "reviewer", "en")
    reviewer = await staff_user(client, 8402)
    shown = []
    for _ in range(2):
        mark = await reviewer.say("/next")
        card = await reviewer.wait_button("rev:ok:", mark)
        shown.append((card.text or "").split(" ·")[0])
    assert shown == [first, first]


async def test_an_escalation_reaches_the_seniors_who_read_it_unasked(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a reviewer, a senior reading English, one who muted alerts, one reading Persian
    running = await bot()
    store = running.services.store
    fam = ScriptedUser(client, 8501, "Mary", "en")
    await fam.onboard("Mary Smith")
    ref = await fam.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8502, "reviewer", "en")
    await grant(admin, 8503, "senior", "en")
    await grant(admin, 8504, "senior", "en")
    await grant(admin, 8505, "senior", "fa")
    seniors = [await staff_user(client, i) for i in (8503, 8504, 8505)]
    for senior, word in zip(seniors, ("on", "off", "on"), strict=True):
        # (their first word to the bot also tells it where to reach them)
        mark = await senior.say(f"/alerts {word}")
        said = await senior.wait_reply(mark)
        assert (said.text or "").startswith("Alerts are " + word)
    reviewer = await staff_user(client, 8502)
    # When the reviewer escalates the message
    card = await reviewer.wait_button("rev:ok:", await reviewer.say("/next"))
    await reviewer.press(card, "rev:esc:")
    confirm = await type_then(reviewer, "Please look.", "rev:esc2:")
    mark = await seniors[0].mark()
    await press_then(reviewer, confirm, "rev:esc2:", "rev:next:")
    # Then the senior who reads English is told in their chat, without asking
    alert = await seniors[0].wait_text("waits for a senior reviewer", mark, edited_ok=False)
    assert alert.text == (
        f"A message waits for a senior reviewer: {ref} (ALP, en). Type /next to take it."
    )
    assert alert.protect_content is True
    # And nobody else was queued anything (the rows are written with the escalation)
    muted, persian = [await people.find(store, address_of(i)) for i in (8504, 8505)]
    async with store.tx() as tx:
        rows = await tx.all("SELECT person_id FROM outbox")
    recipients = {r["person_id"] for r in rows}
    assert muted is not None
    assert persian is not None
    assert {muted.id, persian.id} & recipients == set()
    assert await outbox.counts(store) != {}


async def test_a_strangers_staff_command_is_answered_once(
    bot: BotStarter, client: SandboxClient
) -> None:
    await bot()
    stranger = ScriptedUser(client, 8601, "S", "en")
    await stranger.setup()
    mark = await stranger.say("/export ALP")
    # (updates of one chat are handled in order: once /help is answered, /export is done)
    await stranger.say("/help")
    help_mark = await stranger.wait_text("/new", mark, edited_ok=False)
    answers = [
        e.text
        for e in await stranger.transcript()
        if e.from_bot and mark < e.message_id < help_mark.message_id
    ]
    assert answers == ["Sorry, you are not allowed to do this."]


async def test_a_claim_is_checked_by_two_staff_who_see_its_candidates(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a message held because its addressee, Karim, was released
    running = await bot()
    svc = running.services
    store = svc.store
    fam = ScriptedUser(client, 8701, "Mary", "en")
    await fam.onboard("Mary Haddad")
    form = AddresseeForm(full_name="Karim Haddad", detainee_number="AB 123", site_code="ALP")
    ref = await fam.write(form, "We are all well.")
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8702, "reviewer", "en")
    await grant(admin, 8703, "delegate", "ALP")
    await grant(admin, 8704, "senior", "en")
    reviewer_id = (await people.find(store, address_of(8702))).id  # type: ignore[union-attr]
    delegate_id = (await people.find(store, address_of(8703))).id  # type: ignore[union-attr]
    await approve_all(store, reviewer_id)
    await delivery.export_batch(store, actor_id=delegate_id, site="ALP", sites=svc.sites)
    await handover.record_outcome(store, actor_id=delegate_id, reference=ref, outcome="released")
    # When Karim, released, asks for his messages in the bot
    karim = ScriptedUser(client, 8705, "Karim", "en")
    await karim.onboard("Karim Haddad")
    told = await admin.mark()
    mark = await karim.say("/claim AB123 Karim Haddad")
    recorded = await karim.wait_text("was recorded", mark, edited_ok=False)
    claim_id = (recorded.text or "").split()[2]
    # Then the admin is told, unasked
    alert = await admin.wait_text("asks for the messages kept for them", told, edited_ok=False)
    assert f"/confirm_claim {claim_id}" in (alert.text or "")
    # When a reviewer opens it: the claim beside the candidate held message
    reviewer = await staff_user(client, 8702)
    mark = await reviewer.say(f"/confirm_claim {claim_id}")
    card = await reviewer.wait_button("clm:ok:", mark)
    text = card.text or ""
    assert "The person says: Karim Haddad · number AB123 · born —" in text
    assert f"✔ {ref} · ALP · Karim Haddad · number AB 123 · born —" in text
    # And confirming without saying what was checked is refused
    mark = await reviewer.press(card, "clm:ok:")
    refusal = await reviewer.wait_reply(mark)
    assert refusal.text == "Tick what you checked first: a document, or questions asked."
    # When they tick "document seen" and confirm
    card = await press_then(reviewer, card, f"clm:chk:{claim_id}.d", f"clm:ok:{claim_id}.d")
    mark = await reviewer.press(card, f"clm:ok:{claim_id}.d")
    # Then one confirmation is noted; nothing is delivered yet
    await reviewer.wait_text("A second staff member must confirm too.", mark)
    # When a senior, from /claims, asks questions and confirms
    senior = await staff_user(client, 8704)
    listing = await senior.wait_button("clm:show:", await senior.say("/claims"))
    card = await press_then(senior, listing, "clm:show:", "clm:ok:")
    assert "Request " + claim_id + " · 1 of 2 confirmations" in (card.text or "")
    card = await press_then(senior, card, f"clm:chk:{claim_id}.q", f"clm:ok:{claim_id}.q")
    before = await karim.mark()
    mark = await senior.press(card, f"clm:ok:{claim_id}.q")
    await senior.wait_text("Confirmed. 1 kept message was delivered.", mark)
    # Then Karim reads his mother's message in the chat
    letter = await karim.wait_text("We are all well.", before, edited_ok=False)
    assert ref in (letter.text or "")
