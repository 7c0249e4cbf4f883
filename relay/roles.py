"""Staff roles: granted and revoked by admins, bootstrapped from RCM_ADMIN_IDS.

Every staff action starts with a role check: a refusal is audited and says nothing about the
object the stranger asked for. A refusal raised inside a service's transaction is rolled
back with it, so the check raises ``Refused`` (which carries what to audit) and the audit
entry is written in a transaction of its own by ``record_refusal``: ``require`` does it at
once, ``audits_refusals`` does it for a whole service call, and the bot's role guard does it
for any refusal that reaches the routing path.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from relay import audit, people
from relay.channels import Address
from relay.errors import InvalidInput, NotAllowed
from relay.models import Role
from relay.store import Row, Store, Tx

P = ParamSpec("P")
T = TypeVar("T")

# Who may do what, as sets of roles (any one of them suffices).
REVIEWING = frozenset({Role.REVIEWER, Role.SENIOR})
SENIORS = frozenset({Role.SENIOR})
DELEGATING = frozenset({Role.DELEGATE, Role.ADMIN})
ADMINISTERING = frozenset({Role.ADMIN})
CONFIRMING = frozenset({Role.REVIEWER, Role.SENIOR, Role.ADMIN})  # claims by released people
ANY_STAFF = frozenset(Role)


class Refused(NotAllowed):
    """A role check failed; carries what the audit log records (ids and codes only)."""

    def __init__(self, *, actor: str | None, action: str, needs: str) -> None:
        super().__init__(f"{action} needs {needs}")
        self.actor = actor or "stranger"
        self.action = action
        self.needs = needs
        self.audited = False


def refusal_in(error: BaseException | None) -> Refused | None:
    """Return the ``Refused`` behind an error (itself, or what it was raised from), if any."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, Refused):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


async def record_refusal(store: Store, error: BaseException) -> bool:
    """Audit the refusal behind ``error`` in its own transaction (once); return if one was."""
    refused = refusal_in(error)
    if refused is None or refused.audited:
        return refused is not None
    async with store.tx() as tx:
        await audit.append(
            tx,
            actor=refused.actor,
            action="refused",
            obj=refused.action,
            detail={"needs": refused.needs},
        )
    refused.audited = True
    return True


