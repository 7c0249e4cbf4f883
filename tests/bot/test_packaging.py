"""Catalogs ship inside the package, and the bot refuses to start without one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import app as app_module
from bot.handlers.family import notice
from bot.i18n.catalog import translator
from relay.errors import ConfigError
from relay.settings import Settings
from words import catalog


def test_catalogs_live_inside_the_package() -> None:
    assert catalog.LOCALES_DIR.parent == Path(catalog.__file__).resolve().parent
    assert catalog.missing_catalogs() == []


def test_the_bot_refuses_to_start_when_a_language_has_no_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an installation whose Arabic catalog is missing
    partial = tmp_path / "locales"
    shutil.copytree(catalog.LOCALES_DIR, partial)
    shutil.rmtree(partial / "ar")
    monkeypatch.setattr(catalog, "LOCALES_DIR", partial)
    monkeypatch.setattr(app_module, "LOCALES_DIR", partial)
    # When the bot is built, then it refuses, naming the language
    with pytest.raises(ConfigError) as caught:
        app_module.build_application(Settings(bot_token="123:abc"))
    assert str(caught.value) == f"translations missing for ar in {partial}: reinstall rcm-relay"


# Run inside the fresh virtual environment: the sandbox, the installed bot, one Arabic user.
_DRIVER = """
import asyncio, json, sys, tempfile
from pathlib import Path

import bot
import demo
from bot.app import start_bot
from sandbox import SandboxClient, SandboxServer
from demo.simulate import ScriptedUser
from relay.settings import Settings


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with SandboxServer(port=0) as server:
            async with SandboxClient(server.api_root, bot_id=123456) as client:
                await client.ensure_bot(123456)
                settings = Settings(
                    bot_token="123456:TESTTOKEN",
                    telegram_api_url=server.api_root,
                    data_dir=Path(tmp) / "data",
                )
                running = await start_bot(settings, poll_timeout_s=1)
                try:
                    user = ScriptedUser(client, 4242, "Amal", "ar", timeout=60.0)
                    await user.setup()
                    mark = await user.say("/start")
                    answer = await user.wait_reply(mark)
                finally:
                    await running.stop()
    print(json.dumps({"bot": bot.__file__, "demo": demo.__file__, "text": answer.text}))


asyncio.run(main())
"""


def _source_copy(dest: Path) -> Path:
    root = Path(__file__).resolve().parents[2]
    skip = shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "demo-out"
    )
    shutil.copytree(root, dest, ignore=skip)
    return dest


def _run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_wheel_installed_in_a_fresh_venv_answers_start_in_arabic(tmp_path: Path) -> None:
    # Given a wheel built from the tree (a copy, so the build leaves nothing behind)
    source = _source_copy(tmp_path / "src")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        tmp_path / "dist",
        ".",
        cwd=source,
    )
    (wheel,) = (tmp_path / "dist").glob("rcm_relay-*.whl")
    # And a fresh virtual environment with only that wheel installed (its dependencies come
    # from ours, added behind it on the path: the test must not need the network)
    fresh = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", fresh, cwd=tmp_path)
    python = fresh / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).strip()
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (Path(site) / "_rcm_test_deps.pth").write_text("\n".join(ours) + "\n")
    # When an Arabic user sends /start to the installed bot through the sandbox
    (tmp_path / "driver.py").write_text(_DRIVER)
    out = json.loads(_run(python, tmp_path / "driver.py", cwd=tmp_path).splitlines()[-1])
    # Then the bot that answered is the installed one (the demo/ package shipped beside it),
    # and it answered in Arabic
    assert Path(out["bot"]).is_relative_to(fresh)
    assert Path(out["demo"]).is_relative_to(fresh)
    arabic = translator("ar")
    assert out["text"] == arabic.directed(notice(arabic))
    assert out["text"] != notice(translator("en"))
    title = arabic.gettext("Red Cross messages (RCM)")
    assert title != "Red Cross messages (RCM)"
    assert title in out["text"]
    # And the installed `rcm` command has every verb, the demo's (from demo/) among them
    usage = _run(fresh / "bin" / "rcm", "demo", "--help", cwd=tmp_path)
    assert usage.startswith("usage: rcm demo [-h] [--out OUT] [--interactive]")
