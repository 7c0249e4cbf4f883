"""Typed conversation state of one feature, kept in its own sealed row (``relay.conversation``).

Each feature (compose, the review card, a delegate's reply, an invitation) declares a
``Slot`` with its dataclass and its one codec; loading gives a ``Held`` (the value and the
version it was read at) that the feature changes and saves. A save that finds another
version raises ``relay.errors.StaleState``: the handler answers by showing the current step
again, never by overwriting what another update wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from relay import conversation
from relay.store import Store

S = TypeVar("S")


@dataclass
class Held(Generic[S]):
    """A feature's state as read, and the version a save must find."""

    value: S
    version: int


class Slot(Generic[S]):
    """Where one feature keeps its state: its name, its empty value and its codec."""

    def __init__(
        self,
        feature: str,
        empty: Callable[[], S],
        encode: Callable[[S], dict[str, object]],
        decode: Callable[[Fields], S],
    ) -> None:
        self.feature = feature
        self._empty = empty
        self._encode = encode
        self._decode = decode

    def to_bytes(self, value: S) -> bytes:
        """Encode a state (JSON), as it is sealed."""
        return json.dumps(self._encode(value), ensure_ascii=False, sort_keys=True).encode()

    def from_bytes(self, data: bytes) -> S:
        """Decode a state written by ``to_bytes``."""
        return self._decode(Fields.parse(data))

    async def load(self, store: Store, person_id: str) -> Held[S]:
        """Return the person's state of this feature (empty, version 0, when none)."""
        return self.held(await conversation.load(store, person_id, self.feature))

    def held(self, saved: conversation.Saved | None) -> Held[S]:
        """Return the state a saved row holds (empty, version 0, when there is none)."""
        if saved is None:
            return Held(self._empty(), 0)
        return Held(self.from_bytes(saved.data), saved.version)

    async def save(self, store: Store, person_id: str, held: Held[S]) -> None:
        """Write ``held.value`` over the version it was read at; move ``held`` on."""
        data = self.to_bytes(held.value)
        held.version = await conversation.save(
            store, person_id, self.feature, data, version=held.version
        )

    async def clear(self, store: Store, person_id: str, held: Held[S]) -> None:
        """Forget the state read in ``held`` (it becomes empty, version 0)."""
        await conversation.clear(store, person_id, self.feature, version=held.version)
        held.value, held.version = self._empty(), 0


class Fields:
    """The decoded JSON object of a state, read field by field with its type checked.

    A field of the wrong type reads as its empty value: state written by an older version
    of a feature restarts that step rather than failing every update of the person.
    """

    def __init__(self, raw: object) -> None:
        self._raw: dict[str, object] = raw if isinstance(raw, dict) else {}

    @classmethod
    def parse(cls, data: bytes) -> Fields:
        """Read a sealed state's JSON."""
        try:
            return cls(json.loads(data))
        except ValueError:
            return cls({})

    def text(self, key: str, default: str = "") -> str:
        value = self._raw.get(key)
        return value if isinstance(value, str) else default

    def maybe_text(self, key: str) -> str | None:
        value = self._raw.get(key)
        return value if isinstance(value, str) else None

    def number(self, key: str) -> int | None:
        value = self._raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, key: str) -> bool:
        return self._raw.get(key) is True

    def texts(self, key: str) -> list[str]:
        value = self._raw.get(key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def numbers(self, key: str) -> list[int]:
        value = self._raw.get(key)
        if not isinstance(value, list):
            return []
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]

    def maybe_numbers(self, key: str) -> list[int] | None:
        return self.numbers(key) if isinstance(self._raw.get(key), list) else None

    def pairs(self, key: str) -> list[tuple[int, int]]:
        value = self._raw.get(key)
        found: list[tuple[int, int]] = []
        for item in value if isinstance(value, list) else []:
            if isinstance(item, list) and len(item) == 2 and all(isinstance(n, int) for n in item):
                found.append((int(item[0]), int(item[1])))
        return found

    def sub(self, key: str) -> Fields:
        return Fields(self._raw.get(key))

    def subs(self, key: str) -> dict[str, Fields]:
        value = self._raw.get(key)
        if not isinstance(value, dict):
            return {}
        return {str(k): Fields(v) for k, v in value.items()}
