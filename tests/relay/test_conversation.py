"""Conversation state per (person, feature): sealed, versioned, erased with the family."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.transport import address_of
from relay import conversation, messages, people, retention
from relay.clock import FakeClock
from relay.errors import CryptoError, StaleState
from relay.models import Site
from relay.store import Store
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]


async def rows_of(store: Store, person_id: str) -> int:
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT COUNT(*) AS n FROM conversation_state WHERE person_id = ?", (person_id,)
        )
    assert row is not None
    return int(row["n"])


async def test_two_workers_saving_one_version_never_lose_an_update_silently(
    store: Store, make_family: MakeFamily
) -> None:
    # Given a letter saved once (version 1), read by two workers handling two updates
    fam = await make_family()
    first = await conversation.save(store, fam.person_id, "compose", b"step one", version=0)
    assert first == 1
    # When the first worker saves its update
    assert await conversation.save(store, fam.person_id, "compose", b"A", version=1) == 2
    # Then the second, which read version 1 too, is refused instead of overwriting it
    with pytest.raises(StaleState):
        await conversation.save(store, fam.person_id, "compose", b"B", version=1)
    with pytest.raises(StaleState):  # nor may it clear what it did not read
        await conversation.clear(store, fam.person_id, "compose", version=1)
    saved = await conversation.load(store, fam.person_id, "compose")
    assert saved == conversation.Saved(b"A", 2)


async def test_two_first_saves_of_one_feature_conflict_too(
    store: Store, make_family: MakeFamily
) -> None:
    fam = await make_family()
    assert await conversation.save(store, fam.person_id, "reply", b"first", version=0) == 1
    with pytest.raises(StaleState):
        await conversation.save(store, fam.person_id, "reply", b"second", version=0)
    with pytest.raises(StaleState):  # clearing "nothing" while something is there
        await conversation.clear(store, fam.person_id, "reply", version=0)
    assert await conversation.load(store, fam.person_id, "reply") == conversation.Saved(
        b"first", 1
    )


async def test_features_of_one_person_never_touch_each_other(
    store: Store, make_family: MakeFamily
) -> None:
    # Given a person with a review card's work and a letter in progress
    fam = await make_family()
    await conversation.save(store, fam.person_id, "review", b"card work", version=0)
    await conversation.save(store, fam.person_id, "compose", b"letter", version=0)
    # When the letter is sent (its state cleared) and a new one started
    await conversation.clear(store, fam.person_id, "compose", version=1)
    await conversation.save(store, fam.person_id, "compose", b"next letter", version=0)
    # Then the card's work is as it was
    assert await conversation.load(store, fam.person_id, "review") == conversation.Saved(
        b"card work", 1
    )
    assert await conversation.load(store, fam.person_id, "invitation") is None


async def test_a_state_moved_to_another_feature_does_not_open(
    store: Store, make_family: MakeFamily
) -> None:
    fam = await make_family()
    await conversation.save(store, fam.person_id, "reply", b"photo id", version=0)
    async with store.tx() as tx:
        await tx.execute(
            "UPDATE conversation_state SET feature = 'review' WHERE person_id = ?",
            (fam.person_id,),
        )
    with pytest.raises(CryptoError):
        await conversation.load(store, fam.person_id, "review")


async def test_forget_erases_every_feature_of_the_family(
    store: Store, make_family: MakeFamily
) -> None:
    fam, other = await make_family(), await make_family()
    for feature in ("compose", "review", "reply", "invitation"):
        await conversation.save(store, fam.person_id, feature, b"x", version=0)
    await conversation.save(store, other.person_id, "compose", b"y", version=0)
    await messages.forget(store, fam.person_id)
    assert await rows_of(store, fam.person_id) == 0
    assert await rows_of(store, other.person_id) == 1


async def test_retention_erases_the_state_of_an_emptied_family(
    store: Store, clock: FakeClock, sites: dict[str, Site]
) -> None:
    # Given a person with no message who only opened an invitation, long ago
    person = await people.ensure(store, address_of(712_345_678), "en")
    await conversation.save(store, person.id, "invitation", b"code", version=0)
    # When retention runs after the longest retention of any site
    clock.advance(days=max(s.retention_days for s in sites.values()) + 1)
    report = await retention.purge(store, sites=sites)
    # Then the family and its state are gone
    assert report.families == 1
    assert await rows_of(store, person.id) == 0
