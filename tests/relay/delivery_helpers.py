"""Shared steps of the delivery tests: staff with real roles, review through the real queue."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.transport import address_of
from relay import review, roles
from relay.models import MessageState, Role
from relay.store import Store

_ids = itertools.count(800_000_001)


@dataclass(frozen=True, slots=True)
class Staff:
    admin: str
    reviewer: str
    senior: str
    delegate_alp: str
    delegate_brv: str


async def make_staff(store: Store) -> Staff:
    """Grant the roles a delivery story needs (reviewers read English)."""

    async def grant(role: Role, site: str = "", langs: tuple[str, ...] = ()) -> str:
        return await roles.grant(
            store,
            actor_id="config",
            target=address_of(next(_ids)),
            role=role,
            site_code=site,
            languages=langs,
            bootstrap=True,
        )

    return Staff(
        admin=await grant(Role.ADMIN),
        reviewer=await grant(Role.REVIEWER, langs=("en",)),
        senior=await grant(Role.SENIOR, langs=("en",)),
        delegate_alp=await grant(Role.DELEGATE, "ALP"),
        delegate_brv=await grant(Role.DELEGATE, "BRV"),
    )


async def approve_all(store: Store, reviewer_id: str) -> list[str]:
    """Approve every message the reviewer can claim; return their ids in order."""
    done: list[str] = []
    while True:
        item = await review.claim_next(store, reviewer_id=reviewer_id, lease_s=600)
        if item is None:
            return done
        if not item.photo_judged:  # a photo is judged before the text: kept here
            await review.judge_photo(
                store, reviewer_id=reviewer_id, message_id=item.message_id, reason=None
            )
        state = await review.decide(
            store,
            reviewer_id=reviewer_id,
            message_id=item.message_id,
            decision=review.Decision(review.Verdict.APPROVE),
        )
        assert state in (MessageState.APPROVED, MessageState.DELIVERED)
        done.append(item.message_id)


async def state_of(store: Store, message_id: str) -> tuple[str, str, str | None]:
    """Return (state, site code, batch id) of a message."""
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT state, site_code, batch_id FROM messages WHERE id = ?", (message_id,)
        )
    assert row is not None
    return str(row["state"]), str(row["site_code"]), row["batch_id"]
