"""Staff alerts: somebody is told when something waits for them, through the outbox.

Alerts are outbox rows like every notification (durable, paced per chat, rendered in the
recipient's language at send time, sent content-protected). Their payloads carry codes and
counts, plus a reference where the recipient will open the message anyway:

- an escalation goes to the seniors whose grants cover the message's site and language
  (never to the one who escalated);
- a claim by a released detainee goes to the admins, who confirm identities;
- a site's backlog summary goes to the reviewers of that site once a day, and once more when
  the oldest waiting message passes its deadline (``backlog_alerts``, run by a timer).

Each staff member can mute their alerts (``set_muted``); muting stops new alerts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from relay import outbox, roles
from relay.clock import parse_iso
from relay.models import Role
from relay.notices import BacklogAlert, ClaimAlert, EscalationAlert
from relay.roles import Grant
from relay.store import Row, Store, Tx


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits for review at one site."""

    site_code: str
    waiting: int
    overdue: int
    oldest_due: dt.datetime | None


async def _staff(tx: Tx, wanted: Iterable[Role]) -> dict[str, list[Grant]]:
    """Return the grants of every unmuted holder of one of ``wanted``, by person."""
    codes = sorted(r.value for r in wanted)
    marks = ",".join("?" * len(codes))
    rows = await tx.all(
        f"SELECT r.person_id FROM roles r WHERE r.role IN ({marks})"  # noqa: S608 - placeholders only
        " AND NOT EXISTS (SELECT 1 FROM staff_alerts s WHERE s.person_id = r.person_id"
        " AND s.muted = 1)",
        codes,
    )
    found: dict[str, list[Grant]] = {}
    for row in rows:
        if row["person_id"] not in found:
            found[row["person_id"]] = await roles.grants_in(tx, row["person_id"])
    return found


async def escalation_in(tx: Tx, row: Row, reference: str, *, by: str) -> int:
    """Tell the seniors who read an escalated message that it waits; return how many."""
    told = 0
    # The seniors who can take it: routed, as the queue is, by the language it is written in.
    lang = row["written_lang"] or row["lang"]
    for person, grants in (await _staff(tx, roles.SENIORS)).items():
        seniors = [g for g in grants if g.role == Role.SENIOR]
        if person == by or not any(roles.covers(g, row["site_code"], lang) for g in seniors):
            continue
        await outbox.enqueue(tx, person, EscalationAlert(reference, row["site_code"], lang))
        told += 1
    return told


async def claim_in(tx: Tx, claim_id: str) -> int:
    """Tell the admins that a claim waits for identity checks; return how many."""
    admins = await _staff(tx, roles.ADMINISTERING)
    for person in admins:
        await outbox.enqueue(tx, person, ClaimAlert(claim_id))
    return len(admins)


async def backlog(tx: Tx) -> list[Backlog]:
    """Return what waits for review, by site."""
    rows = await tx.all(
        "SELECT site_code, COUNT(*) AS n, MIN(due_at) AS oldest_due,"
        " SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue FROM messages"
        " WHERE state IN ('submitted', 'in_review', 'escalated') GROUP BY site_code"
        " ORDER BY site_code",
        (tx.now(),),
    )
    return [
        Backlog(
            r["site_code"],
            int(r["n"]),
            int(r["overdue"] or 0),
            parse_iso(r["oldest_due"]) if r["oldest_due"] else None,
        )
        for r in rows
    ]


async def _mark(tx: Tx, site: str, kind: str) -> dt.datetime | None:
    row = await tx.one("SELECT at FROM alert_marks WHERE site_code = ? AND kind = ?", (site, kind))
    return parse_iso(row["at"]) if row else None


async def _set_mark(tx: Tx, site: str, kind: str) -> None:
    await tx.execute(
        "INSERT INTO alert_marks(site_code, kind, at) VALUES (?, ?, ?)"
        " ON CONFLICT(site_code, kind) DO UPDATE SET at = excluded.at",
        (site, kind, tx.now()),
    )


async def backlog_alerts(store: Store) -> int:
    """Send each site's backlog summary where one is due; return how many were queued.

    Due: once a day (the first run after midnight UTC), and once when the site's oldest
    waiting message has passed its deadline since the last such summary.
    """
    queued = 0
    async with store.tx() as tx:
        now = tx.clock.now()
        reviewers = await _staff(tx, roles.REVIEWING)
        for line in await backlog(tx):
            kinds: list[str] = []
            daily = await _mark(tx, line.site_code, "daily")
            if daily is None or daily.date() < now.date():
                kinds.append("daily")
            late = await _mark(tx, line.site_code, "overdue")
            passed = line.oldest_due is not None and line.oldest_due < now
            if passed and (late is None or (line.oldest_due and late < line.oldest_due)):
                kinds.append("overdue")
            if not kinds:
                continue
            for kind in kinds:
                await _set_mark(tx, line.site_code, kind)
            notice = BacklogAlert(
                "overdue" if "overdue" in kinds else "daily",
                line.site_code,
                line.waiting,
                line.overdue,
            )
            for person, grants in reviewers.items():
                if any(
                    g.role in roles.REVIEWING and g.site_code in ("", line.site_code)
                    for g in grants
                ):
                    await outbox.enqueue(tx, person, notice)
                    queued += 1
    return queued


async def set_muted(store: Store, *, person_id: str, muted: bool) -> None:
    """Mute or unmute a staff member's alerts (staff only: checked on the routing path)."""
    async with store.tx() as tx:
        await tx.execute(
            "INSERT INTO staff_alerts(person_id, muted) VALUES (?, ?)"
            " ON CONFLICT(person_id) DO UPDATE SET muted = excluded.muted",
            (person_id, int(muted)),
        )


async def is_muted(store: Store, person_id: str) -> bool:
    async with store.read() as tx:
        row = await tx.one("SELECT muted FROM staff_alerts WHERE person_id = ?", (person_id,))
    return bool(row and row["muted"])
