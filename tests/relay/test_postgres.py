"""PostgreSQL as the store: what a dump holds, and a password that never shows.

The demo runs as a real process on a fresh database of the session's throwaway cluster; then
``pg_dump`` of the data database (and of the vault database) is searched for every personal
string the demo's people typed, as for the SQLite files in tests/security.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relay.crypto import KeyRing
from relay.errors import ConfigError
from relay.migrations import MIGRATIONS
from relay.settings import load_settings
from relay.store import Store
from relay.store_pg import redact_url, vault_url_for
from tests.pgcluster import Cluster
from tests.security.test_after_demo import _hits, personal_strings


def _rcm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "-v", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_a_dump_of_the_demos_database_holds_nothing_personal(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    # Given the whole demo run on PostgreSQL (debug logs on)
    url, vault_url = pg_cluster.create_database("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCM_")}
    env.update(RCM_DATA_DIR=str(tmp_path / "data"), RCM_DATABASE_URL=url, RCM_VAULT_URL=vault_url)
    run = _rcm(env, "demo", "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr[-3000:]
    # When the data database and the vault database are dumped
    data = pg_cluster.dump(url.rsplit("/", 1)[1])
    vault = pg_cluster.dump(vault_url.rsplit("/", 1)[1])
    # Then the data holds the demo's messages, sealed, and no personal string; no key either
    assert b"CREATE TABLE public.messages" in data
    assert data.count(b"\\\\x") > 50  # sealed fields (bytea in hex) are there
    assert _hits(data, personal_strings()) == []
    assert b"family_keys" not in data
    assert b"CREATE TABLE public.family_keys" in vault
    assert _hits(vault, personal_strings()) == []
    # and the password was never printed
    assert pg_cluster.password not in run.stdout + run.stderr
    verify = _rcm(env, "audit", "verify")
    assert verify.returncode == 0, verify.stderr[-2000:]
    assert "audit log intact" in verify.stdout


def test_a_wrong_password_is_refused_without_showing_either_password(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    url, _ = pg_cluster.create_database("pw")
    wrong = url.replace(pg_cluster.password, "Wr0ngPassw0rdNeverShown")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCM_")}
    env.update(RCM_DATA_DIR=str(tmp_path / "data"), RCM_DATABASE_URL=wrong)
    run = _rcm(env, "audit", "verify")
    assert run.returncode == 2
    assert "RCM_DATABASE_URL: cannot connect to postgresql://rcm:***@127.0.0.1" in run.stderr
    assert "Wr0ngPassw0rdNeverShown" not in run.stdout + run.stderr
    assert pg_cluster.password not in run.stdout + run.stderr


async def test_the_vault_may_not_be_the_data_database(pg_cluster: Cluster, tmp_path: Path) -> None:
    url, _ = pg_cluster.create_database("same")
    keys = KeyRing.load_or_create(tmp_path / "keys" / "master.json")
    with pytest.raises(ConfigError, match="must not be the data's database") as refused:
        await Store.open(tmp_path / "x.sqlite3", keys, url=url, vault_url=url)
    assert pg_cluster.password not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://rcm:s3cr%40t@db:5432/rcm", "postgresql://rcm:***@db:5432/rcm"),
        ("postgresql://rcm@db/rcm", "postgresql://rcm@db/rcm"),
        ("postgres://u:p@h/d?sslmode=require", "postgres://u:***@h/d?sslmode=require"),
    ],
    ids=["password", "no-password", "query"],
)
def test_redacted_urls(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_default_vault_is_a_database_beside_the_data() -> None:
    assert vault_url_for("postgresql://u:p@h:5/rcm") == "postgresql://u:p@h:5/rcm_vault"


def test_settings_never_show_the_url_and_refuse_other_schemes() -> None:
    settings = load_settings({"RCM_DATABASE_URL": "postgresql://u:TopSecret@h/d"})
    assert settings.database_url == "postgresql://u:TopSecret@h/d"
    assert "TopSecret" not in repr(settings)
    with pytest.raises(ConfigError, match="expected a postgresql:// URL") as refused:
        load_settings({"RCM_DATABASE_URL": "mysql://u:TopSecret@h/d"})
    assert "TopSecret" not in str(refused.value)


async def test_workers_starting_together_on_a_new_database_all_open_it(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    # Given a new database and three workers starting at the same moment
    url, vault_url = pg_cluster.create_database("together")
    keys = KeyRing.load_or_create(tmp_path / "keys" / "master.json")
    opened = await asyncio.gather(
        *(Store.open(tmp_path / "x.sqlite3", keys, url=url, vault_url=vault_url) for _ in range(3))
    )
    # Then each opened it, and the schema was migrated once, to the end
    try:
        versions = [await s.migrate() for s in opened]
        assert versions == [len(MIGRATIONS)] * 3
        async with opened[0].tx() as tx:
            row = await tx.one("SELECT COUNT(*) AS n FROM rcm_schema")
        assert row is not None
        assert row["n"] == 1
    finally:
        for s in opened:
            await s.close()
