"""Fixtures for the domain core: real SQLite files, a real key file, a clock that we move."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.transport import address_of
from relay import messages, people
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.findings import FindingLike
from relay.models import Site
from relay.sites import load_sites
from relay.store import Store
from tests.conftest import Database


class NoFindings:
    """A rules engine that finds nothing (implements ``relay.findings.Checker``)."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def check(
        self,
        text: str,
        *,
        lang: str | None = None,
        site_code: str | None = None,
        word_limit: int | None = None,
    ) -> Sequence[FindingLike]:
        self.checked.append(text)
        return []


@dataclass(frozen=True, slots=True)
class Family:
    person_id: str
    telegram_id: int
    addressee_id: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "master.json"


@pytest.fixture
def keyring(key_path: Path) -> KeyRing:
    return KeyRing.load_or_create(key_path)


@pytest.fixture
def db_path(data_dir: Path) -> Path:
    return data_dir / "rcm.sqlite3"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def store(
    db_path: Path, keyring: KeyRing, clock: FakeClock, database: Database
) -> AsyncIterator[Store]:
    opened = await Store.open(
        db_path, keyring, clock=clock, url=database.url, vault_url=database.vault_url
    )
    yield opened
    await opened.close()


@pytest.fixture
def checker() -> NoFindings:
    return NoFindings()


@pytest.fixture
def sites() -> dict[str, Site]:
    return load_sites(None)


_telegram_ids = itertools.count(700_000_001)


@pytest.fixture
def make_family(
    store: Store,
) -> Callable[..., Awaitable[Family]]:
    """Return a factory: a consenting person with one addressee at site ALP."""

    async def make(
        *,
        telegram_id: int | None = None,
        addressee_name: str = "Karim Haddad",
        detainee_number: str | None = None,
        site_code: str = "ALP",
        birth_date: str | None = None,
    ) -> Family:
        tid = next(_telegram_ids) if telegram_id is None else telegram_id
        person = await people.ensure(store, address_of(tid), "en")
        await people.record_consent(store, person.id, str(tid))
        addressee_id = await messages.add_addressee(
            store,
            person.id,
            messages.NewAddressee(
                full_name=addressee_name,
                latin_name="Karim Haddad",
                father_name=None,
                birth_date=birth_date,
                detainee_number=detainee_number,
                site_code=site_code,
                relationship="brother",
            ),
        )
        return Family(person.id, tid, addressee_id)

    return make


_submit_keys = itertools.count(1)


@pytest.fixture
def send(
    store: Store, checker: NoFindings, sites: dict[str, Site]
) -> Callable[..., Awaitable[messages.Submitted]]:
    """Return a helper that submits a message of a family through the real service."""

    async def go(
        family: Family,
        text: str = "We are all well and think of you every day.",
        *,
        submit_key: str | None = None,
        per_day: int = 10,
    ) -> messages.Submitted:
        return await messages.submit(
            store,
            person_id=family.person_id,
            addressee_id=family.addressee_id,
            text=text,
            lang="en",
            submit_key=submit_key or f"k{next(_submit_keys)}",
            checker=checker,
            sites=sites,
            per_day=per_day,
        )

    return go
