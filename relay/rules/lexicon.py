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
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from relay.errors import ConfigError
from relay.rules.normalize import normalize
from relay.rules.views import Joined, join_chain, join_gaps, joined_map, letter_views

LEXICON_CATEGORIES = ("military", "political", "money", "hate")
TIERS = ("strong", "weak")
ALLOW = "allow"
LANGUAGES = ("en", "fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so")

# Letter-spaced words ("w a r", "w.e.a.p.o.n"): at least three single letters separated by
# one or two separator characters.
_SPACED_RE = re.compile(r"(?<![^\W_])(?:[^\W\d_][ .\-_*·/]{1,2}){2,}[^\W\d_](?![^\W_])")


# Joined (split) words: the shortest term matched across a gap, and across a plain space.
_JOIN_MIN = 4
_JOIN_MIN_SPACE = 6
# An Ethiopic character is a whole syllable (ቦምብ "bomb" is three): it weighs two letters, so
# that the short words of Amharic and Tigrinya are looked for across gaps like others.
_SYLLABIC = re.compile(r"[\u1200-\u139f\u2d80-\u2ddf]")
# A gap inside a word other than one space: a dot, hyphen, underscore, middle dot, slash
# or star (a hyphen before a line break is "- " in the matching view).
_GAP_CHAR_RE = re.compile(r"[.\-_·*/]")
_CHAIN_RE = re.compile(r"[^\W\d_]+(?:(?:[.\-_·*/]|- )[^\W\d_]+)+")


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
    split: bool = False  # the term with one space inside ("arti llery"): a split word


@dataclass(frozen=True, slots=True)
class LexHit:
    """A lexicon match on the normalised text; ``spaced`` if found in a letter-spaced run."""

    start: int
    end: int
    category: str
    tier: str
    spaced: bool
    disguised: bool = False  # found only in a letter view or across the gaps of a split word


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
        # A word split by one space (or tab, or line break) is the commonest split: each
        # longer term is also a key with a space at each inner place ("arti llery"), so the
        # ordinary scan finds it; other splits go through the joined view (_scan_joined).
        for core, infos in list(table.items()):
            if len(core) < _JOIN_MIN_SPACE or " " in core:
                continue
            split = [
                replace(t, length=t.length + 1, split=True) for t in infos if t.category != ALLOW
            ]
            for i in range(2, len(core) - 1) if split else ():
                table.setdefault(core[:i] + " " + core[i:], []).extend(split)
        self._automaton: Any = ahocorasick.Automaton()
        for core, infos in table.items():
            self._automaton.add_word(core, tuple(infos))
        # Terms long enough to be looked for across the gaps of split words.
        self._long: Any = ahocorasick.Automaton()
        for core, infos in table.items():
            weight = len(core) + len(_SYLLABIC.findall(core))
            long = tuple(t for t in infos if t.category != ALLOW and weight >= _JOIN_MIN)
            if long:
                self._long.add_word(core, long)
        if table:
            self._automaton.make_automaton()
            if len(self._long):
                self._long.make_automaton()
        self._folds: dict[str, bool] = {}
        self._empty = not table

    def _scan(
        self, text: str, spaced: bool, hits: list[LexHit], allows: list[tuple[int, int]]
    ) -> None:
        for last, infos in self._automaton.iter(text):
            end = last + 1
            for t in infos:
                start = end - t.length
                if spaced and t.length >= 4 and t.category != ALLOW:
                    # A letter-spaced run has lost its word boundaries ("e n v o i e v i a
                    # h a w a l a"): accept longer terms anywhere inside it.
                    hits.append(LexHit(start, end, t.category, t.tier, spaced))
                    continue
                span = _bounded(text, start, end, t)
                if span is None:
                    continue
                if t.category == ALLOW:
                    allows.append(span)
                else:
                    hits.append(LexHit(*span, t.category, t.tier, spaced, t.split))

    def _plausible(self, word: str) -> bool:
        """Whether some term starts like ``word`` (four letters, or all of a shorter word)."""
        v = self._folds.get(word)
        if v is None:
            if len(self._folds) >= 50_000:
                self._folds.clear()  # bounded: words repeat, but not without end
            v = self._folds[word] = bool(self._automaton.longest_prefix(word) >= min(len(word), 4))
        return v

    def _scan_joined(self, view: str, hits: list[LexHit], hard_gaps: frozenset[int]) -> None:
        """Terms spelled across the gaps of split words, starting and ending on word edges.

        One space between pieces is covered by the split keys of the ordinary scan. Other
        gaps ("arti.llery", "artil-<newline>lery", and tabs) are joined here: only the chains
        of pieces around such gaps (the whole text when it has tabs), and only the longer
        terms (their own automaton); a match counts if it crosses a gap and starts and ends
        on word edges of the view.
        """
        if not len(self._long):
            return
        if hard_gaps:
            self._scan_chain(view, 0, len(view), hits, hard_gaps)
            return
        done = 0
        n = len(view)
        for g in _GAP_CHAR_RE.finditer(view):
            p = g.start()
            if p < done or p == 0 or not view[p - 1].isalpha():
                continue
            # "arti.llery", "artil-<newline>lery" (a hyphen and a space), not "well. the"
            q = p + 2 if p + 1 < n and view[p + 1] == " " and view[p] == "-" else p + 1
            if q >= n or not view[q].isalpha():
                continue
            ws = p
            while ws > 0 and view[ws - 1].isalpha():
                ws -= 1
            m = _CHAIN_RE.match(view, ws)
            if m is not None:
                self._scan_chain(view, m.start(), m.end(), hits, hard_gaps)
                done = m.end()

    def _scan_chain(
        self, view: str, s: int, e: int, hits: list[LexHit], hard_gaps: frozenset[int]
    ) -> None:
        chain = view[s:e]
        text = join_gaps(chain) if hard_gaps else join_chain(chain)
        j: Joined | None = None
        for last, infos in self._long.iter(text):
            end = last + 1
            for t in infos:
                start = end - t.length
                if j is None:
                    j = joined_map(chain, frozenset(g - s for g in hard_gaps))
                k0, k1 = j.segment(start), j.segment(end - 1)
                if k0 == k1:
                    continue  # not split: the ordinary scan sees it
                if any(j.plain[k0 + 1 : k1 + 1]) and (
                    t.length < _JOIN_MIN_SPACE
                    or j.jstarts[k0 + 1] - start < 2
                    or end - j.jstarts[k1] < 2
                ):
                    # Short words, or a one-letter word at either end, are too often
                    # ordinary words side by side.
                    continue
                span = _bounded(view, s + j.to_view(start), s + j.to_view(end - 1) + 1, t)
                if span is not None:
                    hits.append(LexHit(*span, t.category, t.tier, False, True))

    def find(
        self, text: str, hard_gaps: frozenset[int] = frozenset(), mixed: bool = False
    ) -> list[LexHit]:
        """Return the category matches in the normalised ``text`` not inside allow phrases.

        Besides the text itself, its letter views (digits and symbols for letters, words of
        look-alike letters) and their joined forms (split words) are scanned; hits found
        only there are ``disguised``. ``hard_gaps`` are positions of spaces that were tabs
        in the original text: a word split by a tab is no pair of ordinary words; ``mixed``
        says that the original text mixed scripts (look for whole words of look-alikes).
        """
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
            hits.extend(
                LexHit(idx[h.start], idx[h.end - 1] + 1, h.category, h.tier, True) for h in sub
            )
        other = [h for h in hits if h.disguised]
        if other:
            hits = [h for h in hits if not h.disguised]
        for view in (text, *letter_views(text, self._plausible, mixed)):
            if view is not text:
                self._scan(view, False, other, allows)
            self._scan_joined(view, other, hard_gaps)
        if not other:
            return self._allowed(hits, allows)
        seen = {(h.start, h.end, h.category, h.tier) for h in hits}
        base = [(h.start, h.end, h.category) for h in hits]
        for h in other:
            key = (h.start, h.end, h.category, h.tier)
            if any(s < h.end and h.start < e and c == h.category for s, e, c in base):
                continue  # "набої в" read as "набоїв": the plain word is already a hit
            if key not in seen:
                seen.add(key)
                hits.append(LexHit(h.start, h.end, h.category, h.tier, h.spaced, True))
        return self._allowed(hits, allows)

    @staticmethod
    def _allowed(hits: list[LexHit], allows: list[tuple[int, int]]) -> list[LexHit]:
        """Drop the hits inside allow phrases."""
        if not allows:
            return hits
        return [h for h in hits if not any(a <= h.start and h.end <= b for a, b in allows)]


