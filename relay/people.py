"""People known to the bot (families, released detainees, staff): identity, consent, profile.

A person is found by the blind index of their Telegram user id. Everything personal (chat
id, profile) is sealed under the person's own data key; erasing the person destroys it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from relay import audit
from relay.errors import NotFound
from relay.models import Profile
from relay.store import Store, Tx


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    lang: str
    consented: bool
    unreachable: bool


def tg_index(tx: Tx, telegram_user_id: int) -> bytes:
    return tx.keys.blind_index("tg-user", str(telegram_user_id))


def _person(row: object) -> Person:
    return Person(
        id=row["id"],  # type: ignore[index]
        lang=row["lang"],  # type: ignore[index]
        consented=row["consent_at"] is not None,  # type: ignore[index]
        unreachable=bool(row["unreachable"]),  # type: ignore[index]
    )


async def find_in(tx: Tx, telegram_user_id: int) -> Person | None:
    row = await tx.one(
        "SELECT * FROM people WHERE tg_index = ?", (tg_index(tx, telegram_user_id),)
    )
    return _person(row) if row else None


async def ensure_in(tx: Tx, telegram_user_id: int, lang: str) -> Person:
    """Return the person for a Telegram user, creating an empty one (language only)."""
    found = await find_in(tx, telegram_user_id)
    if found is not None:
        return found
    person_id = "p_" + secrets.token_hex(8)
    await tx.create_family_key(person_id)
    await tx.execute(
        "INSERT INTO people(id, tg_index, lang, created_at) VALUES (?, ?, ?, ?)",
        (person_id, tg_index(tx, telegram_user_id), lang, tx.now()),
    )
    return Person(person_id, lang, consented=False, unreachable=False)


async def find(store: Store, telegram_user_id: int) -> Person | None:
    """Return the person for a Telegram user id, if known."""
    async with store.tx() as tx:
        return await find_in(tx, telegram_user_id)


async def ensure(store: Store, telegram_user_id: int, lang: str) -> Person:
    """Return the person for a Telegram user id, creating it with a language only."""
    async with store.tx() as tx:
        return await ensure_in(tx, telegram_user_id, lang)


async def get(store: Store, person_id: str) -> Person:
    async with store.tx() as tx:
        row = await tx.one("SELECT * FROM people WHERE id = ?", (person_id,))
    if row is None:
        raise NotFound(f"person {person_id}")
    return _person(row)


async def set_language(store: Store, person_id: str, lang: str) -> None:
    """Remember the person's interface language."""
    async with store.tx() as tx:
        await tx.execute("UPDATE people SET lang = ? WHERE id = ?", (lang, person_id))


async def record_consent(store: Store, person_id: str, chat_id: int) -> None:
    """Record consent and, from now on, the chat to write to."""
    async with store.tx() as tx:
        blob = await tx.seal_for(person_id, "people", "chat", person_id, str(chat_id))
        await tx.execute(
            "UPDATE people SET consent_at = ?, chat_enc = ?, unreachable = 0 WHERE id = ?",
            (tx.now(), blob, person_id),
        )
        await audit.append(tx, actor=person_id, action="person.consent", obj=person_id)


async def save_chat_in(tx: Tx, person_id: str, chat_id: int) -> None:
    """Store the chat id of a person (staff are written to without a family consent)."""
    blob = await tx.seal_for(person_id, "people", "chat", person_id, str(chat_id))
    await tx.execute("UPDATE people SET chat_enc = ? WHERE id = ?", (blob, person_id))


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
    async with store.tx() as tx:
        return await profile_in(tx, person_id)


async def chat_id_in(tx: Tx, person_id: str) -> int | None:
    row = await tx.one("SELECT chat_enc FROM people WHERE id = ?", (person_id,))
    if row is None or row["chat_enc"] is None:
        return None
    return int(await tx.open_for(person_id, "people", "chat", person_id, row["chat_enc"]))
