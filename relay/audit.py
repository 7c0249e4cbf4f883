"""Append-only audit log, each entry chained to the previous one by a keyed MAC.

An entry records who (an internal person id or ``system``), did what, to which object, when,
with small non-personal details (states, reason codes). Never message text or names.
Triggers refuse UPDATE and DELETE; the MAC chain (keyed with the audit key from the key
file, so a thief of the database alone cannot re-chain it) shows any edit, removal or
insertion to ``verify``.

The head of the chain (last sequence number and MAC) is kept in the vault, apart from the
database, and each entry continues from it, never from whatever row happens to be last: if
the database's tail was cut (or the database restored from a backup) the next entry records
an explicit ``audit.gap`` entry first, chained to what is left and MAC'd with the audit key,
so the alarm cannot be cleared by the next action and ``verify`` keeps reporting it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from relay.errors import AuditChainBroken
from relay.store import Row, Store, Tx

log = logging.getLogger("relay.audit")

GENESIS = "0" * 64
GAP = "audit.gap"


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
    head = await tx.one("SELECT seq, mac FROM vault.audit_head WHERE id = 1")
    seq, prev = (int(last["seq"]), str(last["mac"])) if last else (0, GENESIS)
    if not await _follows_head(tx, last, head):
        # The database lost entries the vault saw (cut tail, restored backup, lost vault):
        # say so in the chain itself before anything else is appended.
        head_seq = int(head["seq"]) if head else 0
        log.error("audit chain does not match its head: found %d, head %d", seq, head_seq)
        gap_seq = max(seq, head_seq) + 1
        gap = {"found": seq, "head": head_seq, "head_mac": str(head["mac"]) if head else ""}
        prev = await _insert(tx, gap_seq, "system", GAP, "audit", _text(gap), prev)
        seq = gap_seq
    return await _insert_entry(tx, seq + 1, actor, action, obj, _text(detail or {}), prev)


async def _follows_head(tx: Tx, last: Row | None, head: Row | None) -> bool:
    """Whether the chain in the database carries on from the head kept in the vault."""
    if head is None:
        return last is None
    if last is None:
        return False
    if (int(head["seq"]), str(head["mac"])) == (int(last["seq"]), str(last["mac"])):
        return True
    # The vault commits after the database: after a crash the head may lag behind by the
    # entries of the interrupted commit, but it must still name an entry of the chain.
    if int(head["seq"]) < int(last["seq"]):
        named = await tx.one("SELECT mac FROM audit WHERE seq = ?", (int(head["seq"]),))
        return named is not None and hmac.compare_digest(str(named["mac"]), str(head["mac"]))
    return False


def _text(detail: dict[str, object]) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


async def _insert_entry(
    tx: Tx, seq: int, actor: str, action: str, obj: str, text: str, prev: str
) -> int:
    await _insert(tx, seq, actor, action, obj, text, prev)
    return seq


async def _insert(
    tx: Tx, seq: int, actor: str, action: str, obj: str, text: str, prev: str
) -> str:
    """Write one entry and move the vault's head to it; return its MAC."""
    at = tx.now()
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
    return mac


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    object: str
    detail: str


async def verify(store: Store) -> int:
    """Walk the chain; return the number of entries or raise AuditChainBroken.

    Besides edits, removals and insertions, verify reports every recorded gap (entries lost
    before a later one was written) and a missing or unmatched head.
    """
    async with store.tx() as tx:
        rows = await tx.all("SELECT * FROM audit ORDER BY seq")
        head = await tx.one("SELECT seq, mac FROM vault.audit_head WHERE id = 1")
    prev = GENESIS
    expected = 1
    gaps: list[AuditChainBroken] = []
    for row in rows:
        seq = row["seq"]
        authentic = hmac.compare_digest(_row_mac(store, row), row["mac"])
        if row["action"] == GAP and authentic and row["prev"] == prev and seq >= expected:
            gaps.append(AuditChainBroken(seq, _gap_reason(json.loads(row["detail"]))))
        elif seq != expected:
            raise AuditChainBroken(expected, f"missing (next entry found is {seq})")
        if row["prev"] != prev:
            raise AuditChainBroken(seq, "does not follow the previous entry (removed or inserted)")
        if not authentic:
            raise AuditChainBroken(seq, "altered")
        prev = row["mac"]
        expected = seq + 1
    _check_head(rows, head)
    if gaps:
        raise gaps[0]
    return len(rows)


def _row_mac(store: Store, row: Row) -> str:
    return _mac(
        store.keys.audit_key,
        row["seq"],
        row["at"],
        row["actor"],
        row["action"],
        row["object"],
        row["detail"],
        row["prev"],
    )


def _gap_reason(gap: dict[str, object]) -> str:
    found, head = int(str(gap["found"])), int(str(gap["head"]))
    if head == 0:
        return f"recorded gap: the head of the chain was missing after entry {found}"
    if head > found:
        return (
            f"recorded gap: entries {found + 1} to {head} were missing"
            " (cut from the database, or the database was restored from a backup)"
        )
    return f"recorded gap: the chain did not match its recorded head (entry {head})"


def _check_head(rows: list[Row], head: Row | None) -> None:
    """The vault's head must name the last entry (or, after a crash, an earlier one)."""
    if head is None:
        if rows:
            raise AuditChainBroken(
                int(rows[-1]["seq"]), "the recorded head of the chain is missing from the vault"
            )
        return
    seq = int(head["seq"])
    last = int(rows[-1]["seq"]) if rows else 0
    if seq > last:
        raise AuditChainBroken(last + 1, f"missing: the chain ended at {seq}")
    named = next((r for r in rows if int(r["seq"]) == seq), None)
    if named is None or named["mac"] != head["mac"]:
        raise AuditChainBroken(seq, "does not match the recorded head of the chain")


async def entries(store: Store, *, obj: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Return the latest entries (optionally for one object), newest first."""
    async with store.read() as tx:
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
