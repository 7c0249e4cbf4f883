"""A throwaway PostgreSQL cluster: a temporary folder, a free loopback port, stopped at the end.

Used by the tests (a session fixture in tests/conftest.py) and the benchmarks. Nothing is
assumed to be running: Debian's binaries (``/usr/lib/postgresql/<v>/bin``; ``apt-get install
postgresql`` where missing, see scripts/test) start a private cluster. PostgreSQL refuses to
run as root, so when the tests run as root the cluster belongs to ``nobody``.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "rcm"


def find_bin_dir() -> Path | None:
    """Return the newest PostgreSQL bin folder with initdb and pg_ctl, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running private cluster; ``url(name)`` for a database on it."""

    root: Path
    bin_dir: Path
    port: int
    password: str
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql (over TCP, with the password) and return its output."""
        return self._run(
            [
                str(self.bin_dir / "psql"),
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
                self.url(database),
            ],
        )

    def _run(self, argv: list[str]) -> str:
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120).stdout

    def create_database(self, prefix: str = "t") -> tuple[str, str]:
        """Create a fresh data database and its vault database; return both URLs."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        self.psql(f"CREATE DATABASE {name}_vault")
        return self.url(name), self.url(f"{name}_vault")

    def dump(self, database: str) -> bytes:
        """``pg_dump`` of one database (plain SQL)."""
        return subprocess.run(
            [str(self.bin_dir / "pg_dump"), "--no-owner", self.url(database)],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout

    def stop(self) -> None:
        _as_owner(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _as_owner(argv: list[str], *, check: bool = True) -> None:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "nobody", "--", *argv]
    subprocess.run(argv, check=check, capture_output=True, timeout=120)


def start_cluster() -> Cluster:
    """Create and start a cluster; raise RuntimeError when PostgreSQL is not installed."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install -y postgresql (scripts/test does it)"
        )
    root = Path(tempfile.mkdtemp(prefix="rcm-pg-"))
    password = secrets.token_hex(12)
    (root / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        shutil.chown(root / "pw", "nobody")
    os.chmod(root, 0o700)
    _as_owner(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            USER,
            "-E",
            "UTF8",
            "--no-locale",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={root / 'pw'}",
        ]
    )
    (root / "pw").unlink()
    port = _free_port()
    options = (
        f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
    )
    _as_owner(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    return Cluster(root, bin_dir, port, password)
