"""The language the detained addressee reads, when it is not the language the family writes in.

A Ukrainian family may write to a relative who reads Russian, an Arabic letter may go to a
Kurdish-speaking detainee who reads French better than Arabic: the printed form's labels and
the instructions for the reply follow the reader (``PrintItem.reader_lang``), the message
itself stays as written. The reviewer who holds the message sets it for that addressee, so
every later letter to them is printed the same way; it is kept in the addressee's sealed data.
"""

from __future__ import annotations

import re

from relay import audit, roles
from relay.errors import InvalidInput, NotFound
from relay.models import Role
from relay.review_queue import held_in
from relay.store import Store, Tx

# A language code as the catalogs name them ("ar", "fa", "uk"); the front end offers its own.
_CODE = re.compile(r"^[a-z]{2,3}$")


async def reads_in(tx: Tx, family_id: str, addressee_id: str) -> str | None:
    """Return the language the addressee reads, when one was set."""
    row = await tx.one("SELECT data_enc FROM addressees WHERE id = ?", (addressee_id,))
    if row is None:
        raise NotFound("addressee")
    data = await tx.open_json_for(family_id, "addressees", "data", addressee_id, row["data_enc"])
    reads = data.get("reads")
    return str(reads) if reads else None


@roles.audits_refusals
async def set_for_held(
    store: Store, *, reviewer_id: str | None, message_id: str, lang: str | None
) -> None:
    """Set (or clear, with None) the reading language of a held message's addressee."""
    if lang is not None and not _CODE.match(lang):
        raise InvalidInput("unknown_language")
    async with store.tx() as tx:
        await roles.require_in(tx, reviewer_id, Role.REVIEWER, action="reader_language")
        row = await held_in(tx, reviewer_id, message_id)
        family_id, addressee_id = str(row["family_id"]), str(row["addressee_id"])
        ad = await tx.one("SELECT data_enc FROM addressees WHERE id = ?", (addressee_id,))
        if ad is None:
            raise NotFound("addressee")
        data = await tx.open_json_for(
            family_id, "addressees", "data", addressee_id, ad["data_enc"]
        )
        if lang == row["lang"]:
            lang = None  # the message's own language needs no setting
        if data.get("reads") == lang:
            return
        data["reads"] = lang
        blob = await tx.seal_for(family_id, "addressees", "data", addressee_id, data)
        await tx.execute("UPDATE addressees SET data_enc = ? WHERE id = ?", (blob, addressee_id))
        await audit.append(
            tx,
            actor=str(reviewer_id),
            action="addressee.reader_language",
            obj=message_id,
            detail={"lang": lang or ""},
        )
