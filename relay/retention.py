"""Retention: delete what has served its purpose (DOMAIN.md, "Data protection").

Per site, a message whose life is over (delivered, undeliverable, cancelled, or returned and
never sent again) and that has not moved for the site's ``retention_days`` is deleted with
its replies, timeline and notifications, and its data key is destroyed (every message has
its own), so it cannot come back from a backup either. A delivered message whose reply is
still being reviewed is kept until the reply is through. Then a family with nothing left (no
message, no staff role, no open claim) and older than the longest retention is erased like
/forget: its data key is destroyed, so nothing comes back from a backup. Batches stay (no
personal data: a site, a date, a count and a hash).

Every message in the store is covered, whatever its site code: messages between linked
families (site ``CHAT``) follow that pseudo-site's retention, and a message whose site was
removed from the sites file keeps ``DEFAULT_RETENTION_DAYS``, so that the consent notice's
promise of a limit holds for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relay import audit
from relay.clock import iso
from relay.models import Site
from relay.policy import DEFAULT_RETENTION_DAYS, retention_days, retention_plan

__all__ = ["DEFAULT_RETENTION_DAYS", "PurgeReport", "purge", "retention_days"]
from relay.store import Store

FINISHED = ("delivered", "undeliverable", "cancelled", "returned")
REPLY_OPEN = ("draft", "submitted", "in_review", "escalated", "approved")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    messages: int
    families: int
    by_site: dict[str, int]


async def purge(
    store: Store, *, sites: Mapping[str, Site], actor: str = "admin-cli", dry_run: bool = False
) -> PurgeReport:
    """Delete finished messages past their site's retention, then empty old families."""
    by_site: dict[str, int] = {}
    marks = ",".join("?" * len(FINISHED))
    open_marks = ",".join("?" * len(REPLY_OPEN))
    async with store.tx() as tx:
        # Every site code found in the store, not only the configured ones (CHAT, closed sites).
        found = await tx.all(
            f"SELECT DISTINCT site_code FROM messages WHERE kind = 'message'"  # noqa: S608 - placeholders only
            f" AND state IN ({marks})",
            FINISHED,
        )
        plan = retention_plan((str(r["site_code"]) for r in found), sites, tx.clock.now())
        for code, expiry in plan.cutoffs.items():
            cutoff = iso(expiry)
            rows = await tx.all(
                f"SELECT id FROM messages m WHERE kind = 'message' AND site_code = ?"  # noqa: S608 - placeholders only
                f" AND state IN ({marks}) AND updated_at < ? AND NOT EXISTS"
                f" (SELECT 1 FROM messages r WHERE r.parent_id = m.id AND r.state IN"
                f" ({open_marks}))",
                (code, *FINISHED, cutoff, *REPLY_OPEN),
            )
            by_site[code] = len(rows)
            if not dry_run:
                for row in rows:
                    # Destroy the message's key (and its replies'): a backup taken before
                    # the purge cannot give the text back.
                    replies = await tx.all(
                        "SELECT id FROM messages WHERE parent_id = ?", (row["id"],)
                    )
                    for gone in [row, *replies]:
                        await tx.destroy_family_key(gone["id"])
                    await tx.execute("DELETE FROM messages WHERE id = ?", (row["id"],))
        cutoff = iso(plan.families_cutoff)
        empty = await tx.all(
            "SELECT id FROM people p WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.family_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.person_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.person_id = p.id"
            "  AND c.state = 'open')",
            (cutoff,),
        )
        if not dry_run:
            for row in empty:
                await tx.destroy_family_key(row["id"])
                await tx.execute("DELETE FROM people WHERE id = ?", (row["id"],))
            await audit.append(
                tx,
                actor=actor,
                action="retention.purge",
                obj="messages",
                detail={"messages": sum(by_site.values()), "families": len(empty), **by_site},
            )
    return PurgeReport(sum(by_site.values()), len(empty), by_site)
