"""/console in the bot: a staff member gets a single-use sign-in link; anyone else is refused."""

from __future__ import annotations

import re

import pytest

from bot.i18n.catalog import translator
from bot.transport import address_of
from relay import roles, staff_access
from relay.errors import NotAllowed
from relay.models import Role
from sandbox import SandboxClient
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import staff_user


async def test_staff_get_a_link_that_works_once_and_strangers_are_refused(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot(console_url="https://console.example.org")
    store = running.services.store
    await roles.grant(
        store,
        actor_id="test",
        target=address_of(7100),
        role=Role.DELEGATE,
        site_code="ALP",
        bootstrap=True,
    )
    # When a delegate sends /console
    delegate = await staff_user(client, 7100)
    mark = await delegate.say("/console")
    reply = await delegate.wait_text("console.example.org/login/", mark)
    # Then the reply carries one link to the configured console, sent protected
    assert reply.text is not None
    found = re.findall(r"https://console\.example\.org/login/([A-Za-z0-9_-]{43})$", reply.text)
    assert len(found) == 1
    assert reply.protect_content is True
    # And the token opens one session, once
    session = await staff_access.spend_link(store, token=found[0])
    assert len(session) == 43
    with pytest.raises(NotAllowed):
        await staff_access.spend_link(store, token=found[0])
    # When a stranger sends /console, they are refused like any staff command
    stranger = await staff_user(client, 7200, "fr")
    mark = await stranger.say("/console")
    refused = await stranger.wait_reply(mark)
    sentence = translator("fr").gettext("Sorry, you are not allowed to do this.")
    assert refused.text == translator("fr").directed(sentence)