def _bounded(text: str, start: int, end: int, t: Term) -> tuple[int, int] | None:
    """Return the word span of a match of ``t`` if its edges fit the term's kind, else None."""
    n = len(text)
    ws = start
    while ws > 0 and _is_word_char(text[ws - 1]):
        ws -= 1
    if ws != start and text[ws:start] not in t.prefixes:
        return None
    we = end
    while we < n and _is_word_char(text[we]):
        we += 1
    if we != end and not t.stem and text[end:we] not in t.suffixes:
        return None
    return ws, we


def _compile_term(
    raw: str,
    *,
    category: str,
    tier: str,
    lang: str,
    prefixes: frozenset[str],
    suffixes: frozenset[str],
    all_terms: bool,
) -> tuple[str, Term]:
    s = raw.strip()
    exact = s.startswith("=")
    affix = s.startswith("~") or (all_terms and not exact)
    s = s.lstrip("=~")
    stem = s.endswith("*")
    core = _norm(s.rstrip("*"))
    if not core:
        raise ConfigError(f"lexicon {lang}: empty term {raw!r} in {category}")
    term = Term(
        category,
        tier,
        lang,
        len(core),
        stem,
        prefixes if affix else frozenset({""}),
        suffixes if affix else frozenset(),
    )
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
                out.append(
                    _compile_term(
                        raw,
                        category=cat,
                        tier=tier,
                        lang=lang,
                        prefixes=prefixes,
                        suffixes=suffixes,
                        all_terms=all_terms,
                    )
                )
    for raw in data.get(ALLOW, {}).get("phrases", []):
        out.append(
            _compile_term(
                raw,
                category=ALLOW,
                tier="",
                lang=lang,
                prefixes=prefixes,
                suffixes=suffixes,
                all_terms=all_terms,
            )
        )
    return out


def extra_terms(
    terms: Mapping[str, Mapping[str, Sequence[str]]], lang: str = "site"
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
                out.append(
                    _compile_term(
                        raw,
                        category=cat,
                        tier=tier,
                        lang=lang,
                        prefixes=frozenset({""}),
                        suffixes=frozenset(),
                        all_terms=False,
                    )
                )
    return out


def load_default_terms(directory: Path | None = None) -> list[tuple[str, Term]]:
    """Load and compile every shipped lexicon (or those in ``directory``)."""
    out: list[tuple[str, Term]] = []
    for lang in LANGUAGES:
        if directory is None:
            raw = (
                resources.files("relay.rules")
                .joinpath(f"lexicons/{lang}.toml")
                .read_text(encoding="utf-8")
            )
        else:
            raw = (directory / f"{lang}.toml").read_text(encoding="utf-8")
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"lexicon {lang}: {exc}") from exc
        out.extend(parse_lexicon(data, lang))
    return out
