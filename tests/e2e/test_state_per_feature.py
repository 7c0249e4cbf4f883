"""Each feature keeps its own conversation state (issue 11).

Regressions: one state blob per person was shared by compose, the review card, a delegate's
reply and an invitation, and sending, cancelling or /new replaced all of it. A reviewer who
wrote as a family lost their card's work, a delegate their kept reply photo, and /new an
invitation waiting for Accept.
"""

from __future__ import annotations

from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser
from relay import delivery, messages, people, roles
from relay.models import Role
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import (
    ADMIN_ID,
    grant,
    message_id_of,
    next_card,
    press_then,
    staff_user,
    type_then,
)
from tests.e2e.test_reply_restart import blank_photo
from tests.relay.delivery_helpers import approve_all

FORM = AddresseeForm(full_name="John Smith", site_code="ALP")
PHONE_TEXT = "Call me on +963 944 123 456, we are all well"


async def test_a_reviewer_who_writes_as_a_family_keeps_their_card(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a family's message with a proposed removal (a phone number)...
    await bot()
    family = ScriptedUser(client, 8101, "Mary", "en")
    await family.onboard("Mary Smith")
    ref = await family.write(FORM, PHONE_TEXT)
    # ...on the card of a reviewer who marked one more passage by hand
    admin = await staff_user(client, ADMIN_ID)
    await grant(admin, 8201, "reviewer", "en")
    reviewer = await staff_user(client, 8201)
    card = await next_card(reviewer)
    await press_then(reviewer, card, f"rev:add:{message_id_of(card)}", "rev:card:")
    card = await type_then(reviewer, "we are all well", "rev:red:")
    # When the reviewer, as a family, writes and sends a letter of their own
    await reviewer.onboard("Rita Jones")
    own = await reviewer.write(FORM, "We are all well at home.")
    assert own != ref
    # Then the card they held still has their work (two passages), and approves
    confirm = await press_then(reviewer, card, "rev:red:", "rev:red2:")
    assert confirm.text == f"Approve {ref} with 2 passages removed?"
    done = await press_then(reviewer, confirm, "rev:red2:", "rev:next:")
    assert done.text == f"{ref}: approved. 2 passages removed."


async def test_a_delegate_who_writes_as_a_family_keeps_their_pending_reply(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a printed message and its delegate, who sent a reply photo with an unreadable code
    running = await bot()
    store = running.services.store
    delegate_id = await roles.grant(
        store,
        actor_id="config",
        target=address_of(8302),
        role=Role.DELEGATE,
        site_code="ALP",
        bootstrap=True,
    )
    reviewer_id = await roles.grant(
        store,
        actor_id="config",
        target=address_of(8303),
        role=Role.REVIEWER,
        languages=("en",),
        bootstrap=True,
    )
    family = ScriptedUser(client, 8301, "Mary", "en")
    await family.onboard("Mary Smith")
    ref = await family.write(FORM, "All well.")
    await approve_all(store, reviewer_id)
    await delivery.export_batch(
        store, actor_id=delegate_id, site="ALP", sites=running.services.sites
    )
    delegate = ScriptedUser(client, 8302, "Dan", "en")
    await delegate.setup()
    mark = await client.send_photo(8302, blank_photo(), caption="reply\nI am well, mother.")
    await delegate.wait_text("could not be read", mark, edited_ok=False)
    # When the delegate, as a family, writes and sends a letter of their own
    await delegate.onboard("Dan Brown")
    await delegate.write(FORM, "Greetings to my cousin.")
    # Then typing the reference completes the reply with the photo kept before
    mark = await delegate.say(f"/reply {ref}")
    await delegate.wait_text(f"Reply to {ref} received", mark, edited_ok=False)
    person = await people.find(store, address_of(8301))
    assert person is not None
    reply = next(v for v in await messages.list_for(store, person.id) if v.kind == "reply")
    assert await messages.photo_of(store, reply.id) is not None


async def test_new_keeps_an_invitation_waiting_for_accept(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a son who opened his mother's invitation and sees Accept
    running = await bot()
    mother = ScriptedUser(client, 8401, "Amal", "en")
    son = ScriptedUser(client, 8402, "Omar", "en")
    await mother.onboard("Amal Khalil")
    await son.onboard("Omar Khalil")
    mark = await mother.say("/link")
    invite = await mother.wait_text(r"start=inv_", mark, edited_ok=False)
    code = (invite.text or "").split("start=inv_")[1].split()[0]
    mark = await son.say(f"/start inv_{code}")
    offer = await son.wait_button("link:accept", mark)
    # When he types /new before answering
    mark = await son.say("/new")
    await son.wait_button("new:to:", mark)
    # Then Accept still links them: his mother is an addressee he can pick
    mark = await son.press(offer, "link:accept")
    linked = await son.wait_text("You are linked", mark)
    assert linked.text == "You are linked. Choose them as addressee in /new."
    person = await people.find(running.services.store, address_of(8402))
    assert person is not None
    known = await messages.addressees(running.services.store, person.id)
    assert [a.full_name for a in known] == ["Amal Khalil"]
