"""Bring fields sealed by an older version up to today's binding (run once, at open).

Message fields used to be bound to ``table.column.row`` only; they are now bound to their
family and version too (see ``relay.store.Tx.seal_for``). A store opened for the first time
by this version re-seals them, so that no field is left that opens under the older, weaker
binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relay.crypto import field_ad, open_sealed, seal
from relay.errors import CryptoError

if TYPE_CHECKING:
    from relay.store import Tx

# Kept here (not imported from relay.store) because relay.store imports this module.
SEALED_COLUMNS = {"messages": ("ref", "body", "photo", "findings", "decision", "sealed")}


async def upgrade_sealed_rows(tx: Tx) -> int:
    """Re-seal fields sealed before they were bound to their owner; return rows done."""
    done = 0
    for table, columns in SEALED_COLUMNS.items():
        names = ", ".join(f"{c}_enc" for c in columns)
        for row in await tx.all(f"SELECT id, family_id, {names} FROM {table}"):  # noqa: S608 - names are ours
            try:
                key = (await tx.family_key(row["id"]))[:32]  # version 0: nothing was versioned
            except CryptoError:
                continue  # erased: nothing can open it any more
            changed: dict[str, bytes] = {}
            for column in columns:
                blob = row[f"{column}_enc"]
                if not blob:
                    continue
                try:
                    plain = open_sealed(key, blob, field_ad(table, column, row["id"]))
                except CryptoError:
                    continue  # already bound to its owner (or damaged: opening it fails loudly)
                ad = field_ad(table, column, row["id"], row["family_id"])
                changed[column] = seal(key, f"f:{row['id']}", plain, ad)
            if changed:
                sets = ", ".join(f"{c}_enc = ?" for c in changed)
                await tx.execute(
                    f"UPDATE {table} SET {sets} WHERE id = ?",  # noqa: S608 - names are ours
                    (*changed.values(), row["id"]),
                )
                done += 1
    return done
