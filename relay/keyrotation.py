"""``keys rotate``: put everything under a new master key and retire the old ones.

What the master key protects, and so what a rotation rewrites:

- every family data key in the vault (``vault.family_keys.wrapped``) is unwrapped and
  wrapped again under the new master; the family data itself is sealed with the family's
  own data key, which does not change, so no message, profile or outbox row is touched;
- every field sealed with the system key (derived from the master), listed in
  ``SYSTEM_FIELDS`` (today only the inbox payloads), is opened and sealed again.

Order, and what a crash at each point leaves:

1. ``KeyRing.add_master`` writes the new key to the key file and makes it current. A crash
   right after leaves a new key that nothing uses yet: every blob names the key it was
   made with, the old keys are still in the file, so everything still opens; running
   ``rotate`` again adds another key and finishes the job.
2. One store transaction re-wraps and re-seals everything and writes the audit entry. The
   main database is in WAL mode and the vault is an attached file, so SQLite commits them
   atomically each but not together: a crash inside the commit may leave the vault
   re-wrapped and the inbox not (or the reverse). Harmless for the same reason: the old
   keys are still in the file until step 3.
3. Only after the commit, ``KeyRing.retire`` removes the old master keys from the key file.
   A crash before it leaves old keys in the file that nothing uses: harmless, and the next
   ``rotate`` retires them (it retires every key but the new one).

Run it with the bot stopped: another process holds its own copy of the key ring and would
go on sealing under the old master key after it was retired.

What does not rotate, on purpose:

- The blind-index key. It never encrypts anything: it only turns channel user ids,
  detainee numbers and references into lookup tokens. Changing it means recomputing every
  index from its plaintext, and we hold most of those plaintexts only sealed under family
  keys (and channel user ids not at all: a person is found by the index alone), so a new
  index key would orphan every person. Leaking it lets somebody who also has the database
  confirm a guessed id, not decrypt anything.
- The audit key. The chain's MACs are made with it; a new key would mean re-chaining the
  whole log, which is exactly what the chain exists to make impossible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from relay import audit
from relay.crypto import blob_key_id
from relay.store import Store

log = logging.getLogger("relay.keyrotation")

# Every (table, column, key column) whose blobs are made by ``Tx.seal_system``; a new
# system-sealed field must be listed here or it would not open after a rotation.
SYSTEM_FIELDS: tuple[tuple[str, str, str], ...] = (("inbox", "payload", "id"),)


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What one rotation did."""

    new_key_id: str
    family_keys_rewrapped: int
    fields_resealed: int
    retired: tuple[str, ...]


async def rotate(store: Store, *, actor: str = "admin-cli", retire: bool = True) -> RotationReport:
    """Add a master key, re-wrap and re-seal everything under it, then retire the old ones.

    ``retire=False`` keeps the old keys in the file (what a crash after the commit leaves).
    """
    keys = store.keys
    rewrapped = 0
    resealed = 0
    async with store.tx() as tx:
        new_id = keys.add_master()
        old_ids = tuple(k for k in keys.master_ids if k != new_id)
        for row in await tx.all("SELECT owner_id, wrapped FROM vault.family_keys"):
            data_key = keys.unwrap(row["wrapped"], row["owner_id"])
            await tx.execute(
                "UPDATE vault.family_keys SET wrapped = ? WHERE owner_id = ?",
                (keys.wrap(data_key, row["owner_id"]), row["owner_id"]),
            )
            rewrapped += 1
        for table, column, id_column in SYSTEM_FIELDS:
            enc = f"{column}_enc"
            rows = await tx.all(
                f"SELECT {id_column} AS row_id, {enc} AS blob FROM {table}"  # noqa: S608 - names are ours
                f" WHERE {enc} IS NOT NULL AND length({enc}) > 0"
            )
            for row in rows:
                if blob_key_id(row["blob"]).startswith("f:"):
                    continue  # sealed under a family's key (a family's waiting input): re-wrapped
                row_id = str(row["row_id"])
                plain = tx.open_system(table, column, row_id, row["blob"])
                await tx.execute(
                    f"UPDATE {table} SET {enc} = ? WHERE {id_column} = ?",  # noqa: S608 - names are ours
                    (tx.seal_system(table, column, row_id, plain), row["row_id"]),
                )
                resealed += 1
        await audit.append(
            tx,
            actor=actor,
            action="keys.rotate",
            obj=new_id,
            detail={
                "family_keys": rewrapped,
                "fields": resealed,
                "retire": list(old_ids) if retire else [],
            },
        )
    retired: tuple[str, ...] = ()
    if retire and old_ids:
        keys.retire(list(old_ids))
        retired = old_ids
    log.info(
        "keys rotated to %s: %d family keys, %d fields, %d retired",
        new_id,
        rewrapped,
        resealed,
        len(retired),
    )
    return RotationReport(new_id, rewrapped, resealed, retired)
