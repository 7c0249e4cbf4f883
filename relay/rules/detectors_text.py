"""Length, long digit runs, code-like text, lexicon keywords and obfuscation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from relay.rules.confusables import n_scripts
from relay.rules.detectors import Doc, Span, register
from relay.rules.normalize import script_of


def _no_space_script(ch: str) -> bool:
    """Return True for letters of scripts written without spaces between words."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3134F
        or 0x0E00 <= o <= 0x0EFF  # Thai, Lao
        or 0x1000 <= o <= 0x109F  # Myanmar
        or 0x1780 <= o <= 0x17FF  # Khmer
    )


_TOKEN_RE = re.compile(r"\S+")


class WordLimitDetector:
    """Words past the site's limit; characters of no-space scripts count 1/chars_per_word."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.chars_per_word = float(params.get("chars_per_word", 0)) or None

    def find(self, doc: Doc) -> list[Span]:
        limit = doc.word_limit
        if limit is None:
            return []
        text = doc.original
        cpw = self.chars_per_word or doc.chars_per_word
        count = 0.0
        over: int | None = None
        last_end = 0
        for m in _TOKEN_RE.finditer(text):
            tok = m.group(0)
            if not any(c.isalnum() for c in tok):
                continue  # a lone dash or emoji is not a word
            last_end = m.end()
            if over is not None:
                continue
            if not any(_no_space_script(c) for c in tok):
                count += 1
                if count > limit:
                    over = m.start()
                continue
            in_word = False
            for i, c in enumerate(tok):
                if unicodedata.category(c) == "Mn":
                    continue  # a Thai vowel sign is part of its letter, not a character more
                if _no_space_script(c):
                    count += 1 / cpw
                    in_word = False
                elif c.isalnum() and not in_word:
                    count += 1
                    in_word = True
                if count > limit + 1e-9:
                    over = m.start() + i
                    break
        if over is None:
            return []
        return [(over, last_end)]


@register("word_limit")
def _word_limit(params: Mapping[str, Any]) -> WordLimitDetector:
    return WordLimitDetector(params)


class DigitRunDetector:
    """Contiguous digit runs of at least ``min_digits`` (after normalisation)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.re = re.compile(r"\d{" + str(int(params.get("min_digits", 7))) + ",}")

    def find(self, doc: Doc) -> list[Span]:
        if not doc.has_digit:
            return []
        return [doc.orig(*m.span()) for m in self.re.finditer(doc.norm.text)]


@register("digit_run")
def _digit_run(params: Mapping[str, Any]) -> DigitRunDetector:
    return DigitRunDetector(params)


_WORD_RE = re.compile(r"[^\W_]+")
_CANDIDATE_RE = re.compile(r"(?<![^\W_])(?:[A-Z0-9]{3,}|[^\W_]*\d[^\W_]*)(?![^\W_])")
_UPPER3_RE = re.compile(r"[A-Z]{3}")
_VOWELS = frozenset("AEIOUY")
_CONSONANT_RUN = re.compile(r"[B-DF-HJ-NP-TV-XZ]{4,}")


def _codeish(raw: str) -> bool:
    """Return True for tokens that look like cipher groups rather than words."""
    tok = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in raw)
    if not tok.isascii() or len(tok) < 3:
        return False
    has_digit = any(c.isdigit() for c in tok)
    has_alpha = any(c.isalpha() for c in tok)
    if has_digit and has_alpha:
        return True
    if has_digit:  # pure number groups, but not years
        return not (len(tok) == 4 and tok[:2] in ("19", "20")) and len(tok) <= 6
    if tok.isupper() and len(tok) >= 3:
        return not (_VOWELS & set(tok)) or bool(_CONSONANT_RUN.search(tok))
    return False


class CodeGroupsDetector:
    """Runs of cipher-like groups ("XK7Q 88AB QRTZ"), or one long random alphanumeric token."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.min_run = int(params.get("min_groups", 3))
        self.long_token = int(params.get("long_token", 10))

    def find(self, doc: Doc) -> list[Span]:
        text = doc.original
        if not doc.has_digit and not _UPPER3_RE.search(text):
            return []  # a candidate has a digit or three capitals (a cheap test first)
        out: list[Span] = []
        run: list[tuple[int, int]] = []

        def close() -> None:
            if len(run) >= self.min_run:
                out.append((run[0][0], run[-1][1]))
            run.clear()

        # Only tokens with a digit or all-caps Latin can be cipher groups; words between
        # two candidates break the run (checked on the gap text).
        for m in _CANDIDATE_RE.finditer(text):
            tok = m.group(0)
            if run and text[run[-1][1] : m.start()].strip(" -.,/:;") != "":
                close()
            if not _codeish(tok):
                close()
                continue
            run.append(m.span())
            if (
                len(tok) >= self.long_token
                and any(c.isdigit() for c in tok)
                and sum(c.isalpha() for c in tok) >= 3
            ):
                out.append(m.span())
        close()
        return sorted(set(out))


@register("code_groups")
def _code_groups(params: Mapping[str, Any]) -> CodeGroupsDetector:
    return CodeGroupsDetector(params)


class LexiconDetector:
    """Lexicon matches of one category and tier (the automaton runs once per check)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.category = str(params["category"])
        self.tier = str(params["tier"])

    def find(self, doc: Doc) -> list[Span]:
        return [
            doc.orig(h.start, h.end)
            for h in doc.lex_hits()
            if h.category == self.category and h.tier == self.tier
        ]


