"""Callback data codec: ``area:verb:arg`` (at most 64 bytes), parsed strictly.

Anything that does not parse is treated as forged and answered, never acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^[A-Za-z0-9_.\-]{0,40}$")
AREAS = frozenset(
    {"lang", "consent", "new", "msg", "rev", "adm", "del", "clm", "link", "forget", "nav"}
)


@dataclass(frozen=True, slots=True)
class Callback:
    area: str
    verb: str
    arg: str = ""

    def encode(self) -> str:
        data = f"{self.area}:{self.verb}:{self.arg}"
        if len(data.encode()) > 64:
            raise ValueError("callback data over 64 bytes")
        return data


def cb(area: str, verb: str, arg: str = "") -> str:
    """Return encoded callback data."""
    return Callback(area, verb, arg).encode()


def parse(data: str | None) -> Callback | None:
    """Return the callback, or None for anything malformed or unknown."""
    if not data or len(data.encode()) > 64:
        return None
    parts = data.split(":")
    if len(parts) != 3:
        return None
    area, verb, arg = parts
    if area not in AREAS or not verb or not all(_PART.match(p) for p in parts):
        return None
    return Callback(area, verb, arg)
