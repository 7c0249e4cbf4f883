"""A family's addressees: the detained relatives they write to, sealed under their key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from relay import links
from relay.errors import NotFound
from relay.models import Addressee
from relay.store import Row, Store, Tx
from relay.text_input import clean_name, clean_text


@dataclass(frozen=True, slots=True)
class NewAddressee:
    full_name: str
    latin_name: str
    father_name: str | None
    birth_date: str | None
    detainee_number: str | None
    site_code: str
    relationship: str
    linked_person_id: str | None = None


def _detainee_index(tx: Tx, number: str) -> bytes:
    return tx.keys.blind_index("detainee", "".join(number.split()).upper())


async def add_addressee(store: Store, person_id: str, new: NewAddressee) -> str:
    """Store an addressee of this family and return its id."""
    data = {
        "full_name": clean_name(new.full_name, field="addressee_name"),
        "latin_name": clean_name(new.latin_name, field="addressee_latin"),
        "father_name": clean_name(new.father_name, field="father_name")
        if new.father_name
        else None,
        "birth_date": new.birth_date,
        "detainee_number": new.detainee_number,
        "relationship": clean_text(new.relationship, max_chars=60, field="relationship"),
        "linked_person_id": new.linked_person_id,
    }
    addressee_id = "a_" + secrets.token_hex(8)
    async with store.tx() as tx:
        blob = await tx.seal_for(person_id, "addressees", "data", addressee_id, data)
        index = _detainee_index(tx, new.detainee_number) if new.detainee_number else None
        await tx.execute(
            "INSERT INTO addressees(id, family_id, data_enc, detainee_index, site_code,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (addressee_id, person_id, blob, index, new.site_code, tx.now()),
        )
    return addressee_id


async def _addressee(tx: Tx, person_id: str, row: Row) -> Addressee:
    data = await tx.open_json_for(person_id, "addressees", "data", row["id"], row["data_enc"])
    return Addressee(id=row["id"], site_code=row["site_code"], **data)


async def addressees(store: Store, person_id: str) -> list[Addressee]:
    """Return the family's addressees, oldest first."""
    async with store.read() as tx:
        rows = await tx.all(
            "SELECT * FROM addressees WHERE family_id = ? ORDER BY created_at", (person_id,)
        )
        found = [await _addressee(tx, person_id, row) for row in rows]
        # A linked person stays an addressee only while the link is active.
        return [
            a
            for a in found
            if a.linked_person_id is None
            or await links.is_linked_in(tx, person_id, a.linked_person_id)
        ]


async def addressee_in(tx: Tx, person_id: str, addressee_id: str) -> Addressee:
    row = await tx.one(
        "SELECT * FROM addressees WHERE id = ? AND family_id = ?", (addressee_id, person_id)
    )
    if row is None:
        raise NotFound("addressee")
    return await _addressee(tx, person_id, row)
