"""`rcm console link ID` prints one sign-in link; `rcm console --listen` serves until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.transport import address_of
from relay import roles
from relay.crypto import KeyRing
from relay.models import Role
from relay.store import Store
from tests.conftest import Database


def _env(data: Path, database: Database | None = None) -> dict[str, str]:
    env = {**os.environ, "RCM_DATA_DIR": str(data), "RCM_CONSOLE_URL": "http://127.0.0.1:8088"}
    if database is not None and database.url is not None:
        env |= {"RCM_DATABASE_URL": database.url, "RCM_VAULT_URL": database.vault_url or ""}
    return env


def _rcm(
    *args: str, data: Path, database: Database | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", *args],
        env=_env(data, database),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _grant(data: Path, telegram_id: int, database: Database) -> None:
    store = await Store.open(
        data / "rcm.sqlite3",
        KeyRing.load_or_create(data / "keys/master.json"),
        url=database.url,
        vault_url=database.vault_url,
    )
    try:
        await roles.grant(
            store,
            actor_id="config",
            target=address_of(telegram_id),
            role=Role.REVIEWER,
            bootstrap=True,
        )
    finally:
        await store.close()


def test_console_link_prints_one_url_for_staff_only(tmp_path: Path, database: Database) -> None:
    # On PostgreSQL the staff role is in the database only: a verb that opened the SQLite
    # file instead would find no role and refuse.
    data = tmp_path / "data"
    asyncio.run(_grant(data, 4321, database))
    made = _rcm("console", "link", "4321", data=data, database=database)
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:8088/login/[A-Za-z0-9_-]{43}\n", made.stdout)
    assert not (data / "rcm.sqlite3").exists() or database.kind == "sqlite"
    other = _rcm("console", "link", "9999", data=data, database=database)
    assert (other.returncode, other.stdout) == (2, "")
    assert other.stderr == "rcm: 9999 holds no staff role\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the test reads the 303 itself


def _sign_in(port: int, link: str) -> int:
    """POST the sign-in link to the console; return the HTTP status (303: signed in)."""
    token = link.rsplit("/", 1)[1]
    opener = urllib.request.build_opener(_NoRedirect)
    origin = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(
        f"{origin}/login/{token}", data=b"", method="POST", headers={"Origin": origin}
    )
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_console_serves_until_sigterm(tmp_path: Path, database: Database) -> None:
    # The link is made by one verb and spent on the served console: both must open the
    # same store (PostgreSQL when RCM_DATABASE_URL is set, not an empty SQLite file).
    data = tmp_path / "data"
    asyncio.run(_grant(data, 4321, database))
    link = _rcm("console", "link", "4321", data=data, database=database).stdout.strip()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rcm",
            "--env-file",
            "/dev/null",
            "console",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        env=_env(data, database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status == 0:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/queue", timeout=5)
            except urllib.error.HTTPError as exc:
                status = exc.code  # a page without a session: 401
            except OSError:
                time.sleep(0.05)  # not listening yet: poll again
        assert status == 401
        assert _sign_in(port, link) == 303
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
