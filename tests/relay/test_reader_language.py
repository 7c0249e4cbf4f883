"""The language the detained addressee reads: set by the reviewer, printed on every later form."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest
from pypdf import PdfReader

from console.i18n import label_gettext
from relay import audit, messages, reader_language, review
from relay.delivery import export_batch
from relay.errors import Conflict, InvalidInput
from relay.export.worker import set_label_translator_factory
from relay.models import Site
from relay.store import Store
from tests.relay.conftest import Family
from tests.relay.delivery_helpers import Staff, approve_all, make_staff

Send = Callable[..., Awaitable[messages.Submitted]]
MakeFamily = Callable[..., Awaitable[Family]]
FRENCH_REPLY = "Écrivez votre réponse sur les lignes ci-dessous."
ENGLISH_REPLY = "Write your reply on the lines below."


@pytest.fixture
def labels() -> None:
    set_label_translator_factory(label_gettext)


async def _printed(store: Store, staff: Staff, sites: dict[str, Site]) -> str:
    batch = await export_batch(store, actor_id=staff.delegate_alp, site="ALP", sites=sites)
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(batch.pdf)).pages)


async def test_the_reviewer_sets_the_readers_language_and_every_later_form_follows_it(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site], labels: None
) -> None:
    staff = await make_staff(store)
    family = await make_family()
    # Given an English letter held by a reviewer, whose addressee reads French
    await send(family, "We are all well, the harvest was good.")
    item = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert item is not None
    await reader_language.set_for_held(
        store, reviewer_id=staff.reviewer, message_id=item.message_id, lang="fr"
    )
    await approve_all(store, staff.reviewer)  # the held one is approved with the others
    # Then the form's reply instructions are printed in French, and the change is audited
    assert FRENCH_REPLY in await _printed(store, staff, sites)
    (entry,) = [
        e
        for e in await audit.entries(store, obj=item.message_id)
        if e.action == "addressee.reader_language"
    ]
    assert entry.actor == staff.reviewer
    # And the next letter to the same addressee too, with no one setting it again
    await send(family, "Your sister passed her exams.")
    await approve_all(store, staff.reviewer)
    assert FRENCH_REPLY in await _printed(store, staff, sites)
    # When a reviewer sets it back to the message's own language, English returns
    await send(family, "We think of you every day.")
    again = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert again is not None
    await reader_language.set_for_held(
        store, reviewer_id=staff.reviewer, message_id=again.message_id, lang=None
    )
    await approve_all(store, staff.reviewer)
    text = await _printed(store, staff, sites)
    assert ENGLISH_REPLY in text
    assert FRENCH_REPLY not in text


async def test_only_the_reviewer_holding_the_message_sets_it_and_only_to_a_language(
    store: Store, make_family: MakeFamily, send: Send
) -> None:
    staff = await make_staff(store)
    family = await make_family()
    await send(family)
    item = await review.claim_next(store, reviewer_id=staff.reviewer, lease_s=600)
    assert item is not None
    # A senior who does not hold it is refused, and so is a code that is not a language
    with pytest.raises(Conflict):
        await reader_language.set_for_held(
            store, reviewer_id=staff.senior, message_id=item.message_id, lang="fr"
        )
    with pytest.raises(InvalidInput):
        await reader_language.set_for_held(
            store, reviewer_id=staff.reviewer, message_id=item.message_id, lang="<b>"
        )
    async with store.tx() as tx:
        assert await reader_language.reads_in(tx, family.person_id, family.addressee_id) is None
