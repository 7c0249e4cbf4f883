"""The bot loads the language model at start, in the background, and is ready before it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# A fresh process (nothing loaded yet): start the bot on the sandbox, then wait for the model.
_DRIVER = """
import asyncio, json, tempfile
from pathlib import Path

from bot.app import start_bot
from relay import langdetect
from relay.settings import Settings
from sandbox import SandboxClient, SandboxServer


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
                    ready_at_start = langdetect.is_ready()
                    assert running.langs is not None
                    filled = await asyncio.wait_for(running.langs, 300)
                    ready_after = langdetect.is_ready()
                finally:
                    await running.stop()
    print(json.dumps({"at_start": ready_at_start, "after": ready_after, "filled": filled}))


asyncio.run(main())
"""


def test_the_bot_is_ready_before_the_model_and_loads_it_without_a_first_text(
    tmp_path: Path,
) -> None:
    (tmp_path / "driver.py").write_text(_DRIVER)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    # start_bot did not wait for the model; the model was then loaded with no text submitted
    assert out == {"at_start": False, "after": True, "filled": 0}
