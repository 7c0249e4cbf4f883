"""`rcm run` as a process, configured only by environment, against a Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from demo.simulate import AddresseeForm, ScriptedUser
from sandbox import SandboxClient, SandboxServer

STANDARD_METHODS = {
    "getme",
    "getupdates",
    "deletewebhook",
    "setmycommands",
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "answercallbackquery",
    "sendphoto",
    "senddocument",
    "getfile",
    "deletemessage",
    "sendchataction",
}


async def test_rcm_run_serves_a_family_and_stops_cleanly(tmp_path: Path) -> None:
    async with SandboxServer(port=0) as sandbox, SandboxClient(sandbox.api_root) as client:
        # Given `rcm run` started with nothing but environment variables
        env = {
            **os.environ,
            "RCM_TELEGRAM_API_URL": sandbox.api_root,
            "RCM_BOT_TOKEN": "123:abc",
            "RCM_DATA_DIR": str(tmp_path / "data"),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rcm",
            "run",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await client.ensure_bot(123)
            family = ScriptedUser(client, 8101, "Ivan", "ru", timeout=30)
            # When a family writes a message
            await family.onboard("Иван Петров", "Ivan Petrov")
            reference = await family.write(
                AddresseeForm(full_name="Pavel Petrov", site_code="BRV"), "Мы все здоровы."
            )
            assert reference.startswith("RCM-")
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
        # Then it stopped cleanly, called only standard Bot API methods, and logged no token
        assert proc.returncode == 0, output.decode()[-2000:]
        called = {name.lower() for name in (await client.counters())["requests"]}
        assert called <= STANDARD_METHODS, called - STANDARD_METHODS
        assert b"123:abc" not in output
        assert "Иван".encode() not in output
