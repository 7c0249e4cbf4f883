"""Append-only audit log, each entry chained to the previous one by a keyed MAC.

An entry records who (an internal person id or ``system``), did what, to which object, when,
with small non-personal details (states, reason codes). Never message text or names.
Triggers refuse UPDATE and DELETE; the MAC chain (keyed with the audit key from the key
file, so a thief of the database alone cannot re-chain it) shows any edit, removal or
insertion to ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from relay.errors import AuditChainBroken
from relay.store import Store, Tx

GENESIS = "0" * 64


def _mac(
    key: bytes, seq: int, at: str, actor: str, action: str, obj: str, detail: str, prev: str
) -> str:
    body = json.dumps([seq, at, actor, action, obj, detail, prev], ensure_ascii=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


async def append(
    tx: Tx, *, actor: str, action: str, obj: str, detail: dict[str, object] | None = None
) -> int:
    """Append an entry inside the caller's transaction; return its sequence number."""
    last = await tx.one("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")
    seq = (last["seq"] + 1) if last else 1
    prev = last["mac"] if last else GENESIS
    at = tx.now()
    text = json.dumps(detail or {}, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    mac = _mac(tx.keys.audit_key, seq, at, actor, action, obj, text, prev)
    await tx.execute(
        "INSERT INTO audit(seq, at, actor, action, object, detail, prev, mac)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, obj, text, prev, mac),
    )
    await tx.execute(
        "INSERT INTO vault.audit_head(id, seq, mac) VALUES (1, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac",
        (seq, mac),
    )
    return seq


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    object: str
    detail: str


async def verify(store: Store) -> int:
    """Walk the chain; return the number of entries or raise AuditChainBroken."""
    async with store.tx() as tx:
        rows = await tx.all("SELECT * FROM audit ORDER BY seq")
        head = await tx.one("SELECT seq, mac FROM vault.audit_head WHERE id = 1")
    prev = GENESIS
    expected = 1
    for row in rows:
        seq = row["seq"]
        if seq != expected:
            raise AuditChainBroken(expected, f"missing (next entry found is {seq})")
        if row["prev"] != prev:
            raise AuditChainBroken(seq, "does not follow the previous entry (removed or inserted)")
        mac = _mac(
            store.keys.audit_key,
            seq,
            row["at"],
            row["actor"],
            row["action"],
            row["object"],
            row["detail"],
            row["prev"],
        )
        if not hmac.compare_digest(mac, row["mac"]):
            raise AuditChainBroken(seq, "altered")
        prev = row["mac"]
        expected += 1
    if head is not None:
        # The vault commits after the database (SQLite commits attached files in order and
        # the vault is attached), so after a crash the head may lag behind the chain but
        # never lead it: a lagging head must still name an entry of the chain.
        seq = int(head["seq"])
        if seq > len(rows):
            raise AuditChainBroken(len(rows) + 1, f"missing: the chain ended at {seq}")
        if seq >= 1 and rows[seq - 1]["mac"] != head["mac"]:
            raise AuditChainBroken(seq, "does not match the recorded head of the chain")
    return len(rows)


async def entries(store: Store, *, obj: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Return the latest entries (optionally for one object), newest first."""
    async with store.tx() as tx:
        if obj is None:
            rows = await tx.all("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            rows = await tx.all(
                "SELECT * FROM audit WHERE object = ? ORDER BY seq DESC LIMIT ?", (obj, limit)
            )
    return [
        AuditEntry(r["seq"], r["at"], r["actor"], r["action"], r["object"], r["detail"])
        for r in rows
    ]
