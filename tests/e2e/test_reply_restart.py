"""A reply photo whose code cannot be read waits for its typed reference, across a restart."""

from __future__ import annotations

import io

from PIL import Image

from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser
from relay import delivery, messages, people, roles
from relay.models import Role
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.relay.delivery_helpers import approve_all, state_of

FAMILY, DELEGATE, REVIEWER = 4_500_001, 4_500_002, 4_500_003


def blank_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (240, 240, 235)).save(out, format="JPEG")
    return out.getvalue()


async def test_typed_reference_after_a_restart_completes_the_reply(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given a printed message and a delegate of its site
    running = await bot()
    store = running.services.store
    delegate_id = await roles.grant(
        store,
        actor_id="config",
        target=address_of(DELEGATE),
        role=Role.DELEGATE,
        site_code="ALP",
        bootstrap=True,
    )
    reviewer = await roles.grant(
        store,
        actor_id="config",
        target=address_of(REVIEWER),
        role=Role.REVIEWER,
        languages=("en",),
        bootstrap=True,
    )
    family = ScriptedUser(client, FAMILY, "Mary", "en")
    await family.onboard("Mary Smith")
    ref = await family.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    await approve_all(store, reviewer)
    await delivery.export_batch(
        store, actor_id=delegate_id, site="ALP", sites=running.services.sites
    )
    delegate = ScriptedUser(client, DELEGATE, "Dan", "en")
    await delegate.setup()
    # When the delegate sends a photo whose code cannot be read
    mark = await client.send_photo(DELEGATE, blank_photo(), caption="reply\nI am well, mother.")
    await delegate.wait_text("could not be read", mark, edited_ok=False)
    # And the bot restarts before the reference is typed
    await running.stop()
    running = await bot()
    mark = await delegate.say(f"/reply {ref}")
    await delegate.wait_text(f"Reply to {ref} received", mark, edited_ok=False)
    # Then the reply exists, with the photo and the transcription kept from before the restart
    person = await people.find(running.services.store, address_of(FAMILY))
    assert person is not None
    views = await messages.list_for(running.services.store, person.id)
    reply = next(v for v in views if v.kind == "reply")
    assert (await state_of(running.services.store, reply.id))[0] == "submitted"
    assert await messages.photo_of(running.services.store, reply.id) is not None
    async with running.services.store.tx() as tx:
        row = await tx.one("SELECT * FROM messages WHERE id = ?", (reply.id,))
        assert row is not None
        assert (await messages.message_text_in(tx, row))[0] == "I am well, mother."
