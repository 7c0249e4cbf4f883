"""Who may act as a delegate: of a site, of every site (an admin), or the command line."""

from __future__ import annotations

from relay import roles
from relay.models import Role
from relay.store import Store, Tx

CLI_ACTOR = "admin-cli"  # the command line runs as the operator of the machine


async def require_delegate(tx: Tx, actor_id: str | None, site: str | None, *, action: str) -> None:
    """Allow a delegate of ``site`` (any site when None) or an admin; raise ``Refused``.

    The refusal is audited in a transaction of its own (``roles.record_refusal``), since
    the caller's transaction is rolled back by it.
    """
    if actor_id == CLI_ACTOR:
        return
    if actor_id is not None:
        for grant in await roles.grants_in(tx, actor_id):
            if grant.role == Role.ADMIN:
                return
            if grant.role == Role.DELEGATE and (site is None or grant.site_code in ("", site)):
                return
    raise roles.Refused(actor=actor_id, action=action, needs=Role.DELEGATE.value)


async def check_delegate(
    store: Store, actor_id: str | None, site: str | None, *, action: str
) -> None:
    """``require_delegate`` in its own transaction; a refusal is committed to the audit log."""
    try:
        async with store.tx() as tx:
            await require_delegate(tx, actor_id, site, action=action)
    except roles.Refused as exc:
        await roles.record_refusal(store, exc)
        raise


async def delegate_sites(store: Store, actor_id: str) -> tuple[str, ...] | None:
    """Return the sites a person delegates for; None means every site (admin, CLI)."""
    if actor_id == CLI_ACTOR:
        return None
    found: list[str] = []
    for grant in await roles.grants(store, actor_id):
        if grant.role == Role.ADMIN or (grant.role == Role.DELEGATE and not grant.site_code):
            return None
        if grant.role == Role.DELEGATE:
            found.append(grant.site_code)
    return tuple(found)


# -- print items --------------------------------------------------------------------------
