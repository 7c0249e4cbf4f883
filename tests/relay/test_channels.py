"""People are found by channel address; a database from before channels keeps its people.

The migration of issue 11 renames people.tg_index, people.chat_enc, outbox.tg_message_id and
inbox.update_id. The blind index keeps its value (the Telegram channel is named "tg", the
index label stays "tg-user"), so nothing is recomputed and everyone is found as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.transport import TELEGRAM, address_of, inbox
from relay import messages, people
from relay.channels import Address, channel_index
from relay.clock import FakeClock
from relay.crypto import KeyRing, field_ad, seal
from relay.migrations import MIGRATIONS
from relay.store import Store
from tests.conftest import Database

CHANNELS = next(i for i, m in enumerate(MIGRATIONS) if "RENAME COLUMN tg_index" in m)


def _update(update_id: int, user_id: int) -> bytes:
    message = {"message_id": 1, "from": {"id": user_id}, "chat": {"id": user_id}, "text": "Hi"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def _open(path: Path, keyring: KeyRing, clock: FakeClock, database: Database) -> Store:
    return await Store.open(
        path, keyring, clock=clock, url=database.url, vault_url=database.vault_url
    )


async def test_a_database_from_before_channels_still_finds_its_people(
    db_path: Path,
    keyring: KeyRing,
    clock: FakeClock,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a database at the version before channels: a consented family with a sent
    # notice and an update still waiting in the inbox, as the code of then wrote them
    monkeypatch.setattr("relay.store.MIGRATIONS", MIGRATIONS[:CHANNELS])
    old = await _open(db_path, keyring, clock, database)
    raw = _update(901, 4242)
    try:
        async with old.tx() as tx:
            index = keyring.blind_index("tg-user", "4242")
            await tx.create_family_key("p_old")
            chat = await tx.seal_for("p_old", "people", "chat", "p_old", "4242")
            await tx.execute(
                "INSERT INTO people(id, tg_index, chat_enc, lang, consent_at, created_at)"
                " VALUES ('p_old', ?, ?, 'ar', ?, ?)",
                (index, chat, tx.now(), tx.now()),
            )
            await tx.execute(
                "INSERT INTO outbox(person_id, payload_enc, state, not_before, created_at,"
                " sent_at, tg_message_id) VALUES ('p_old', x'', 'sent', ?, ?, ?, 777)",
                (tx.now(), tx.now(), tx.now()),
            )
            key = await tx.family_key("p_old")
            blob = seal(key, "f:p_old", raw, field_ad("inbox", "payload", "901"))
            await tx.execute(
                "INSERT INTO inbox(update_id, payload_enc, received_at, sender_index)"
                " VALUES (901, ?, ?, ?)",
                (blob, tx.now(), index),
            )
    finally:
        await old.close()
    monkeypatch.undo()
    # When today's code opens it
    store = await _open(db_path, keyring, clock, database)
    try:
        # Then the family is found by its Telegram address, and reached at the same chat
        found = await people.find(store, address_of(4242))
        assert found is not None
        assert (found.id, found.lang, found.consented) == ("p_old", "ar", True)
        async with store.tx() as tx:
            assert await people.address_in(tx, "p_old") == "4242"
            sent = await tx.one("SELECT channel_message_id FROM outbox WHERE person_id = 'p_old'")
            assert sent is not None
            assert sent["channel_message_id"] == 777
        # And no second person is made for them
        again = await people.ensure(store, address_of(4242), "en")
        assert again.id == "p_old"
        # And their waiting update is handled, then erased with them
        assert await inbox.pending(store) == [(901, raw)]
        await messages.forget(store, "p_old")
        assert await inbox.pending(store) == []
        assert await people.find(store, address_of(4242)) is None
    finally:
        await store.close()


async def test_addresses_on_two_channels_are_two_people(store: Store) -> None:
    # A web console's "4242" is not the Telegram user 4242.
    on_telegram = await people.ensure(store, Address(TELEGRAM, "4242"), "en")
    elsewhere = await people.ensure(store, Address("web", "4242"), "fr")
    assert on_telegram.id != elsewhere.id
    found = await people.find(store, Address("web", "4242"))
    assert found is not None
    assert (found.id, found.lang) == (elsewhere.id, "fr")


def test_the_telegram_index_is_the_one_people_were_indexed_by(keyring: KeyRing) -> None:
    assert channel_index(keyring, address_of(987654321012)) == keyring.blind_index(
        "tg-user", "987654321012"
    )


@pytest.mark.parametrize(("channel", "ident"), [("", "1"), ("tg", "")])
def test_an_address_needs_a_channel_and_an_id(channel: str, ident: str) -> None:
    with pytest.raises(ValueError, match="a channel and an id"):
        Address(channel, ident)
