"""Staff sign-in to the web console: single-use links (10 minutes) and idle-expiring sessions.

A link is made for a staff member who asked the bot (``/console``) or by the operator on the
server (``rcm console link``): the bot is thus the second factor. Links and sessions are
random tokens kept only as blind indexes, so a copy of the database opens nothing. Every
refusal is audited and says nothing about why (unknown, used or expired look the same).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from relay import audit, people, roles
from relay.channels import Address
from relay.clock import iso
from relay.errors import NotAllowed, NotFound
from relay.models import Role
from relay.store import Store, Tx

LINK_TTL = dt.timedelta(minutes=10)
SESSION_IDLE = dt.timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in staff member: their person id and language."""

    person_id: str
    lang: str


def _index(tx: Tx, kind: str, token: str) -> bytes:
    return tx.keys.blind_index(kind, token)


async def _require_staff(tx: Tx, person_id: str | None, *, action: str) -> None:
    if person_id is not None and await roles.grants_in(tx, person_id):
        return
    await audit.append(
        tx, actor=person_id or "stranger", action="refused", obj=action, detail={"needs": "staff"}
    )
    raise NotAllowed(f"{action} needs a staff role")


async def _new_link(tx: Tx, person_id: str, actor: str) -> str:
    token = secrets.token_urlsafe(32)
    now = tx.clock.now()
    await tx.execute(
        "INSERT INTO console_links(token_index, person_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?)",
        (_index(tx, "console_link", token), person_id, iso(now), iso(now + LINK_TTL)),
    )
    await audit.append(tx, actor=actor, action="console.link", obj=person_id, detail={})
    return token


async def create_link(store: Store, *, person_id: str | None) -> str:
    """Return a new login token for a staff member (the bot's ``/console``)."""
    refused: NotAllowed | None = None
    async with store.tx() as tx:
        try:
            await _require_staff(tx, person_id, action="console_link")
            assert person_id is not None
            return await _new_link(tx, person_id, person_id)
        except NotAllowed as exc:
            refused = exc  # leave the block normally: the refusal's audit entry commits
    raise refused


async def create_link_for(store: Store, *, address: Address, actor: str) -> str:
    """Return a login token for the person at an address who holds a staff role (rcm console)."""
    async with store.tx() as tx:
        person = await people.find_in(tx, address)
        if person is None or not await roles.grants_in(tx, person.id):
            raise NotFound("staff member")
        return await _new_link(tx, person.id, actor)


async def spend_link(store: Store, *, token: str) -> str:
    """Use up a login token; return a new session token. Used or expired: NotAllowed."""
    refused: NotAllowed | None = None
    async with store.tx() as tx:
        now = tx.now()
        index = _index(tx, "console_link", token)
        row = await tx.one(
            "SELECT person_id FROM console_links WHERE token_index = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (index, now),
        )
        if row is None or not await roles.grants_in(tx, row["person_id"]):
            await audit.append(
                tx, actor="stranger", action="refused", obj="console_login", detail={}
            )
            refused = NotAllowed("login link unknown, used or expired")
        else:
            # The UPDATE's condition makes two racing uses of one link open one session.
            spent = await tx.execute(
                "UPDATE console_links SET used_at = ? WHERE token_index = ? AND used_at IS NULL",
                (now, index),
            )
            assert spent == 1
            session = secrets.token_urlsafe(32)
            await tx.execute(
                "INSERT INTO console_sessions(token_index, person_id, created_at, seen_at)"
                " VALUES (?, ?, ?, ?)",
                (_index(tx, "console_session", session), row["person_id"], now, now),
            )
            await audit.append(
                tx, actor=row["person_id"], action="console.login", obj=row["person_id"], detail={}
            )
            return session
    raise refused


async def session_of(store: Store, *, token: str) -> Session | None:
    """Return who holds a live session (and note the activity), or None."""
    async with store.tx() as tx:
        now = tx.clock.now()
        index = _index(tx, "console_session", token)
        row = await tx.one(
            "SELECT s.person_id, s.seen_at, p.lang FROM console_sessions s"
            " JOIN people p ON p.id = s.person_id"
            " WHERE s.token_index = ? AND s.ended_at IS NULL",
            (index,),
        )
        if row is None:
            return None
        if row["seen_at"] < iso(now - SESSION_IDLE):
            await tx.execute(
                "UPDATE console_sessions SET ended_at = ? WHERE token_index = ?", (iso(now), index)
            )
            return None
        await tx.execute(
            "UPDATE console_sessions SET seen_at = ? WHERE token_index = ?", (iso(now), index)
        )
        return Session(row["person_id"], row["lang"])


async def end_session(store: Store, *, token: str) -> None:
    """Log out: end the session of this token."""
    async with store.tx() as tx:
        await tx.execute(
            "UPDATE console_sessions SET ended_at = ? WHERE token_index = ? AND ended_at IS NULL",
            (tx.now(), _index(tx, "console_session", token)),
        )


async def end_sessions(store: Store, *, actor_id: str | None, person_id: str) -> int:
    """End every session of a person (admins only); return how many were live."""
    async with store.tx() as tx:
        await roles.require_in(tx, actor_id, Role.ADMIN, action="end_sessions")
        ended = await tx.execute(
            "UPDATE console_sessions SET ended_at = ? WHERE person_id = ? AND ended_at IS NULL",
            (tx.now(), person_id),
        )
        await audit.append(
            tx,
            actor=actor_id or "stranger",
            action="console.end_sessions",
            obj=person_id,
            detail={"ended": ended},
        )
        return ended


def csrf_token(store: Store, session_token: str) -> str:
    """Return the anti-forgery token of a session (derived, so nothing more is stored)."""
    mac = hmac.new(store.keys.index_key, b"csrf\x00" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()
