"""Time, in one place, so that tests can move it (leases, deadlines, retention)."""

from __future__ import annotations

import datetime as dt


class Clock:
    """The system clock (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FakeClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


def iso(moment: dt.datetime) -> str:
    """Format a moment for storage (UTC, sortable)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> dt.datetime:
    """Parse a stored moment."""
    return dt.datetime.fromisoformat(text)
