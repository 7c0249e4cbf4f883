"""Digital delivery between two people who both use the bot (e.g. a released detainee and
their family): a single-use, expiring invitation; once accepted, either can write to the
other, and approved messages arrive in the chat instead of on paper (still reviewed).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from relay import audit, people
from relay.clock import iso
from relay.errors import InvalidInput, NotFound
from relay.models import Site
from relay.store import Row, Store, Tx

INVITE_TTL = dt.timedelta(hours=48)
# Messages between linked people are reviewed against this virtual "site".
CHAT_SITE = Site(code="CHAT", name="Chat", country="", languages=(), word_limit=300)


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    other_id: str
    other_name: str


def _code_index(tx: Tx, code: str) -> bytes:
    return tx.keys.blind_index("invite", code)


async def invite(store: Store, person_id: str) -> str:
    """Create a single-use invitation code valid for 48 hours."""
    code = secrets.token_urlsafe(12)
    async with store.tx() as tx:
        expires = iso(tx.clock.now() + INVITE_TTL)
        await tx.execute(
            "INSERT INTO invitations(code_index, person_id, expires_at) VALUES (?, ?, ?)",
            (_code_index(tx, code), person_id, expires),
        )
        await audit.append(tx, actor=person_id, action="link.invite", obj=person_id)
    return code


async def inviter_name(store: Store, code: str) -> str:
    """Return the name of whoever made a valid invitation (to confirm before accepting)."""
    async with store.read() as tx:
        row = await _valid(tx, code)
        profile = await people.profile_in(tx, row["person_id"])
    return profile.full_name if profile else ""


async def _valid(tx: Tx, code: str) -> Row:
    row = await tx.one("SELECT * FROM invitations WHERE code_index = ?", (_code_index(tx, code),))
    if row is None or row["used_at"] is not None or row["expires_at"] < tx.now():
        raise InvalidInput("bad_invitation")
    return row


async def _addressee(tx: Tx, owner: str, other: str, name: str, latin: str) -> None:
    addressee_id = "a_" + secrets.token_hex(8)
    data = {
        "full_name": name,
        "latin_name": latin,
        "father_name": None,
        "birth_date": None,
        "detainee_number": None,
        "relationship": "linked",
        "linked_person_id": other,
    }
    blob = await tx.seal_for(owner, "addressees", "data", addressee_id, data)
    await tx.execute(
        "INSERT INTO addressees(id, family_id, data_enc, site_code, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (addressee_id, owner, blob, CHAT_SITE.code, tx.now()),
    )


async def accept(store: Store, person_id: str, code: str) -> str:
    """Accept an invitation; both people become each other's addressees. Return the link id."""
    async with store.tx() as tx:
        row = await _valid(tx, code)
        inviter = str(row["person_id"])
        if inviter == person_id:
            raise InvalidInput("own_invitation")
        mine = await people.profile_in(tx, person_id)
        theirs = await people.profile_in(tx, inviter)
        if mine is None or theirs is None:
            raise InvalidInput("profile_needed")
        await tx.execute(
            "UPDATE invitations SET used_at = ? WHERE code_index = ?",
            (tx.now(), _code_index(tx, code)),
        )
        link_id = "l_" + secrets.token_hex(8)
        await tx.execute(
            "INSERT INTO links(id, a_id, b_id, created_at) VALUES (?, ?, ?, ?)",
            (link_id, inviter, person_id, tx.now()),
        )
        await _addressee(tx, inviter, person_id, mine.full_name, mine.latin_name)
        await _addressee(tx, person_id, inviter, theirs.full_name, theirs.latin_name)
        await audit.append(tx, actor=person_id, action="link.accept", obj=link_id)
    return link_id


async def active_links(store: Store, person_id: str) -> list[Link]:
    """Return the person's active links with the other side's name."""
    async with store.read() as tx:
        rows = await tx.all(
            "SELECT * FROM links WHERE ended_at IS NULL AND (a_id = ? OR b_id = ?)",
            (person_id, person_id),
        )
        links = []
        for row in rows:
            other = row["b_id"] if row["a_id"] == person_id else row["a_id"]
            profile = await people.profile_in(tx, other)
            links.append(Link(row["id"], other, profile.full_name if profile else ""))
        return links


async def is_linked_in(tx: Tx, a: str, b: str) -> bool:
    """Return whether two people have an active link."""
    row = await tx.one(
        "SELECT 1 FROM links WHERE ended_at IS NULL AND"
        " ((a_id = ? AND b_id = ?) OR (a_id = ? AND b_id = ?))",
        (a, b, b, a),
    )
    return row is not None


async def end(store: Store, person_id: str, link_id: str) -> None:
    """End a link (either side may); later messages between them are refused."""
    async with store.tx() as tx:
        changed = await tx.execute(
            "UPDATE links SET ended_at = ? WHERE id = ? AND ended_at IS NULL"
            " AND (a_id = ? OR b_id = ?)",
            (tx.now(), link_id, person_id, person_id),
        )
        if changed != 1:
            raise NotFound("link")
        await audit.append(tx, actor=person_id, action="link.end", obj=link_id)
