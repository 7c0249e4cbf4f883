"""README.md, followed word by word on a fresh setup: every command it shows that needs no
token runs as written, from a fresh folder with no settings and no data.

The commands are read from the README itself (code blocks and inline code that call
`.venv/bin/rcm`), so a command added there is run here too; the verbs of the command table
must exist with the options the table names.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rcm.cli import parser

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
RCM = ".venv/bin/rcm"


def shown_commands(text: str) -> list[str]:
    """Return the `.venv/bin/rcm` commands of the README, in order, once each."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    prose = re.sub(r"```.*?```", "", text, flags=re.S).replace("\n", " ")
    candidates = [line for block in blocks for line in block.splitlines()]
    candidates += re.findall(r"`([^`]*" + re.escape(RCM) + r"[^`]*)`", prose)
    found: list[str] = []
    for line in candidates:
        for part in re.sub(r"\s+#.*$", "", line).split("&&"):
            if RCM in part and part.strip() not in found:
                found.append(part.strip())
    return found


def placeholder(command: str) -> bool:
    """A command with a value to fill in: <token>, or a word in capitals such as VERB."""
    words = [w for w in command.split() if "=" not in w]
    return "<" in command or any(re.fullmatch(r"[A-Z]+", w) for w in words)


COMMANDS = shown_commands(README)
TO_FILL_IN = [c for c in COMMANDS if placeholder(c)]
RUNNABLE = [c for c in COMMANDS if not placeholder(c)]


def test_the_readme_shows_the_commands_of_the_first_hour() -> None:
    for command in ("demo", "demo --interactive", "sandbox --port 8081", "sites", "--help"):
        assert f"{RCM} {command}" in RUNNABLE
    assert f"RCM_TELEGRAM_API_URL=http://127.0.0.1:8081 RCM_BOT_TOKEN=123:abc {RCM} run" in (
        RUNNABLE
    )
    # The real bot needs a token from @BotFather: those two commands are not run here.
    needs_a_token = [c for c in TO_FILL_IN if "<token" in c]
    assert [c.split()[-1] for c in needs_a_token] == ["run", "run"]
    assert f"{RCM} VERB --help" in TO_FILL_IN


def test_the_prose_never_shows_a_bare_rcm_command() -> None:
    # A bare `rcm ...` typed as written is "command not found": the table shows syntax only.
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    lines = [line for line in prose.splitlines() if not line.startswith("|")]
    assert re.findall(r"`rcm [^`]*`", " ".join(lines)) == []


def test_the_code_blocks_never_show_a_bare_rcm_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    bare = [line for b in blocks for line in b.splitlines() if re.match(r"\s*rcm\b", line)]
    assert bare == []


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A folder like a fresh clone after scripts/setup: .venv, no .env, no data."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    return tmp_path


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RCM_")}


def argv_and_env(command: str) -> tuple[list[str], dict[str, str]]:
    """Split `A=1 B=2 .venv/bin/rcm verb` into its command and its environment."""
    words = shlex.split(command)
    env = clean_env()
    while "=" in words[0] and not words[0].startswith("."):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return words, env


def start(command: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    argv, env = argv_and_env(command)
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: Callable[[], re.Match[str] | None], proc: subprocess.Popen[bytes]) -> str:
    """Wait until ``what`` finds its line (the process must stay alive meanwhile)."""
    deadline = time.monotonic() + 60
    while (found := what()) is None:
        assert proc.poll() is None, "the process ended early"
        assert time.monotonic() < deadline, "the expected line never came"
        time.sleep(0.05)
    return found.group(1)


@contextlib.contextmanager
def stopped_at_the_end(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


PLAIN = [c for c in RUNNABLE if re.search(r" (demo|sandbox|run)\b", c) is None]


@pytest.mark.parametrize("command", PLAIN)
def test_a_plain_command_runs_as_written(fresh: Path, command: str) -> None:
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=fresh,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() != ""
    assert "Traceback" not in result.stderr


def test_the_demo_runs_as_written_and_narrates_alone(fresh: Path) -> None:
    (command,) = [c for c in RUNNABLE if c.endswith(" demo")]
    result = subprocess.run(
        shlex.split(command),
        cwd=fresh,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""  # no log line mixed into the narration
    assert (fresh / "demo-out" / "summary.json").is_file()
    assert result.stdout.splitlines()[-1].endswith(
        ", demo-out/summary.json and demo-out/summary.txt"
    )
    # The demo keeps the batch's signature beside its PDF, as a delegate does after /export.
    (pdf,) = (fresh / "demo-out").glob("batch-*.pdf")
    assert f"rcm verify demo-out/{pdf.name}" in result.stdout.splitlines()[-1]
    verified = subprocess.run(
        [RCM, "verify", f"demo-out/{pdf.name}"],
        cwd=fresh,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (verified.returncode, verified.stderr) == (0, ""), verified.stderr
    assert verified.stdout.startswith("OK: batch B")


def test_the_interactive_demo_says_whom_you_play(fresh: Path) -> None:
    (command,) = [c for c in RUNNABLE if c.endswith(" demo --interactive")]
    result = subprocess.run(
        shlex.split(command),
        cwd=fresh,
        env=clean_env(),
        input=":help\n:quit\n",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "You are playing user 3001, a family (en)." in result.stdout
    assert result.stdout.count("[user 3001, a family (en)] > ") >= 2


def test_the_sandbox_then_the_bot_against_it(fresh: Path) -> None:
    (sandbox,) = [c for c in RUNNABLE if " sandbox " in c]
    (run,) = [c for c in RUNNABLE if c.endswith(" run") and "8081" in c]
    # The README's port may be taken on a shared machine: any free one stands in for it.
    sandbox_log = fresh / "sandbox.log"
    proc = start(sandbox.replace("--port 8081", "--port 0"), fresh, sandbox_log)
    with stopped_at_the_end(proc):
        root = wait_for(
            lambda: re.search(r"listening on (http://127\.0\.0\.1:\d+)", sandbox_log.read_text()),
            proc,
        )
        with urllib.request.urlopen(root + "/", timeout=30) as page:
            assert page.status == 200
            text = io.TextIOWrapper(page, encoding="utf-8").read()
        assert f"{RCM} demo --interactive" in text
        bot_log = fresh / "bot.log"
        bot = start(run.replace("http://127.0.0.1:8081", root), fresh, bot_log)
        with stopped_at_the_end(bot):
            wait_for(lambda: re.search(r"(bot started)", bot_log.read_text()), bot)
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=60) == 0
        assert "Traceback" not in bot_log.read_text()


def table_rows(text: str) -> list[str]:
    section = text.split("## Commands (`rcm`)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(rcm [^`]+)`", section, flags=re.M)


@pytest.mark.parametrize("row", table_rows(README))
def test_each_verb_of_the_table_exists_with_the_options_it_names(
    row: str, capsys: pytest.CaptureFixture[str]
) -> None:
    words = row.split()[1:]
    verb = list(itertools.takewhile(lambda w: re.fullmatch(r"[a-z]+", w), words))
    with pytest.raises(SystemExit) as done:
        parser().parse_args([*verb, "--help"])
    assert done.value.code == 0
    helped = capsys.readouterr().out
    assert "example" in helped
    for option in re.findall(r"--[a-z][a-z0-9-]*", row):
        assert option in helped, f"{row}: {option} is not an option of rcm {' '.join(verb)}"
