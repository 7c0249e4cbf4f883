"""Staff roles: granted and revoked by admins, bootstrapped from RCM_ADMIN_IDS.

Every staff action starts with ``require``: a refusal is audited and says nothing about the
object the stranger asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay import audit, people
from relay.errors import InvalidInput, NotAllowed
from relay.models import Role
from relay.store import Row, Store, Tx

# A senior reviewer may do all a reviewer does.
_IMPLIED = {Role.REVIEWER: {Role.REVIEWER, Role.SENIOR}}
# The languages a reviewer may be granted: every language families write in (the UI languages).
LANG_CODES = {"en", "fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so"}


@dataclass(frozen=True, slots=True)
class Grant:
    person_id: str
    role: Role
    site_code: str  # '' = every site
    languages: tuple[str, ...]


def _grant(row: Row) -> Grant:
    languages = tuple(x for x in row["languages"].split(",") if x)
    return Grant(row["person_id"], Role(row["role"]), row["site_code"], languages)


async def grants_in(tx: Tx, person_id: str) -> list[Grant]:
    rows = await tx.all("SELECT * FROM roles WHERE person_id = ?", (person_id,))
    return [_grant(r) for r in rows]


async def grants(store: Store, person_id: str) -> list[Grant]:
    """Return the roles a person holds."""
    async with store.tx() as tx:
        return await grants_in(tx, person_id)


def _matches(grant: Grant, role: Role, site: str | None) -> bool:
    if grant.role not in _IMPLIED.get(role, {role}):
        return False
    return site is None or grant.site_code in ("", site)


async def require_in(
    tx: Tx, person_id: str | None, role: Role, *, action: str, site: str | None = None
) -> Grant:
    """Return the grant that allows ``action``; audit and raise NotAllowed otherwise."""
    if person_id is not None:
        for grant in await grants_in(tx, person_id):
            if _matches(grant, role, site):
                return grant
    await audit.append(
        tx,
        actor=person_id or "stranger",
        action="refused",
        obj=action,
        detail={"needs": role.value},
    )
    raise NotAllowed(f"{action} needs {role.value}")


async def require(
    store: Store, person_id: str | None, role: Role, *, action: str, site: str | None = None
) -> Grant:
    """Check a role in its own transaction (the refusal is committed to the audit log)."""
    refused: NotAllowed | None = None
    async with store.tx() as tx:
        try:
            return await require_in(tx, person_id, role, action=action, site=site)
        except NotAllowed as exc:
            # Leave the block normally so that the transaction commits the audit entry;
            # raising inside it would roll the refusal back.
            refused = exc
    raise refused


def parse_languages(text: str) -> tuple[str, ...]:
    """Parse 'ar,fa' into language codes we support."""
    codes = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    unknown = [c for c in codes if c not in LANG_CODES]
    if unknown:
        raise InvalidInput("unknown_language", ",".join(unknown))
    return codes


async def grant(
    store: Store,
    *,
    actor_id: str,
    target_telegram_id: int,
    role: Role,
    site_code: str = "",
    languages: tuple[str, ...] = (),
    bootstrap: bool = False,
) -> str:
    """Give a Telegram user a role (admins only); return the person id."""
    async with store.tx() as tx:
        if not bootstrap:
            await require_in(tx, actor_id, Role.ADMIN, action="grant")
        person = await people.ensure_in(tx, target_telegram_id, "en")
        await tx.execute(
            "INSERT INTO roles(person_id, role, site_code, languages, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(person_id, role, site_code)"
            " DO UPDATE SET languages = excluded.languages",
            (person.id, role.value, site_code, ",".join(languages), actor_id, tx.now()),
        )
        await audit.append(
            tx,
            actor=actor_id,
            action="role.grant",
            obj=person.id,
            detail={"role": role.value, "site": site_code, "languages": ",".join(languages)},
        )
        return person.id


async def revoke(
    store: Store, *, actor_id: str, target_telegram_id: int, role: Role, site_code: str = ""
) -> bool:
    """Take a role away (admins only); return whether it was held."""
    async with store.tx() as tx:
        await require_in(tx, actor_id, Role.ADMIN, action="revoke")
        person = await people.find_in(tx, target_telegram_id)
        if person is None:
            return False
        removed = await tx.execute(
            "DELETE FROM roles WHERE person_id = ? AND role = ? AND site_code = ?",
            (person.id, role.value, site_code),
        )
        await audit.append(
            tx,
            actor=actor_id,
            action="role.revoke",
            obj=person.id,
            detail={"role": role.value, "site": site_code, "held": removed},
        )
        return removed > 0


async def bootstrap_admins(store: Store, admin_ids: tuple[int, ...]) -> None:
    """Make sure the users named by RCM_ADMIN_IDS are admins."""
    for telegram_id in admin_ids:
        async with store.tx() as tx:
            person = await people.find_in(tx, telegram_id)
            if person is not None and any(
                g.role == Role.ADMIN for g in await grants_in(tx, person.id)
            ):
                continue
        await grant(
            store,
            actor_id="config",
            target_telegram_id=telegram_id,
            role=Role.ADMIN,
            bootstrap=True,
        )


async def all_grants(store: Store, *, actor_id: str | None) -> list[Grant]:
    """Return every grant, by person (admins only; person ids, nothing personal)."""
    async with store.tx() as tx:
        await require_in(tx, actor_id, Role.ADMIN, action="staff")
        rows = await tx.all("SELECT * FROM roles ORDER BY person_id, role, site_code")
    return [_grant(r) for r in rows]


async def note_staff_chat(store: Store, person_id: str, chat_id: int) -> bool:
    """Remember a staff member's chat (once) so that the outbox can reach them.

    Return True the first time (the bot then gives the chat its staff command menu).
    """
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT chat_enc FROM people WHERE id = ?"
            " AND EXISTS (SELECT 1 FROM roles WHERE person_id = people.id)",
            (person_id,),
        )
        if row is not None and row["chat_enc"] is None:
            await people.save_chat_in(tx, person_id, chat_id)
            return True
        return False