def audits_refusals(
    service: Callable[Concatenate[Store, P], Awaitable[T]],
) -> Callable[Concatenate[Store, P], Awaitable[T]]:
    """Wrap a service whose first argument is the store: a refusal it raises is audited."""

    @functools.wraps(service)
    async def wrapper(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await service(store, *args, **kwargs)
        except Exception as exc:
            await record_refusal(store, exc)
            raise

    return wrapper


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


def grant_of(row: Row) -> Grant:
    """Return the Grant of a row of the roles table."""
    languages = tuple(x for x in row["languages"].split(",") if x)
    return Grant(row["person_id"], Role(row["role"]), row["site_code"], languages)


async def grants_in(tx: Tx, person_id: str) -> list[Grant]:
    rows = await tx.all("SELECT * FROM roles WHERE person_id = ?", (person_id,))
    return [grant_of(r) for r in rows]


async def grants(store: Store, person_id: str) -> list[Grant]:
    """Return the roles a person holds."""
    async with store.read() as tx:
        return await grants_in(tx, person_id)


def _matches(grant: Grant, role: Role, site: str | None) -> bool:
    if grant.role not in _IMPLIED.get(role, {role}):
        return False
    return site is None or grant.site_code in ("", site)


def covers(grant: Grant, site: str, lang: str) -> bool:
    """Return whether a reviewing grant lets its holder read a message of ``site`` in ``lang``."""
    return grant.role in REVIEWING and grant.site_code in ("", site) and lang in grant.languages


async def require_in(
    tx: Tx, person_id: str | None, role: Role, *, action: str, site: str | None = None
) -> Grant:
    """Return the grant that allows ``action``; raise ``Refused`` otherwise.

    The refusal is audited by whoever ends the transaction (see the module docstring).
    """
    if person_id is not None:
        for grant in await grants_in(tx, person_id):
            if _matches(grant, role, site):
                return grant
    raise Refused(actor=person_id, action=action, needs=role.value)


async def require_any(
    store: Store, person_id: str | None, needs: Collection[Role], *, action: str
) -> list[Grant]:
    """Return the person's grants if one of them is in ``needs``; audit and refuse otherwise.

    This is the check of the bot's role guard: it runs in its own transaction, so the
    refusal is committed to the audit log.
    """
    held: list[Grant] = []
    if person_id is not None:
        held = await grants(store, person_id)
    if any(g.role in needs for g in held):
        return held
    refused = Refused(
        actor=person_id, action=action, needs=",".join(sorted(r.value for r in needs))
    )
    await record_refusal(store, refused)
    raise refused


async def require(
    store: Store, person_id: str | None, role: Role, *, action: str, site: str | None = None
) -> Grant:
    """Check a role in its own transaction (the refusal is committed to the audit log)."""
    try:
        async with store.read() as tx:
            return await require_in(tx, person_id, role, action=action, site=site)
    except Refused as exc:
        await record_refusal(store, exc)
        raise


def parse_languages(text: str) -> tuple[str, ...]:
    """Parse 'ar,fa' into language codes we support."""
    codes = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    unknown = [c for c in codes if c not in LANG_CODES]
    if unknown:
        raise InvalidInput("unknown_language", ",".join(unknown))
    return codes


@audits_refusals
async def grant(
    store: Store,
    *,
    actor_id: str,
    target: Address,
    role: Role,
    site_code: str = "",
    languages: tuple[str, ...] = (),
    bootstrap: bool = False,
    known_sites: Collection[str] | None = None,
) -> str:
    """Give the person at a channel address a role (admins only); return the person id.

    With ``known_sites``, a site that is not one of them is refused (``unknown_site``).
    """
    if known_sites is not None and site_code and site_code not in known_sites:
        raise InvalidInput("unknown_site", site_code)
    async with store.tx() as tx:
        if not bootstrap:
            await require_in(tx, actor_id, Role.ADMIN, action="grant")
        person = await people.ensure_in(tx, target, "en")
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


@audits_refusals
async def revoke(
    store: Store, *, actor_id: str, target: Address, role: Role, site_code: str = ""
) -> bool:
    """Take a role away (admins only); return whether it was held."""
    async with store.tx() as tx:
        await require_in(tx, actor_id, Role.ADMIN, action="revoke")
        person = await people.find_in(tx, target)
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


async def bootstrap_admins(store: Store, admins: Collection[Address]) -> None:
    """Make sure the people at these addresses (RCM_ADMIN_IDS) are admins."""
    for address in admins:
        async with store.tx() as tx:
            person = await people.find_in(tx, address)
            if person is not None and any(
                g.role == Role.ADMIN for g in await grants_in(tx, person.id)
            ):
                continue
        await grant(
            store,
            actor_id="config",
            target=address,
            role=Role.ADMIN,
            bootstrap=True,
        )


@audits_refusals
async def all_grants(store: Store, *, actor_id: str | None) -> list[Grant]:
    """Return every grant, by person (admins only; person ids, nothing personal)."""
    async with store.read() as tx:
        await require_in(tx, actor_id, Role.ADMIN, action="staff")
        rows = await tx.all("SELECT * FROM roles ORDER BY person_id, role, site_code")
    return [grant_of(r) for r in rows]


async def note_staff_address(store: Store, person_id: str, reply_to: str) -> bool:
    """Remember a staff member's reply address (once) so that the outbox can reach them.

    Return True the first time (the bot then gives the staff member their command menu).
    """
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT address_enc FROM people WHERE id = ?"
            " AND EXISTS (SELECT 1 FROM roles WHERE person_id = people.id)",
            (person_id,),
        )
        if row is not None and row["address_enc"] is None:
            await people.save_address_in(tx, person_id, reply_to)
            return True
        return False
