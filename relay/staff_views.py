"""Read-only views for staff at a desk: who a held message is between, and figures over time.

The figures carry codes and counts only (no personal data); they are for administrators.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from dataclasses import dataclass

from relay import messages, people, review, roles
from relay.clock import iso, parse_iso
from relay.errors import NotFound
from relay.models import Addressee, MessageState, Profile, Role, TimelineEvent
from relay.store import Store

# The stages of a message's way, as (from state, to state); turnaround is measured per stage.
STAGES: tuple[tuple[str, str], ...] = (
    ("submitted", "in_review"),
    ("in_review", "approved"),
    ("approved", "printed"),
    ("printed", "delivered"),
)
WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Parties:
    """The family member and the detained relative of a message a reviewer holds."""

    family: Profile | None
    addressee: Addressee | None


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A person holding staff roles, as an admin knows them: the name they gave, if any.

    Their Telegram user id is kept only as a blind index, so it cannot be shown.
    """

    person_id: str
    name: str  # their profile's full name, '' when they gave none
    grants: tuple[roles.Grant, ...]


@dataclass(frozen=True, slots=True)
class DeskFigures:
    """Backlog per site and language, median hours per stage, returns per reason."""

    backlog: list[tuple[str, str, int]]
    turnaround_h: list[tuple[str, str, float, int]]  # from, to, median hours, messages
    returns: list[tuple[str, int]]


async def parties(store: Store, *, reviewer_id: str | None, message_id: str) -> Parties:
    """Return sender and addressee of a message the reviewer holds."""
    await review.current_item(store, reviewer_id=reviewer_id, message_id=message_id)
    async with store.read() as tx:
        row = await tx.one(
            "SELECT family_id, addressee_id FROM messages WHERE id = ?", (message_id,)
        )
        if row is None:
            raise NotFound("message")
        profile = await people.profile_in(tx, row["family_id"])
        addressee = None
        if row["addressee_id"] is not None:
            addressee = await messages.addressee_in(tx, row["family_id"], row["addressee_id"])
    return Parties(profile, addressee)


async def history(
    store: Store, *, reviewer_id: str | None, message_id: str
) -> list[TimelineEvent]:
    """Return the timeline of a message the reviewer holds (returns, edits, escalation).

    The events carry codes only (a return's reason, an edit's version), never text.
    """
    await review.current_item(store, reviewer_id=reviewer_id, message_id=message_id)
    async with store.read() as tx:
        rows = await tx.all(
            "SELECT at, state, detail FROM events WHERE message_id = ? ORDER BY seq",
            (message_id,),
        )
    return [
        TimelineEvent(parse_iso(r["at"]), MessageState(r["state"]), json.loads(r["detail"]))
        for r in rows
    ]


async def staff(store: Store, *, actor_id: str | None) -> list[StaffMember]:
    """Return every person holding a role, with their name and grants (admins only)."""
    grants = await roles.all_grants(store, actor_id=actor_id)
    held: dict[str, list[roles.Grant]] = {}
    for grant in grants:
        held.setdefault(grant.person_id, []).append(grant)
    async with store.read() as tx:
        names = {pid: await people.profile_in(tx, pid) for pid in held}
    members = [
        StaffMember(pid, profile.full_name if profile else "", tuple(gs))
        for pid, gs in held.items()
        for profile in (names[pid],)
    ]
    # Named people first, by name; then the unnamed, by id (stable between visits).
    return sorted(members, key=lambda m: (m.name == "", m.name.casefold(), m.person_id))


async def held_photo(store: Store, *, reviewer_id: str | None, message_id: str) -> bytes | None:
    """Return the photo of a message the reviewer holds (None when it has none)."""
    await review.current_item(store, reviewer_id=reviewer_id, message_id=message_id)
    return await messages.photo_of(store, message_id)


async def desk_figures(store: Store, *, staff_id: str | None) -> DeskFigures:
    """Return the figures of the last 90 days (admins only)."""
    async with store.read() as tx:
        await roles.require_in(tx, staff_id, Role.ADMIN, action="figures")
        backlog = await tx.all(
            "SELECT site_code, lang, COUNT(*) AS n FROM messages"
            " WHERE state IN ('submitted', 'in_review', 'escalated')"
            " GROUP BY site_code, lang ORDER BY n DESC, site_code, lang"
        )
        since = iso(tx.clock.now() - WINDOW)
        firsts = await tx.all(
            "SELECT message_id, state, MIN(at) AS at FROM events WHERE at >= ?"
            " AND state IN ('submitted', 'in_review', 'approved', 'printed', 'delivered')"
            " GROUP BY message_id, state",
            (since,),
        )
        returned = await tx.all(
            "SELECT detail FROM events WHERE state = 'returned' AND at >= ?", (since,)
        )
    reached: dict[str, dict[str, dt.datetime]] = {}
    for r in firsts:
        reached.setdefault(r["message_id"], {})[r["state"]] = parse_iso(r["at"])
    turnaround = []
    for start, end in STAGES:
        hours = [
            (s[end] - s[start]).total_seconds() / 3600
            for s in reached.values()
            if start in s and end in s and s[end] >= s[start]
        ]
        median = statistics.median(hours) if hours else 0.0
        turnaround.append((start, end, round(median, 1), len(hours)))
    reasons = Counter(str(json.loads(r["detail"]).get("reason", "other")) for r in returned)
    return DeskFigures(
        backlog=[(r["site_code"], r["lang"], int(r["n"])) for r in backlog],
        turnaround_h=turnaround,
        returns=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
    )
