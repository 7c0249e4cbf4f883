"""Shared pieces of the ``rcm`` command line: one-line errors, verbs with examples, checked values.

Every verb is added with ``add_verb`` so that ``rcm --help`` lists its one-line purpose and
``rcm VERB --help`` ends with an example; every refusal is one line on stderr that says what
is wrong and what would be right, and a non-zero exit (never a traceback for a user's mistake).
"""

from __future__ import annotations

import argparse
import errno
import socket
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.i18n.catalog import SUPPORTED as LANGUAGES  # the one list of languages
from relay.settings import Settings

if TYPE_CHECKING:
    from relay.store import Store


class CliError(Exception):
    """A refusal of the command line: its text is printed as ``rcm: <text>`` (exit 2)."""


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line: what is wrong, and where help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def add_verb(sub: Any, name: str, purpose: str, *examples: str) -> argparse.ArgumentParser:
    """Add the verb ``name`` with its one-line ``purpose`` and examples shown under its help."""
    lines = "\n".join(f"  {example}" for example in examples)
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=purpose,
        description=purpose[:1].upper() + purpose[1:] + ".",
        epilog=f"example{'s' if len(examples) > 1 else ''}:\n{lines}" if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def one_of(values: Iterable[str]) -> str:
    """Return ``values`` as a short list for an error line (``ALP, BRV, CDR``)."""
    return ", ".join(values)


def port(text: str) -> int:
    """Parse a TCP port (0 picks a free one)."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (a number from 0 to 65535)")
    return int(text)


def host_port(text: str) -> tuple[str, int]:
    """Parse HOST:PORT (the host may be left out: 127.0.0.1; port 0 picks a free one)."""
    host, sep, number = text.rpartition(":")
    if not sep or not number.isdigit() or not 0 <= int(number) <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (a port from 0 to 65535), e.g. 127.0.0.1:8443"
        )
    return host or "127.0.0.1", int(number)


def check_bindable(host: str, port: int, option: str) -> None:
    """Refuse, before anything starts, an address this machine cannot listen on.

    Tried, not guessed: a port another program holds, or an address that is not this
    machine's, is one line naming the option instead of a traceback deep in a server.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise CliError(f"{option} {host}:{port}: unknown host name") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As the servers do: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen(1)
        except OSError as exc:
            raise CliError(f"{option} {host}:{port}: {_bind_refusal(exc, host)}") from None


def _bind_refusal(exc: OSError, host: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is already in use (another program listens there); choose another"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; use 127.0.0.1 or one of its own"
    if exc.errno == errno.EACCES:
        return "not allowed to listen there (ports below 1024 need privileges); use another"
    return f"cannot listen there ({exc.strerror or type(exc).__name__})"


async def open_store(settings: Settings) -> Store:
    """Open the installation's store as every verb must: PostgreSQL when RCM_DATABASE_URL
    is set (with RCM_VAULT_URL), else the SQLite file in the data folder."""
    from relay.crypto import KeyRing
    from relay.store import Store

    keys = KeyRing.load_or_create(settings.resolved_key_file)
    return await Store.open(
        settings.db_path, keys, url=settings.database_url, vault_url=settings.vault_url
    )


def language(text: str) -> str:
    """Parse a language code the rules and the bot know."""
    code = text.strip().lower()
    if code not in LANGUAGES:
        raise argparse.ArgumentTypeError(
            f"unknown language {text!r}; use one of {one_of(LANGUAGES)}"
        )
    return code


def readable_file(text: str) -> Path:
    """Parse the path of a file that must exist and be readable (not a folder)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return path


def env_file(text: str) -> Path:
    """Parse ``--env-file``: a given file must exist (/dev/null means "read none")."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a KEY=value file")
    if not path.exists():
        raise argparse.ArgumentTypeError(
            f"{text}: no such file (leave --env-file out to read ./.env when there is one)"
        )
    return path


def check_writable(path: Path, option: str = "") -> None:
    """Refuse, before any work, a file that could not be written (tried, not guessed)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the missing folders would be created there
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        where = f"{option} {path}" if option else str(path)
        raise CliError(
            f"{where}: cannot write there; give a file in a folder you can write to"
        ) from None
