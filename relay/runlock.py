"""A lock file in the data dir: held by a running bot, so that verbs which must not run beside
it (``keys rotate``: the bot keeps its own copy of the key ring) can refuse clearly.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from relay.errors import ConfigError


@contextmanager
def exclusive(data_dir: Path, what: str) -> Iterator[None]:
    """Hold the data dir's lock for the duration, or raise ConfigError if another holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "rcm.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"{what}: another rcm process (the bot?) is using {data_dir}; stop it first"
            ) from None
        yield
    finally:
        os.close(fd)
