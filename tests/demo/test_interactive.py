"""`rcm demo --interactive` fed through a pipe answers each line before reading the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FAMILY = "[user 3001, a family (en)] > "


def test_piped_lines_get_their_answers_in_order(tmp_path: Path) -> None:
    # Piped input is read at once: without waiting for each answer the REPL showed none,
    # `:press 1` found no button yet and the reply to a user left by `:user` was only counted.
    lines = ["/start", ":press 1", ":user 3002 fr", "/start", ":quit"]
    done = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "demo", "--interactive"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("RCM_")},
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.split("You are playing user 3001, a family (en).\n", 1)[1]
    assert "no such button" not in out
    # Each answer is printed after the prompt of the line that asked for it, before the next.
    prompts = out.split(FAMILY)
    assert "        [1] I agree\n" in prompts[1]  # the answer to /start
    assert "  bot> First, your own full name" in prompts[2]  # the answer to :press 1
    after_switch = prompts[3].split("You are now playing user 3002, a family (fr).\n", 1)[1]
    assert "        [1] J'accepte\n" in after_switch  # the French /start
