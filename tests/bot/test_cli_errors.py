"""`rcm` refuses a user's mistakes in one line, with what would be right, and a non-zero exit.

Also: every verb says what it is for, every option and argument has help, and every verb's
help ends with an example.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rcm.cli import main, parser

MANIFEST_HEAD = "reference,detainee_number,addressee_latin_name,outcome,date"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run rcm in this process; return the exit code, stdout and stderr."""
    try:
        code = main(["--env-file", "/dev/null", *args])
    except SystemExit as exit_:  # argparse refusals
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RCM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def one_line(err: str) -> str:
    """The refusal, which must be one line (a fresh database's log lines included)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def rcm(*args: str, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the real `rcm` as the user does; a verb that hangs fails the test (timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", *args],
        env={**os.environ, "RCM_DATA_DIR": str(data), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield int(other.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["handover", "import", "/nonexistent.csv"],
            "rcm handover import: argument FILE.csv: /nonexistent.csv: no such file"
            " (see `rcm handover import --help`)",
            id="missing-manifest",
        ),
        pytest.param(
            ["handover", "import", "/"],
            "rcm handover import: argument FILE.csv: / is a folder, not a file"
            " (see `rcm handover import --help`)",
            id="manifest-is-a-folder",
        ),
        pytest.param(
            ["rules", "check", "--lang", "zz"],
            "rcm rules check: argument --lang: unknown language 'zz';"
            " use one of en, fr, es, ar, fa, ps, ru, uk, sw, am, ti, so"
            " (see `rcm rules check --help`)",
            id="unknown-language",
        ),
        pytest.param(
            ["sandbox", "--port", "99999"],
            "rcm sandbox: argument --port: '99999' is not a port (a number from 0 to 65535)"
            " (see `rcm sandbox --help`)",
            id="bad-port",
        ),
        pytest.param(
            ["run", "--webhook-url", "https://relay.example.org/tg", "--listen", "nowhere"],
            "rcm run: argument --listen: 'nowhere' is not HOST:PORT (a port from 0 to 65535),"
            " e.g. 127.0.0.1:8443 (see `rcm run --help`)",
            id="bad-listen",
        ),
        pytest.param(
            ["export", "--site", "XXX"],
            "rcm: unknown site XXX; valid codes: ALP, BRV, CDR, DLT",
            id="unknown-export-site",
        ),
        pytest.param(
            ["rules", "check", "--site", "XXX"],
            "rcm: unknown site XXX; valid codes: ALP, BRV, CDR, DLT",
            id="unknown-rules-site",
        ),
        pytest.param(
            ["export", "--site", "ALP", "--batch", "NOPE"],
            "rcm: no batch 'NOPE'; ALP has none yet (ids look like B56626413)",
            id="unknown-batch",
        ),
        pytest.param(
            ["demo", "--out", "/proc/x"],
            "rcm: --out /proc/x: cannot write there (No such file or directory);"
            " give a folder you can write to",
            id="demo-out-unwritable",
        ),
        pytest.param(
            ["export", "--site", "ALP", "--out", "/proc/batch.pdf"],
            "rcm: --out /proc/batch.pdf: cannot write there; give a file in a folder"
            " you can write to",
            id="export-out-unwritable",
        ),
        pytest.param(
            ["backup", "/proc/backup.sqlite3"],
            "rcm: /proc/backup.sqlite3: cannot write there; give a file in a folder"
            " you can write to",
            id="backup-into-a-read-only-place",
        ),
        pytest.param(
            ["console", "--listen", "127.0.0.1:99999"],
            "rcm console: argument --listen: '127.0.0.1:99999' is not HOST:PORT (a port from 0"
            " to 65535), e.g. 127.0.0.1:8443 (see `rcm console --help`)",
            id="console-port-out-of-range",
        ),
        pytest.param(
            ["sandbox", "--host", "192.0.2.1", "--port", "0"],
            "rcm: --host/--port 192.0.2.1:0: 192.0.2.1 is not an address of this machine;"
            " use 127.0.0.1 or one of its own",
            id="sandbox-address-not-here",
        ),
        pytest.param(
            ["console", "--listen", "192.0.2.1:0"],
            "rcm: --listen 192.0.2.1:0: 192.0.2.1 is not an address of this machine;"
            " use 127.0.0.1 or one of its own",
            id="console-address-not-here",
        ),
        pytest.param(
            ["verify", "/nonexistent.pdf"],
            "rcm: no such file: /nonexistent.pdf",
            id="verify-missing-file",
        ),
        pytest.param(
            ["verify", "/"],
            "rcm: / is a folder, not a file; give the batch PDF, its manifest CSV or its .sig",
            id="verify-a-folder",
        ),
        pytest.param(
            ["backup", "/proc/x/backup.sqlite3"],
            "rcm: /proc/x/backup.sqlite3: cannot write there; give a file in a folder"
            " you can write to",
            id="backup-unwritable",
        ),
    ],
)
def test_a_mistake_is_one_line_and_a_non_zero_exit(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert one_line(err) == expected
    assert "Traceback" not in err


def test_an_env_file_that_does_not_exist_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--env-file", "/nope", "sites"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "rcm: argument --env-file: /nope: no such file (leave --env-file out to read ./.env"
        " when there is one) (see `rcm --help`)\n"
    )


def test_a_csv_with_other_columns_names_the_expected_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,result\nRCM-7K3F-9Q2V,ok\n", encoding="utf-8")
    code, _out, err = run(capsys, "handover", "import", str(wrong))
    assert code == 2
    assert one_line(err) == (
        f"rcm: {wrong}: not a manifest: expected the columns {MANIFEST_HEAD}"
        " (found name, result); `rcm export --site CODE --manifest` writes one"
    )


def test_a_manifest_with_nothing_filled_in_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"{MANIFEST_HEAD}\nRCM-7K3F-9Q2V,,Someone,,\n", encoding="utf-8")
    code, _out, err = run(capsys, "handover", "import", str(manifest))
    assert code == 0
    assert err.splitlines()[-1] == "0 recorded, 0 refused, 1 without an outcome yet"


def test_a_refused_manifest_line_says_what_it_should_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"{MANIFEST_HEAD}\nRCM-7K3F-9Q2V,,A,lost,\nRCM-7K3F-9Q2V,,B,transferred:XYZ,\n"
        "nonsense,,C,released,\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "handover", "import", str(manifest))
    assert code == 1
    assert out.splitlines() == [
        "line 2: RCM-7K3F-9Q2V refused: the outcome must be handed_over, released,"
        " transferred:SITE, unknown or refused",
        "line 3: RCM-7K3F-9Q2V refused: transferred:SITE needs a known site code"
        " (ALP, BRV, CDR, DLT)",
        "line 4: nonsense refused: this is not a reference (they look like RCM-7K3F-9Q2V)",
    ]
    assert err.splitlines()[-1] == "0 recorded, 3 refused, 0 without an outcome yet"


def test_a_manifest_with_only_its_header_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"{MANIFEST_HEAD}\n\n", encoding="utf-8")
    code, out, err = run(capsys, "handover", "import", str(manifest))
    assert (code, out) == (2, "")
    assert one_line(err) == (
        f"rcm: {manifest}: no lines under the header: nothing to record (give the manifest"
        " `rcm export --manifest` wrote, its outcome column filled)"
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["sandbox", "--port", "{port}"], id="sandbox"),
        pytest.param(["console", "--listen", "127.0.0.1:{port}"], id="console"),
        pytest.param(
            [
                "run",
                "--webhook-url",
                "https://relay.example.org/tg",
                "--listen",
                "127.0.0.1:{port}",
            ],
            id="run-webhook",
        ),
    ],
)
def test_a_port_in_use_is_one_line_and_the_verb_exits(
    data_dir: Path, taken_port: int, args: list[str]
) -> None:
    argv = [a.format(port=taken_port) for a in args]
    done = rcm(*argv, data=data_dir, RCM_BOT_TOKEN="123:abc")
    option = "--host/--port" if argv[0] == "sandbox" else "--listen"
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line(done.stderr) == (
        f"rcm: {option} 127.0.0.1:{taken_port}: the port is already in use (another program"
        " listens there); choose another"
    )


def test_a_refusal_on_a_fresh_data_folder_is_one_line(data_dir: Path) -> None:
    # In a subprocess: in this process pytest's log capture hides what a terminal shows.
    done = rcm("export", "--site", "ALP", "--batch", "NOPE", data=data_dir)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "rcm: no batch 'NOPE'; ALP has none yet (ids look like B56626413)\n"


def test_a_malformed_database_url_is_named_with_its_password_masked(data_dir: Path) -> None:
    done = rcm(
        "audit", "verify", data=data_dir, RCM_DATABASE_URL="postgresql://u:pw@host:notaport/db"
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line(done.stderr) == (
        "rcm: RCM_DATABASE_URL: postgresql://u:***@host:notaport/db has no valid port"
        " (a number from 1 to 65535 after the host)"
    )


def test_webhook_workers_on_postgresql_need_the_shared_secret(data_dir: Path) -> None:
    # Checked before connecting: the URL points nowhere on purpose.
    done = rcm(
        "run",
        "--webhook-url",
        "https://relay.example.org/tg",
        data=data_dir,
        RCM_BOT_TOKEN="123:abc",
        RCM_DATABASE_URL="postgresql://rcm:pw@127.0.0.1:9/rcm",
        RCM_WEBHOOK_SECRET="",
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line(done.stderr) == (
        "rcm: webhook mode on PostgreSQL needs RCM_WEBHOOK_SECRET, the same in every worker"
        " (e.g. export RCM_WEBHOOK_SECRET=$(openssl rand -hex 32); see README, Deployment)"
    )


def test_verify_says_a_pack_without_its_signature_is_not_genuine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pdf = tmp_path / "batch-ALP-B1.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    code, out, err = run(capsys, "verify", str(pdf))
    assert (code, out) == (1, f"NOT GENUINE: {pdf}\n")
    assert one_line(err) == f"rcm verify: no signature beside it (expected {pdf}.sig)"


def test_rules_check_help_lists_every_supported_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.i18n.catalog import SUPPORTED

    code, out, _err = run(capsys, "rules", "check", "--help")
    assert code == 0
    assert "(en fr es ar fa ps ru uk sw am ti so)" in " ".join(out.split())
    assert len(SUPPORTED) == 12


def test_a_manifest_that_is_not_text_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    code, _out, err = run(capsys, "handover", "import", str(binary))
    assert code == 2
    assert one_line(err) == f"rcm: {binary}: not a UTF-8 text file (expected a manifest CSV)"


def _leaves(p: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, p)]
    found = [(path, p)]
    for name, child in subs[0].choices.items():
        found += _leaves(child, f"{path} {name}")
    return found


def test_every_verb_has_a_purpose_an_example_and_help_on_every_option() -> None:
    verbs = _leaves(parser(), "rcm")
    names = [name for name, _ in verbs]
    for expected in ("rcm demo", "rcm export", "rcm handover import", "rcm rules check"):
        assert expected in names
    for name, p in verbs:
        assert p.description, f"{name}: no one-line purpose"
        assert p.epilog is not None, f"{name}: no example"
        assert "\n  rcm " in p.epilog or "| rcm " in p.epilog or " rcm " in p.epilog, name
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(c.help for c in action._choices_actions), f"{name}: a verb without help"
            else:
                assert action.help, f"{name}: {action.dest} has no help"


def test_the_demo_keeps_info_logs_out_of_its_narration() -> None:
    assert parser().parse_args(["demo"]).log_level == logging.WARNING
    assert not hasattr(parser().parse_args(["sites"]), "log_level")  # WARNING, as every verb


def test_the_servers_keep_their_info_log_and_one_shot_verbs_do_not() -> None:
    levels = {
        verb: getattr(parser().parse_args(verb.split()), "log_level", logging.WARNING)
        for verb in ("run", "sandbox", "console", "console link 1", "export --site ALP")
    }
    assert levels == {
        "run": logging.INFO,
        "sandbox": logging.INFO,
        "console": logging.INFO,
        "console link 1": logging.WARNING,
        "export --site ALP": logging.WARNING,
    }
