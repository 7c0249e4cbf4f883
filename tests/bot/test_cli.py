"""The `rcm` verbs that need no bot: sites, rules check, backup, audit verify, keys rotate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def rcm(
    *args: str, data: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RCM_DATA_DIR": str(data), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sites_lists_the_default_sites(tmp_path: Path) -> None:
    result = rcm("sites", data=tmp_path)
    assert result.returncode == 0
    codes = [line.split()[0] for line in result.stdout.splitlines()]
    assert codes == ["ALP", "BRV", "CDR", "DLT"]


def test_rules_check_prints_findings_as_json(tmp_path: Path) -> None:
    result = rcm(
        "rules", "check", "--lang", "fa", data=tmp_path, stdin="شماره من ۰۹۱۲ ۳۴۵ ۶۷۸۹ است"
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert [f["rule_id"] for f in findings] == ["contact.phone"]
    assert findings[0]["matched"] == "۰۹۱۲ ۳۴۵ ۶۷۸۹"


_IRAQ_SITE = """
[[site]]
code = "IRQ"
name = "Iraq Site"
country = "Iraq"
country_code = "IQ"
languages = ["ar"]
"""


def test_rules_check_reads_phone_numbers_by_the_sites_country(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(_IRAQ_SITE, encoding="utf-8")
    env = {"RCM_SITES_FILE": str(sites)}
    got = rcm(
        "rules", "check", "--site", "IRQ", data=tmp_path, stdin="call 0770 123 4567", env=env
    )
    assert got.returncode == 0, got.stderr
    assert [f.get("detail") for f in json.loads(got.stdout)] == ["IQ +9647701234567"]
    room = rcm("rules", "check", "--site", "IRQ", data=tmp_path, stdin="Room 123456789", env=env)
    assert [f["rule_id"] for f in json.loads(room.stdout)] == ["code.digits"]


def test_backup_verify_rotate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert rcm("audit", "verify", data=data).stdout.strip() == "audit log intact: 0 entries"
    backup = tmp_path / "b.sqlite3"
    assert rcm("backup", str(backup), data=data).returncode == 0
    assert backup.stat().st_size > 0
    rotated = rcm("keys", "rotate", data=data)
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    assert report["new_key_id"] == "m2"
    assert report["retired"] == ["m1"]
    assert rcm("audit", "verify", data=data).stdout.strip() == "audit log intact: 1 entries"


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "RCM_DATA_DIR": str(tmp_path), "RCM_ADMIN_IDS": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "sites"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "rcm: RCM_ADMIN_IDS: 'abc' is not a Telegram user id"


def test_run_against_an_unreachable_api_says_so_and_exits(tmp_path: Path) -> None:
    # Regression: a failed start left the database connection open and the process hung.
    env = {
        **os.environ,
        "RCM_DATA_DIR": str(tmp_path),
        "RCM_BOT_TOKEN": "123:abc",
        "RCM_TELEGRAM_API_URL": "http://127.0.0.1:1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1] == (
        "rcm: the Bot API refused or could not be reached"
        " (network error: check RCM_TELEGRAM_API_URL and the connection)"
    )
    assert "123:abc" not in result.stderr


def test_run_warns_once_when_the_master_key_sits_in_the_data_folder(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RCM_BOT_TOKEN": "123:abc",
        "RCM_TELEGRAM_API_URL": "http://127.0.0.1:1",
    }
    warning = "the master key ({}) is inside the data folder"
    inside = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "run"],
        env={**env, "RCM_DATA_DIR": str(tmp_path / "a")},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    key = tmp_path / "a" / "keys" / "master.json"
    lines = [line for line in inside.stderr.splitlines() if warning.format(key) in line]
    assert len(lines) == 1, inside.stderr
    assert lines[0].endswith(
        "whoever copies the folder can read everything; set RCM_KEY_FILE to a path elsewhere"
        " (see README, Deployment)"
    )
    apart = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "run"],
        env={**env, "RCM_DATA_DIR": str(tmp_path / "b"), "RCM_KEY_FILE": str(tmp_path / "k.json")},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert apart.returncode == 3
    assert "master key" not in apart.stderr


def test_plain_http_to_another_machine_stops_rcm_with_a_clear_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "RCM_DATA_DIR": str(tmp_path), "RCM_TELEGRAM_API_URL": "http://10.1.2.3"}
    result = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "sites"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "rcm: RCM_TELEGRAM_API_URL: 'http://10.1.2.3' uses plain http to another machine;"
        " use https (plain http is allowed to 127.0.0.1, ::1 or localhost only)"
    )
