"""Settings: one frozen object, loaded and validated once from the environment.

Names are the contract of DESIGN.md. A ``.env``-style file (KEY=value lines) is read first
when given; the real environment wins over it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from relay.channels import Address
from relay.errors import ConfigError

DEFAULT_API_URL = "https://api.telegram.org"
# The Telegram front end's channel (relay.channels.Address), named here because both front
# ends read admin ids from this configuration. It is also the label of the blind index of
# everyone known before channels existed ("tg-user"): it must never change.
TELEGRAM_CHANNEL = "tg"
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process needs to know, validated."""

    bot_token: str | None = None
    telegram_api_url: str = DEFAULT_API_URL
    data_dir: Path = Path("rcm-data")
    key_file: Path | None = None  # None: <data_dir>/keys/master.json
    admin_ids: tuple[int, ...] = ()
    sites_file: Path | None = None
    rules_file: Path | None = None
    # Abuse limits: submissions per family per day and requests per user per minute.
    messages_per_day: int = 10
    requests_per_minute: int = 60
    review_lease_s: int = 900
    # Where staff open the web console (login links point there; https makes cookies Secure).
    console_url: str = "http://127.0.0.1:8088"
    worker_lease_s: int = 15

    @property
    def admin_addresses(self) -> tuple[Address, ...]:
        """The channel addresses of RCM_ADMIN_IDS (Telegram user ids)."""
        return tuple(Address(TELEGRAM_CHANNEL, str(i)) for i in self.admin_ids)

    # None: the SQLite file in the data dir. Kept out of repr: the URL may hold a password.
    database_url: str | None = field(default=None, repr=False)
    vault_url: str | None = field(default=None, repr=False)
    # Shared by the webhook workers behind one URL (each would otherwise make its own).
    webhook_secret: str | None = field(default=None, repr=False)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "rcm.sqlite3"

    @property
    def resolved_key_file(self) -> Path:
        return (
            self.key_file if self.key_file is not None else self.data_dir / "keys" / "master.json"
        )

    @property
    def key_in_data_dir(self) -> bool:
        """Whether the master key sits inside the data folder (a copy of it holds everything)."""
        return self.resolved_key_file.resolve().is_relative_to(self.data_dir.resolve())

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (tests build settings this way)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=value lines (``#`` comments, optional quotes)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"{path}:{number}: expected KEY=value")
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def _int(name: str, raw: str, minimum: int = 1) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}: {value} is below {minimum}")
    return value


def _admin_ids(raw: str) -> tuple[int, ...]:
    ids: list[int] = []
    for part in raw.split(","):
        item = part.strip()
        if not item:
            continue
        # isascii: str.isdigit() also accepts "²", which int() refuses.
        if not (item.isascii() and item.isdigit()) or int(item) == 0:
            raise ConfigError(f"RCM_ADMIN_IDS: {item!r} is not a Telegram user id")
        ids.append(int(item))
    return tuple(ids)


def _loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _existing_file(name: str, raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ConfigError(f"{name}: {raw!r} does not exist or is not a file")
    return path


def _database_url(name: str, raw: str | None) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("postgresql://", "postgres://")):
        # Never echo the value: it may hold a password.
        raise ConfigError(f"{name}: expected a postgresql:// URL")
    if not _port_parses(raw):
        # Named with its password masked: the message lands in terminals and logs.
        masked = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", raw)
        raise ConfigError(
            f"{name}: {masked} has no valid port (a number from 1 to 65535 after the host)"
        )
    return raw


def _port_parses(url: str) -> bool:
    try:
        return (urlsplit(url).port or 0) >= 0
    except ValueError:  # a port that is not a number from 0 to 65535
        return False


def _webhook_secret(raw: str | None) -> str | None:
    # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", raw):
        raise ConfigError("RCM_WEBHOOK_SECRET: 16 to 256 characters of A-Z a-z 0-9 _ -")
    return raw or None


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Build validated settings from the environment (and an optional .env file)."""
    env: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        env.update(read_env_file(env_file))
    env.update(os.environ if environ is None else environ)

    token = env.get("RCM_BOT_TOKEN") or None
    if token is not None and not _TOKEN.match(token):
        raise ConfigError("RCM_BOT_TOKEN: does not look like a bot token (digits:secret)")
    api_url = (env.get("RCM_TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not re.match(r"^https?://[^\s/]+", api_url):
        raise ConfigError(f"RCM_TELEGRAM_API_URL: {api_url!r} is not an http(s) URL")
    if api_url.startswith("http://") and not _loopback(api_url):
        # The URL carries the bot token and every update: in clear only on this machine.
        raise ConfigError(
            f"RCM_TELEGRAM_API_URL: {api_url!r} uses plain http to another machine;"
            " use https (plain http is allowed to 127.0.0.1, ::1 or localhost only)"
        )
    data_dir = Path(env.get("RCM_DATA_DIR") or "rcm-data").expanduser()
    key_file = Path(env["RCM_KEY_FILE"]).expanduser() if env.get("RCM_KEY_FILE") else None
    sites_file = (
        _existing_file("RCM_SITES_FILE", env["RCM_SITES_FILE"])
        if env.get("RCM_SITES_FILE")
        else None
    )
    rules_file = (
        _existing_file("RCM_RULES_FILE", env["RCM_RULES_FILE"])
        if env.get("RCM_RULES_FILE")
        else None
    )
    return Settings(
        bot_token=token,
        telegram_api_url=api_url,
        data_dir=data_dir,
        key_file=key_file,
        admin_ids=_admin_ids(env.get("RCM_ADMIN_IDS", "")),
        sites_file=sites_file,
        rules_file=rules_file,
        messages_per_day=_int("RCM_MESSAGES_PER_DAY", env.get("RCM_MESSAGES_PER_DAY", "10")),
        requests_per_minute=_int(
            "RCM_REQUESTS_PER_MINUTE", env.get("RCM_REQUESTS_PER_MINUTE", "60")
        ),
        review_lease_s=_int("RCM_REVIEW_LEASE_S", env.get("RCM_REVIEW_LEASE_S", "900"), 10),
        console_url=_console_url(env.get("RCM_CONSOLE_URL", "")),
        worker_lease_s=_int("RCM_WORKER_LEASE_S", env.get("RCM_WORKER_LEASE_S", "15"), 2),
        database_url=_database_url("RCM_DATABASE_URL", env.get("RCM_DATABASE_URL")),
        vault_url=_database_url("RCM_VAULT_URL", env.get("RCM_VAULT_URL")),
        webhook_secret=_webhook_secret(env.get("RCM_WEBHOOK_SECRET")),
    )


def _console_url(raw: str) -> str:
    url = (raw or "http://127.0.0.1:8088").rstrip("/")
    if not re.match(r"^https?://[^\s/]+", url):
        raise ConfigError(f"RCM_CONSOLE_URL: {url!r} is not an http(s) URL")
    return url
