"""Keyword lexicons: pattern syntax, loading, and one Aho-Corasick automaton over all terms.

Pattern syntax (one string per term in ``lexicons/<lang>.toml``; the same normalisation as
the messages is applied to terms, so write them in ordinary spelling):

- ``word``        the whole word exactly (boundaries: any character that is not a letter
                  or digit after normalisation); several words separated by one space match
                  across any run of white space.
- ``stem*``       the stem followed by any letters of the same word (``войн*`` matches
                  войны, войной, войнам...).
- ``~word``       the word with one of the language's prefixes and/or suffixes declared in
                  the ``[affixes]`` table (Arabic/Persian clitics: وال+حرب+ها).
- ``=word``       exactly the word, even where ``[affixes] all_terms = true`` gives every
                  plain term the affixes (short Arabic words whose affixed forms collide
                  with ordinary words).
- ``~`` and ``*`` combine: ``~stem*``.

Each category table has two tiers: ``strong`` (the rule set maps it to ``block``) and
``weak`` (``flag``). The ``[allow]`` table lists ``phrases`` (same syntax) inside which a
category match is suppressed: "toy soldiers", "salvation army", "army of ants".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from relay.errors import ConfigError
from relay.rules.normalize import normalize

LEXICON_CATEGORIES = ("military", "political", "money", "hate")
TIERS = ("strong", "weak")
ALLOW = "allow"
LANGUAGES = ("en", "fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so")

# Letter-spaced words ("w a r", "w.e.a.p.o.n"): at least three single letters separated by
# one or two separator characters.
_SPACED_RE = re.compile(r"(?<![^\W_])(?:[^\W\d_][ .\-_*·/]{1,2}){2,}[^\W\d_](?![^\W_])")


@dataclass(frozen=True, slots=True)
class Term:
    """One compiled lexicon term."""

    category: str  # a lexicon category or "allow"
    tier: str  # "strong", "weak" ("" for allow phrases)
    lang: str
    length: int  # length of the normalised core string
    stem: bool
    prefixes: frozenset[str]
    suffixes: frozenset[str]


@dataclass(frozen=True, slots=True)
class LexHit:
    """A lexicon match on the normalised text; ``spaced`` if found in a letter-spaced run."""

    start: int
    end: int
    category: str
    tier: str
    spaced: bool


def _norm(term: str) -> str:
    return normalize(term).text.strip()


def _is_word_char(c: str) -> bool:
    return c.isalnum()


class Lexicon:
    """All terms of all languages in one automaton, built once; ``find`` is reentrant."""

    def __init__(self, terms: Iterable[tuple[str, Term]]) -> None:
        table: dict[str, list[Term]] = {}
        for core, term in terms:
            table.setdefault(core, []).append(term)
        self.size = sum(1 for v in table.values() for t in v if t.category != ALLOW)
        self._automaton: Any = ahocorasick.Automaton()
        for core, infos in table.items():
            self._automaton.add_word(core, tuple(infos))
        if table:
            self._automaton.make_automaton()
        self._empty = not table

    def _scan(self, text: str, spaced: bool, hits: list[LexHit], allows: list[tuple[int, int]]
              ) -> None:
        n = len(text)
        for last, infos in self._automaton.iter(text):
            end = last + 1
            for t in infos:
                start = end - t.length
                if spaced and t.length >= 4 and t.category != ALLOW:
                    # A letter-spaced run has lost its word boundaries ("e n v o i e v i a
                    # h a w a l a"): accept longer terms anywhere inside it.
                    hits.append(LexHit(start, end, t.category, t.tier, spaced))
                    continue
                ws = start
                while ws > 0 and _is_word_char(text[ws - 1]):
                    ws -= 1
                if ws != start and text[ws:start] not in t.prefixes:
                    continue
                we = end
                while we < n and _is_word_char(text[we]):
                    we += 1
                if we != end and not t.stem and text[end:we] not in t.suffixes:
                    continue
                if t.category == ALLOW:
                    allows.append((ws, we))
                else:
                    hits.append(LexHit(ws, we, t.category, t.tier, spaced))

    def find(self, text: str) -> list[LexHit]:
        """Return the category matches in the normalised ``text`` not inside allow phrases."""
        if self._empty:
            return []
        hits: list[LexHit] = []
        allows: list[tuple[int, int]] = []
        self._scan(text, False, hits, allows)
        for m in _SPACED_RE.finditer(text):
            # Collapse the run to its letters and map each letter back to the text.
            idx = [m.start() + i for i, c in enumerate(m.group(0)) if c.isalpha()]
            collapsed = "".join(text[i] for i in idx)
            sub: list[LexHit] = []
            self._scan(collapsed, True, sub, [])
            hits.extend(LexHit(idx[h.start], idx[h.end - 1] + 1, h.category, h.tier, True)
                        for h in sub)
        if allows:
            hits = [h for h in hits
                    if not any(a <= h.start and h.end <= b for a, b in allows)]
        return hits


def _compile_term(raw: str, *, category: str, tier: str, lang: str,
                  prefixes: frozenset[str], suffixes: frozenset[str], all_terms: bool
                  ) -> tuple[str, Term]:
    s = raw.strip()
    exact = s.startswith("=")
    affix = s.startswith("~") or (all_terms and not exact)
    s = s.lstrip("=~")
    stem = s.endswith("*")
    core = _norm(s.rstrip("*"))
    if not core:
        raise ConfigError(f"lexicon {lang}: empty term {raw!r} in {category}")
    term = Term(category, tier, lang, len(core), stem,
                prefixes if affix else frozenset({""}), suffixes if affix else frozenset())
    return core, term


def parse_lexicon(data: Mapping[str, Any], lang: str) -> list[tuple[str, Term]]:
    """Compile one lexicon file's data into (normalised core, term) pairs."""
    aff = data.get("affixes", {})
    prefixes = frozenset(_norm(p) for p in aff.get("prefixes", [])) | {""}
    suffixes = frozenset(_norm(p) for p in aff.get("suffixes", []))
    all_terms = bool(aff.get("all_terms", False))
    out: list[tuple[str, Term]] = []
    for cat in LEXICON_CATEGORIES:
        table = data.get(cat, {})
        for tier in TIERS:
            for raw in table.get(tier, []):
                out.append(_compile_term(raw, category=cat, tier=tier, lang=lang,
                                         prefixes=prefixes, suffixes=suffixes,
                                         all_terms=all_terms))
    for raw in data.get(ALLOW, {}).get("phrases", []):
        out.append(_compile_term(raw, category=ALLOW, tier="", lang=lang, prefixes=prefixes,
                                 suffixes=suffixes, all_terms=all_terms))
    return out


