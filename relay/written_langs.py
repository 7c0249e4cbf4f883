"""The written language of the texts submitted while the detector's model was loading.

A process loads the model in the background (about 2 s: ``relay.langdetect``), so that a bot
just (re)started answers at once. The texts submitted meanwhile are stored without a written
language and would wait for a reader of the family's interface language; once the model is
ready, ``fill_missing`` detects them and routes them to a reader of the language they are
written in. It also catches the texts of a process stopped before its model was ready.

Only messages nobody holds are changed (waiting or escalated, not claimed): a reviewer
holding a message keeps the grant it was routed by.
"""

from __future__ import annotations

import asyncio
import logging

from relay import langdetect
from relay.errors import CryptoError
from relay.roles import LANG_CODES
from relay.store import Store

log = logging.getLogger("relay.written_langs")

# Only messages nobody holds: waiting or escalated, not claimed.
_SELECT = (
    "SELECT id, family_id, body_enc FROM messages WHERE written_lang IS NULL"
    " AND kind = 'message' AND state IN ('submitted', 'escalated') AND claimed_by IS NULL"
    " AND id > ? ORDER BY id LIMIT ?"
)
_UPDATE = (
    "UPDATE messages SET written_lang = ? WHERE id = ? AND written_lang IS NULL"
    " AND kind = 'message' AND state IN ('submitted', 'escalated') AND claimed_by IS NULL"
)


async def fill_missing(store: Store, *, batch: int = 200) -> int:
    """Detect the written language of waiting messages that have none; return how many got one.

    Call it once the model is loaded (``langdetect.is_ready``). Messages whose language
    cannot be told (numbers, too short) keep none and go by the interface language.
    """
    filled = 0
    after = ""
    while True:
        async with store.tx() as tx:
            rows = await tx.all(_SELECT, (after, batch))
            for row in rows:
                try:
                    body = await tx.open_json_for(
                        row["family_id"], "messages", "body", row["id"], row["body_enc"]
                    )
                except CryptoError:
                    continue  # erased family or a key not readable here: leave it as it is
                lang = langdetect.detect(str(body.get("text", "")))
                if lang not in LANG_CODES:
                    continue
                await tx.execute(_UPDATE, (lang, row["id"]))
                filled += 1
        if len(rows) < batch:
            break
        after = str(rows[-1]["id"])
    log.info("written languages filled in: %d", filled)
    return filled


async def warm_and_fill(store: Store) -> int:
    """Load the model in the background, then fill in what was submitted meanwhile.

    Started as a task at start-up: the bot is ready before the model is.
    """
    loader = langdetect.start_loading()
    while not langdetect.is_ready():
        if not loader.is_alive() and not langdetect.is_ready():
            log.warning("language model failed to load; texts go by the interface language")
            return 0
        await asyncio.to_thread(loader.join, 1.0)
    return await fill_missing(store)
