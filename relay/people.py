"""People known to the bot (families, released detainees, staff): identity, consent, profile.

A person is found by the blind index of their channel address (``relay.channels``).
Everything personal (the address to reply to, profile) is sealed under the person's own data
key; erasing the person destroys it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from relay import audit
from relay.channels import ADDRESS_FIELD, Address, channel_index
from relay.errors import NotFound
from relay.models import Profile
from relay.store import Store, Tx


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    lang: str
    consented: bool
    unreachable: bool


def _person(row: object) -> Person:
    return Person(
        id=row["id"],  # type: ignore[index]
        lang=row["lang"],  # type: ignore[index]
        consented=row["consent_at"] is not None,  # type: ignore[index]
        unreachable=bool(row["unreachable"]),  # type: ignore[index]
    )


async def find_in(tx: Tx, address: Address) -> Person | None:
    row = await tx.one(
        "SELECT * FROM people WHERE channel_index = ?", (channel_index(tx.keys, address),)
    )
    return _person(row) if row else None


async def ensure_in(tx: Tx, address: Address, lang: str) -> Person:
    """Return the person at a channel address, creating an empty one (language only)."""
    found = await find_in(tx, address)
    if found is not None:
        return found
    person_id = "p_" + secrets.token_hex(8)
    await tx.create_family_key(person_id)
    await tx.execute(
        "INSERT INTO people(id, channel_index, lang, created_at) VALUES (?, ?, ?, ?)",
        (person_id, channel_index(tx.keys, address), lang, tx.now()),
    )
    return Person(person_id, lang, consented=False, unreachable=False)


async def find(store: Store, address: Address) -> Person | None:
    """Return the person at a channel address, if known."""
    async with store.read() as tx:
        return await find_in(tx, address)


async def ensure(store: Store, address: Address, lang: str) -> Person:
    """Return the person at a channel address, creating it with a language only."""
    async with store.tx() as tx:
        return await ensure_in(tx, address, lang)


async def get(store: Store, person_id: str) -> Person:
    async with store.read() as tx:
        row = await tx.one("SELECT * FROM people WHERE id = ?", (person_id,))
    if row is None:
        raise NotFound(f"person {person_id}")
    return _person(row)


async def set_language(store: Store, person_id: str, lang: str) -> None:
    """Remember the person's interface language."""
    async with store.tx() as tx:
        await tx.execute("UPDATE people SET lang = ? WHERE id = ?", (lang, person_id))


async def record_consent(store: Store, person_id: str, reply_to: str) -> None:
    """Record consent and, from now on, the opaque address the outbox writes to."""
    async with store.tx() as tx:
        blob = await tx.seal_for(person_id, "people", ADDRESS_FIELD, person_id, reply_to)
        await tx.execute(
            "UPDATE people SET consent_at = ?, address_enc = ?, unreachable = 0 WHERE id = ?",
            (tx.now(), blob, person_id),
        )
        await audit.append(tx, actor=person_id, action="person.consent", obj=person_id)


async def save_address_in(tx: Tx, person_id: str, reply_to: str) -> None:
    """Store the reply address of a person (staff are written to without a family consent)."""
    blob = await tx.seal_for(person_id, "people", ADDRESS_FIELD, person_id, reply_to)
    await tx.execute("UPDATE people SET address_enc = ? WHERE id = ?", (blob, person_id))


async def save_profile(store: Store, person_id: str, profile: Profile) -> None:
    """Store the sender's own details."""
    async with store.tx() as tx:
        data = {
            "full_name": profile.full_name,
            "latin_name": profile.latin_name,
            "father_name": profile.father_name,
            "mother_name": profile.mother_name,
            "birth_date": profile.birth_date,
        }
        blob = await tx.seal_for(person_id, "people", "profile", person_id, data)
        await tx.execute("UPDATE people SET profile_enc = ? WHERE id = ?", (blob, person_id))


async def profile_in(tx: Tx, person_id: str) -> Profile | None:
    row = await tx.one("SELECT profile_enc FROM people WHERE id = ?", (person_id,))
    if row is None or row["profile_enc"] is None:
        return None
    data = json.loads(
        await tx.open_for(person_id, "people", "profile", person_id, row["profile_enc"])
    )
    return Profile(**data)


async def load_profile(store: Store, person_id: str) -> Profile | None:
    """Return the sender's details, if given."""
    async with store.read() as tx:
        return await profile_in(tx, person_id)


async def address_in(tx: Tx, person_id: str) -> str | None:
    """Return the person's opaque reply address, if they gave one."""
    row = await tx.one("SELECT address_enc FROM people WHERE id = ?", (person_id,))
    if row is None or row["address_enc"] is None:
        return None
    raw = await tx.open_for(person_id, "people", ADDRESS_FIELD, person_id, row["address_enc"])
    return raw.decode()
