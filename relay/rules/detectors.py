"""Detector protocol, the per-check document, and the registry of detectors by name.

A detector is built once from its rule's TOML ``params`` (regexes compiled there) and then
only reads the per-check ``Doc``: detectors hold no per-call state, which is what makes
``RuleEngine.check`` reentrant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from relay.errors import ConfigError
from relay.rules.lexicon import LexHit, Lexicon
from relay.rules.normalize import Normalized

Span = tuple[int, int]
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class Doc:
    """One text being checked: original, normalised view, hints, and a per-call cache."""

    original: str
    norm: Normalized
    lexicon: Lexicon
    lang: str | None = None
    word_limit: int | None = None
    chars_per_word: float = 1.5
    region: str | None = None  # the site's phone region (ISO 3166), if configured
    cache: dict[str, Any] = field(default_factory=dict)
    labels: dict[Span, str] = field(default_factory=dict)  # a detail for a span's finding

    def orig(self, start: int, end: int) -> Span:
        """Map a span of the normalised text to the original text."""
        return self.norm.span(start, end)

    @property
    def has_digit(self) -> bool:
        """Whether the normalised text has any digit: most detectors need one (cheap gate)."""
        v = self.cache.get("digit")
        if v is None:
            v = self.cache["digit"] = _DIGIT.search(self.norm.text) is not None
        return bool(v)

    def tab_gaps(self) -> frozenset[int]:
        """Positions of the normalised text's spaces that stand for a tab in the original."""
        if "\t" not in self.original:
            return frozenset()
        text, norm = self.norm.text, self.norm
        return frozenset(
            i
            for i, c in enumerate(text)
            if c == " " and "\t" in self.original[slice(*norm.span(i, i + 1))]
        )

    def lex_hits(self) -> list[LexHit]:
        """Run the lexicon automaton once per check and share the hits between rules."""
        hits = self.cache.get("lex")
        if hits is None:
            hits = self.lexicon.find(self.norm.text, self.tab_gaps(), self.norm.mixed)
            self.cache["lex"] = hits
        assert isinstance(hits, list)
        return hits


class Detector(Protocol):
    """Finds spans (in the ORIGINAL text) that a rule reports."""

    def find(self, doc: Doc) -> list[Span]:
        """Return spans ``(start, end)`` with ``0 <= start < end <= len(doc.original)``."""
        ...


Factory = Callable[[Mapping[str, Any]], Detector]
REGISTRY: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a detector factory under the name rules use in ``detector = "..."``."""

    def deco(factory: Factory) -> Factory:
        REGISTRY[name] = factory
        return factory

    return deco


def build(name: str, params: Mapping[str, Any]) -> Detector:
    """Build the detector ``name`` from its parameters."""
    # Importing the modules fills the registry; done here to avoid an import cycle.
    from relay.rules import (  # noqa: F401
        detectors_contact,
        detectors_money,
        detectors_print,
        detectors_text,
    )

    try:
        factory = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown detector {name!r}") from None
    try:
        return factory(params)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"detector {name!r}: bad parameters ({exc})") from exc


def regex_spans(doc: Doc, matches: Any, group: int = 0) -> list[Span]:
    """Map regex matches on the normalised text to original spans."""
    out: list[Span] = []
    text = doc.norm.text
    for m in matches:
        s, e = m.span(group)
        while s < e and text[s] == " ":
            s += 1
        while e > s and text[e - 1] == " ":
            e -= 1
        if s < e:
            out.append(doc.orig(s, e))
    return out
