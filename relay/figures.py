"""Figures for administrators: counts by state, by site, of the outbox (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass

from relay import roles
from relay.models import Role
from relay.store import Store


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts for administrators (no personal data)."""

    by_state: dict[str, int]
    by_site: dict[str, dict[str, int]]
    outbox: dict[str, int]
    overdue: int


@roles.audits_refusals
async def collect_figures(store: Store, *, staff_id: str | None) -> Figures:
    """Return message counts by state and by site, and outbox counts (admins only)."""
    async with store.read() as tx:
        await roles.require_in(tx, staff_id, Role.ADMIN, action="stats")
        rows = await tx.all(
            "SELECT site_code, state, COUNT(*) AS n FROM messages GROUP BY site_code, state"
        )
        box = await tx.all("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        late = await tx.one(
            "SELECT COUNT(*) AS n FROM messages WHERE due_at < ?"
            " AND state IN ('submitted', 'in_review', 'escalated')",
            (tx.now(),),
        )
    by_state: dict[str, int] = {}
    by_site: dict[str, dict[str, int]] = {}
    for r in rows:
        by_state[r["state"]] = by_state.get(r["state"], 0) + int(r["n"])
        by_site.setdefault(r["site_code"], {})[r["state"]] = int(r["n"])
    return Figures(
        by_state=by_state,
        by_site=by_site,
        outbox={r["state"]: int(r["n"]) for r in box},
        overdue=int(late["n"]) if late else 0,
    )