@register("lexicon")
def _lexicon(params: Mapping[str, Any]) -> LexiconDetector:
    return LexiconDetector(params)


class SpacedDetector:
    """Letter-spaced lexicon words ("w a r", "h.a.w.a.l.a"): evidence of evasion."""

    def find(self, doc: Doc) -> list[Span]:
        return sorted({doc.orig(h.start, h.end) for h in doc.lex_hits() if h.spaced})


@register("spaced_letters")
def _spaced(params: Mapping[str, Any]) -> SpacedDetector:
    return SpacedDetector()


# ZWNJ/ZWJ are part of correct spelling in Arabic-script and Indic text.
_JOINERS = frozenset("\u200c\u200d")
_OVERRIDES = frozenset("\u202d\u202e")
_ALPHABETS = frozenset({"latin", "cyrillic", "greek"})


def _word_around(text: str, i: int) -> Span:
    def inside(c: str) -> bool:
        return (
            c.isalnum()
            or c in _JOINERS
            or c in "\u200b\u00ad\u2060\ufeff\u200e\u200f"
            or unicodedata.category(c)[0] == "M"
        )

    s = i
    while s > 0 and inside(text[s - 1]):
        s -= 1
    e = i + 1
    while e < len(text) and inside(text[e]):
        e += 1
    return s, e


class InvisibleDetector:
    """Invisible or bidi control characters inside a word; bidi overrides anywhere."""

    def find(self, doc: Doc) -> list[Span]:
        text = doc.original
        out: set[Span] = set()
        inv = doc.norm.invisible
        invisible = set(inv)
        # Neighbours of each invisible char, skipping runs of invisibles (and combining
        # marks before it), computed in one pass each way so that long runs stay linear.
        prev: dict[int, int] = {}
        for i in inv:
            if i - 1 in invisible:
                prev[i] = prev[i - 1]
                continue
            p = i - 1
            while p >= 0 and unicodedata.category(text[p])[0] == "M":
                p -= 1
            prev[i] = prev[p] if p in invisible else p
        nxt: dict[int, int] = {}
        for i in reversed(inv):
            nxt[i] = nxt[i + 1] if i + 1 in invisible else i + 1
        covered = -1  # end of the last word reported: one finding per word
        for i in inv:
            ch = text[i]
            if ch in _OVERRIDES:
                out.add((i, i + 1))
                continue
            p, n = prev[i], nxt[i]
            if p < 0 or n >= len(text):
                continue
            before, after = text[p], text[n]
            if not (before.isalpha() and after.isalpha()):
                continue
            scripts = {script_of(before), script_of(after)}
            if ch == "\u200c" and scripts - _ALPHABETS:
                continue  # ZWNJ: Persian spelling (می‌روم), Indic conjuncts
            if ch == "\u200d" and scripts - _ALPHABETS - {"arabic"}:
                continue  # ZWJ: Indic conjuncts; inside an Arabic word it only hides
            if i < covered:
                continue
            span = _word_around(text, i)
            covered = span[1]
            out.add(span)
        return sorted(out)


@register("invisible")
def _invisible(params: Mapping[str, Any]) -> InvisibleDetector:
    return InvisibleDetector()


_WORD_OR_MARK_RE = re.compile(r"[^\W_]+")


class MixedScriptDetector:
    """Words mixing letters of two scripts (look-alike substitution), by Unicode's scripts."""

    def find(self, doc: Doc) -> list[Span]:
        text = doc.original
        if not doc.norm.mixed_words:
            return []
        return [m.span() for m in _WORD_OR_MARK_RE.finditer(text) if _mixed(m.group(0))]


_MIXED_CACHE: dict[str, bool] = {}


def _mixed(word: str) -> bool:
    if word.isascii():
        return False
    v = _MIXED_CACHE.get(word)
    if v is None:
        if len(_MIXED_CACHE) >= 50_000:
            _MIXED_CACHE.clear()  # bounded: words repeat, but not without end
        v = _MIXED_CACHE[word] = n_scripts(word) > 1
    return v


@register("mixed_script")
def _mixed_script(params: Mapping[str, Any]) -> MixedScriptDetector:
    return MixedScriptDetector()


class DisguisedDetector:
    """Lexicon words disguised with digits or symbols for letters, look-alikes, or splits."""

    def find(self, doc: Doc) -> list[Span]:
        return sorted({doc.orig(h.start, h.end) for h in doc.lex_hits() if h.disguised})


@register("disguised")
def _disguised(params: Mapping[str, Any]) -> DisguisedDetector:
    return DisguisedDetector()
