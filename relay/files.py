"""Files that hold personal data are their owner's only (mode 0600), whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Create ``path`` (or take an existing one) readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT leaves an existing file's mode as it was
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a file only its owner can read (summaries, backups, exports)."""
    private_file(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
