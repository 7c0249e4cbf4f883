"""Issue acceptance: no personal string is ever on disk in clear (database, WAL, backup, vault)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.transport import address_of, inbox
from relay import messages, outbox, people
from relay.lifecycle import Action, transition
from relay.models import MessageState as S
from relay.models import Profile
from relay.store import Store
from tests.relay.conftest import Family

Send = Callable[..., Awaitable[messages.Submitted]]

ARABIC = ["نور الهدى قاسم", "عبد الرحمن سليمان", "فاطمة الزهراء يوسف", "محمود عبد الكريم"]
CYRILLIC = ["Оксана Шевчишина", "Владимир Кузнецов", "Людмила Бондаренко", "Ярослав Мельничук"]
LATIN = ["Marisol Echeverria", "Thandiwe Okonkwo", "Guillermo Bustamante", "Ingrid Halvorsen"]
TEXTS = [
    "Dear {n}, the olive harvest was good this year and your mother sends her love.",
    "Дорогой {n}, мы переехали к тёте, все здоровы, Маша пошла в школу.",
    "عزيزي {n}، الحمد لله كلنا بخير وننتظر عودتك بفارغ الصبر.",
]


def _needles(strings: list[str]) -> dict[str, list[bytes]]:
    return {s: [s.encode("utf-8"), s.encode("utf-16-le")] for s in strings}


def _size(path: Path) -> int:
    return path.stat().st_size


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _hits(files: list[Path], needles: dict[str, list[bytes]]) -> list[str]:
    found = []
    for path in files:
        data = path.read_bytes()
        for text, forms in needles.items():
            for form in forms:
                if form in data:
                    found.append(f"{path.name}: {text!r}")
    return found


@pytest.mark.sqlite_only
async def test_no_personal_string_is_stored_in_clear(
    store: Store,
    db_path: Path,
    key_path: Path,
    data_dir: Path,
    tmp_path: Path,
    send: Send,
) -> None:
    # Given 8 families put through the real services with known personal strings
    personal: list[str] = []
    chat_ids: list[int] = []
    update_id = 5000
    for n in range(10):
        chat_id = 987654321012 + n * 7919
        sender = [ARABIC, CYRILLIC, LATIN][n % 3][
            n % 4
        ] + f" {['Haddad', 'Petrenko', 'Moreno'][n % 3]}{'a' * (n // 3)}"
        relative = [CYRILLIC, LATIN, ARABIC][n % 3][(n + 1) % 4]
        father = [LATIN, ARABIC, CYRILLIC][n % 3][(n + 2) % 4]
        mother = f"{[ARABIC, CYRILLIC, LATIN][(n + 1) % 3][(n + 3) % 4]} Mother{n}x"
        birth = f"19{50 + n}-0{1 + n % 9}-1{n}"
        detainee = f"DET-{48213 + n * 311}-{77 + n}"
        texts = [TEXTS[k % 3].format(n=relative) + f" ({n}{k})" for k in range(2)]
        person = await people.ensure(store, address_of(chat_id), ["ar", "ru", "es"][n % 3])
        await people.record_consent(store, person.id, str(chat_id))
        await people.save_profile(
            store,
            person.id,
            Profile(
                full_name=sender,
                latin_name=f"Latinized Sender{n}",
                father_name=father,
                mother_name=mother,
                birth_date=birth,
            ),
        )
        addressee_id = await messages.add_addressee(
            store,
            person.id,
            messages.NewAddressee(
                full_name=relative,
                latin_name=f"Latinized Relative{n}",
                father_name=father,
                birth_date=f"19{70 + n}-1{n % 3}-0{1 + n}",
                detainee_number=detainee,
                site_code=["ALP", "BRV", "CDR"][n % 3],
                relationship="husband",
            ),
        )
        family = Family(person.id, chat_id, addressee_id)
        for k, text in enumerate(texts):
            sent = await send(family, text)
            moves = [(S.IN_REVIEW, Action.CLAIM), (S.APPROVED, Action.APPROVE)]
            if k == 0:
                moves.append((S.PRINTED, Action.PRINT))
            for to, action in moves:
                async with store.tx() as tx:
                    await transition(
                        tx, message_id=sent.message_id, to=to, action=action, actor="p_rev"
                    )
        raw_update = json.dumps(
            {
                "update_id": update_id,
                "message": {
                    "chat": {"id": chat_id, "type": "private", "first_name": sender},
                    "from": {"id": chat_id, "first_name": sender},
                    "text": texts[0],
                },
            },
            ensure_ascii=False,
        ).encode()
        await inbox.store_updates(store, [(update_id, raw_update)])
        update_id += 1
        chat_ids.append(chat_id)
        personal += [
            sender,
            f"Latinized Sender{n}",
            father,
            mother,
            birth,
            relative,
            f"Latinized Relative{n}",
            detainee,
            *texts,
            *[t[:24] for t in texts],  # a fragment, in case a prefix ends up somewhere
        ]
    # Some notifications were claimed and sent; one update was handled.
    claimed = await outbox.claim_due(store, limit=5)
    for item in claimed[:3]:
        await outbox.mark_sent(store, item.id, 1)
    await inbox.mark_done(store, 5000)
    personal = list(dict.fromkeys(personal))
    assert len(personal) >= 100
    assert len(set(chat_ids)) == 10
    assert {item.address for item in claimed} <= {
        str(c) for c in chat_ids
    }  # the services did see them
    needles = _needles(personal)
    for chat_id in chat_ids:
        needles[str(chat_id)] = [str(chat_id).encode("ascii"), str(chat_id).encode("utf-16-le")]

    # When we scan the files while the WAL still holds the recent pages
    wal = Path(f"{db_path}-wal")
    assert _size(wal) > 0
    vault = key_path.parent / "vault.sqlite3"
    assert _hits([db_path, wal, vault], needles) == []
    # ...then after a checkpoint folds the WAL into the database
    await store.checkpoint()
    assert _size(wal) == 0
    assert _hits([db_path, vault], needles) == []
    # ...and in a backup
    backup = tmp_path / "backup.sqlite3"
    await store.backup(backup)
    assert _size(backup) > 100_000
    every_file = [*_files(data_dir), backup]
    assert _hits(every_file, needles) == []

    # Then: the scan itself works (the strings are found where they are in clear)
    probe = tmp_path / "probe.bin"
    probe.write_bytes(b"\x00" + personal[0].encode("utf-16-le") + str(chat_ids[0]).encode())
    assert _hits([probe], needles) == [
        f"probe.bin: {personal[0]!r}",
        f"probe.bin: {str(chat_ids[0])!r}",
    ]
