"""Settings: every RCM_* name, the exact error texts, and the .env file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relay.errors import ConfigError
from relay.settings import DEFAULT_API_URL, Settings, load_settings, read_env_file

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_with_an_empty_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.bot_token is None
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.data_dir == Path("rcm-data")
    assert settings.db_path == Path("rcm-data/rcm.sqlite3")
    assert settings.resolved_key_file == Path("rcm-data/keys/master.json")
    assert settings.exports_dir == Path("rcm-data/exports")
    assert settings.admin_ids == ()
    assert (settings.messages_per_day, settings.requests_per_minute) == (10, 60)
    assert settings.review_lease_s == 900


def test_every_name_is_parsed(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text("[[site]]\ncode='X1'\nname='X'\n", encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text("", encoding="utf-8")
    settings = load_settings(
        {
            "RCM_BOT_TOKEN": TOKEN,
            "RCM_TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "RCM_DATA_DIR": str(tmp_path / "d"),
            "RCM_KEY_FILE": str(tmp_path / "k.json"),
            "RCM_ADMIN_IDS": " 11, 22 ,,33",
            "RCM_SITES_FILE": str(sites),
            "RCM_RULES_FILE": str(rules),
            "RCM_MESSAGES_PER_DAY": "3",
            "RCM_REQUESTS_PER_MINUTE": "7",
            "RCM_REVIEW_LEASE_S": "10",
        }
    )
    assert settings.bot_token == TOKEN
    assert settings.telegram_api_url == "http://127.0.0.1:8081"  # trailing slash dropped
    assert settings.data_dir == tmp_path / "d"
    assert settings.db_path == tmp_path / "d" / "rcm.sqlite3"
    assert settings.key_file == tmp_path / "k.json"
    assert settings.resolved_key_file == tmp_path / "k.json"
    assert settings.admin_ids == (11, 22, 33)
    assert settings.sites_file == sites
    assert settings.rules_file == rules
    assert settings.messages_per_day == 3
    assert settings.requests_per_minute == 7
    assert settings.review_lease_s == 10


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"RCM_ADMIN_IDS": "abc"}, "RCM_ADMIN_IDS: 'abc' is not a Telegram user id"),
        ({"RCM_ADMIN_IDS": "12,-5"}, "RCM_ADMIN_IDS: '-5' is not a Telegram user id"),
        ({"RCM_ADMIN_IDS": "0"}, "RCM_ADMIN_IDS: '0' is not a Telegram user id"),
        # Regression: "²" passed str.isdigit() and crashed int() with a ValueError.
        ({"RCM_ADMIN_IDS": "²"}, "RCM_ADMIN_IDS: '²' is not a Telegram user id"),
        (
            {"RCM_BOT_TOKEN": "not-a-token"},
            "RCM_BOT_TOKEN: does not look like a bot token (digits:secret)",
        ),
        (
            {"RCM_TELEGRAM_API_URL": "ftp://example.org"},
            "RCM_TELEGRAM_API_URL: 'ftp://example.org' is not an http(s) URL",
        ),
        ({"RCM_MESSAGES_PER_DAY": "ten"}, "RCM_MESSAGES_PER_DAY: 'ten' is not a whole number"),
        ({"RCM_MESSAGES_PER_DAY": "0"}, "RCM_MESSAGES_PER_DAY: 0 is below 1"),
        (
            {"RCM_REQUESTS_PER_MINUTE": "1.5"},
            "RCM_REQUESTS_PER_MINUTE: '1.5' is not a whole number",
        ),
        ({"RCM_REVIEW_LEASE_S": "9"}, "RCM_REVIEW_LEASE_S: 9 is below 10"),
        (
            {"RCM_SITES_FILE": "/nonexistent/sites.toml"},
            "RCM_SITES_FILE: '/nonexistent/sites.toml' does not exist or is not a file",
        ),
        (
            {"RCM_RULES_FILE": "/nonexistent/rules.toml"},
            "RCM_RULES_FILE: '/nonexistent/rules.toml' does not exist or is not a file",
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else "",
)
def test_invalid_values_name_the_setting(env: dict[str, str], error: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(error)}$"):
        load_settings(env)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        "\n"
        f"RCM_BOT_TOKEN='{TOKEN}'\n"
        'export RCM_DATA_DIR="/srv/rcm"\n'
        "RCM_MESSAGES_PER_DAY = 4\n"
        "RCM_ADMIN_IDS=5\n",
        encoding="utf-8",
    )
    assert read_env_file(env_file) == {
        "RCM_BOT_TOKEN": TOKEN,
        "RCM_DATA_DIR": "/srv/rcm",
        "RCM_MESSAGES_PER_DAY": "4",
        "RCM_ADMIN_IDS": "5",
    }
    settings = load_settings({"RCM_ADMIN_IDS": "6,7"}, env_file=env_file)
    assert settings.bot_token == TOKEN
    assert settings.data_dir == Path("/srv/rcm")
    assert settings.messages_per_day == 4
    assert settings.admin_ids == (6, 7)  # the environment wins over the file


def test_missing_env_file_is_ignored(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / "absent.env") == Settings()


def test_env_file_line_without_equals_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("RCM_DATA_DIR=x\nnonsense\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(env_file))}:2: expected KEY=value$"):
        load_settings({}, env_file=env_file)


def test_settings_are_frozen_and_overridden_by_copy() -> None:
    base = Settings()
    changed = base.with_overrides(messages_per_day=2)
    assert (base.messages_per_day, changed.messages_per_day) == (10, 2)
    with pytest.raises(AttributeError):
        base.messages_per_day = 3  # type: ignore[misc]