def extra_terms(terms: Mapping[str, Mapping[str, Sequence[str]]], lang: str = "site"
                ) -> list[tuple[str, Term]]:
    """Compile a site's added terms ``{category: {tier: [terms]}}`` (no affixes)."""
    out: list[tuple[str, Term]] = []
    for cat, tiers in terms.items():
        if cat not in LEXICON_CATEGORIES:
            raise ConfigError(f"unknown lexicon category {cat!r} in site terms")
        for tier, words in tiers.items():
            if tier not in TIERS:
                raise ConfigError(f"unknown tier {tier!r} in site terms (strong or weak)")
            for raw in words:
                out.append(_compile_term(raw, category=cat, tier=tier, lang=lang,
                                         prefixes=frozenset({""}), suffixes=frozenset(),
                                         all_terms=False))
    return out


def load_default_terms(directory: Path | None = None) -> list[tuple[str, Term]]:
    """Load and compile every shipped lexicon (or those in ``directory``)."""
    out: list[tuple[str, Term]] = []
    for lang in LANGUAGES:
        if directory is None:
            raw = resources.files("relay.rules").joinpath(f"lexicons/{lang}.toml").read_text(
                encoding="utf-8")
        else:
            raw = (directory / f"{lang}.toml").read_text(encoding="utf-8")
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"lexicon {lang}: {exc}") from exc
        out.extend(parse_lexicon(data, lang))
    return out
