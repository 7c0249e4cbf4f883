"""Sign-in links and console sessions: single use, 10 minutes, 30 minutes idle, audited."""

from __future__ import annotations

import pytest

from bot.transport import address_of
from relay import people, roles, staff_access
from relay.clock import FakeClock
from relay.errors import NotAllowed, NotFound
from relay.models import Role
from relay.store import Store


async def _staff(store: Store, tg: int, role: Role = Role.REVIEWER) -> str:
    return await roles.grant(
        store, actor_id="config", target=address_of(tg), role=role, bootstrap=True
    )


async def _refusals(store: Store, obj: str) -> int:
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT COUNT(*) AS n FROM audit WHERE action = 'refused' AND object = ?", (obj,)
        )
    assert row is not None
    return int(row["n"])


async def test_a_link_opens_one_session_once(store: Store) -> None:
    me = await _staff(store, 5001)
    token = await staff_access.create_link(store, person_id=me)
    session = await staff_access.spend_link(store, token=token)
    assert await staff_access.session_of(store, token=session) == staff_access.Session(me, "en")
    with pytest.raises(NotAllowed):
        await staff_access.spend_link(store, token=token)
    assert await _refusals(store, "console_login") == 1


async def test_a_link_expires_after_ten_minutes(store: Store, clock: FakeClock) -> None:
    me = await _staff(store, 5002)
    fresh = await staff_access.create_link(store, person_id=me)
    stale = await staff_access.create_link(store, person_id=me)
    clock.advance(minutes=9, seconds=59)
    assert len(await staff_access.spend_link(store, token=fresh)) == 43
    clock.advance(seconds=1)
    with pytest.raises(NotAllowed):
        await staff_access.spend_link(store, token=stale)


async def test_a_link_of_someone_whose_role_was_revoked_opens_nothing(store: Store) -> None:
    admin = await _staff(store, 5003, Role.ADMIN)
    me = await _staff(store, 5004)
    token = await staff_access.create_link(store, person_id=me)
    assert await roles.revoke(store, actor_id=admin, target=address_of(5004), role=Role.REVIEWER)
    with pytest.raises(NotAllowed):
        await staff_access.spend_link(store, token=token)


async def test_only_staff_get_links_and_refusals_are_audited(store: Store) -> None:
    family = await people.ensure(store, address_of(5005), "ar")
    for who in (family.id, None):
        with pytest.raises(NotAllowed):
            await staff_access.create_link(store, person_id=who)
    assert await _refusals(store, "console_link") == 2
    with pytest.raises(NotFound):
        await staff_access.create_link_for(store, address=address_of(5005), actor="admin-cli")


async def test_sessions_end_after_thirty_idle_minutes_but_not_while_used(
    store: Store, clock: FakeClock
) -> None:
    me = await _staff(store, 5006)
    session = await staff_access.spend_link(
        store, token=await staff_access.create_link(store, person_id=me)
    )
    for _ in range(3):  # an hour and a half of work, a page every 29 minutes
        clock.advance(minutes=29)
        assert await staff_access.session_of(store, token=session) is not None
    clock.advance(minutes=30, seconds=1)
    assert await staff_access.session_of(store, token=session) is None
    clock.advance(seconds=1)  # and it does not come back
    assert await staff_access.session_of(store, token=session) is None


async def test_logout_and_an_admin_ending_sessions(store: Store) -> None:
    admin = await _staff(store, 5007, Role.ADMIN)
    me = await _staff(store, 5008)
    one, two, three = [
        await staff_access.spend_link(
            store, token=await staff_access.create_link(store, person_id=me)
        )
        for _ in range(3)
    ]
    await staff_access.end_session(store, token=one)
    assert await staff_access.session_of(store, token=one) is None
    with pytest.raises(NotAllowed):
        await staff_access.end_sessions(store, actor_id=me, person_id=admin)
    assert await staff_access.end_sessions(store, actor_id=admin, person_id=me) == 2
    assert [await staff_access.session_of(store, token=t) for t in (two, three)] == [None, None]


@pytest.mark.sqlite_only
async def test_the_database_holds_no_token(store: Store) -> None:
    me = await _staff(store, 5009)
    token = await staff_access.create_link(store, person_id=me)
    session = await staff_access.spend_link(store, token=token)
    await store.checkpoint()
    raw = store.path.read_bytes()
    assert token.encode() not in raw
    assert session.encode() not in raw
