"""Precision and recall per category over the labelled corpus (tests/relay/rules/corpus)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import NotRequired, TypedDict

import pytest

from relay.rules import Category, RuleEngine
from relay.rules.lexicon import LANGUAGES
from tests.relay.rules.conftest import CORPUS_REPORT

CORPUS = Path(__file__).parent / "corpus"

# Floors set from the corpus as it stands (see the printed figures), with headroom for a
# few regressions to show up as failures rather than drift. The corpus was written while
# calibrating the lexicons, so these figures are optimistic for unseen text.
FLOORS: dict[str, tuple[float, float]] = {  # category: (precision, recall)
    "contact": (0.95, 0.95),
    "money": (0.95, 0.95),
    "coordinates": (0.95, 0.95),
    "code": (0.90, 0.90),
    "military": (0.90, 0.95),
    "political": (0.90, 0.95),
    "hate": (0.90, 0.95),
    "obfuscation": (0.90, 0.90),
    "unprintable": (0.95, 0.95),  # what no shipped font prints (emoji, Armenian, Cherokee...)
}
MIN_MESSAGES = 600
# The languages the evasion rows were written in: every language the bot speaks.
EVASION_LANGUAGES = set(LANGUAGES)
LATIN_OR_CYRILLIC = {"en", "fr", "es", "ru", "uk", "sw", "so"}
# Evasions (evasion.jsonl, field "trick"): each trick must be caught, in every language where
# it applies, at this recall: the message gets the category it hides (block or redact), not
# only an obfuscation flag.
EVASION_RECALL = 0.95
TRICKS_BY_LANG = {
    # Digits and symbols for letters, and letters of another script that look Latin or
    # Cyrillic: tricks of alphabets with such twins. Arabic-script look-alikes are the
    # presentation forms; Ethiopic syllables have no look-alikes a keyboard offers.
    "leet": LATIN_OR_CYRILLIC,
    "split": EVASION_LANGUAGES,  # tab, hyphen + line break, dot, single space inside a word
    "lookalike": LATIN_OR_CYRILLIC,
    "presentation": {"ar", "fa", "ps"},  # Arabic presentation forms
    "phone_wide": EVASION_LANGUAGES,  # "0770 - 123 - 4567", "0912 / 345 / 6789"
}
# Clean messages (no expected category) that got a block or redact finding before this
# corpus grew with evasions and innocent look-alikes (the engine of main, same corpus): 0.
CLEAN_BLOCKED_BEFORE = 0
# Each language's own lines: the share whose findings are exactly the expected ones, and the
# categories each language's lines must measure (the languages added with their lexicons
# have lines for every lexicon category and for contact words in their script).
LANGUAGE_FLOOR = 0.9
MEASURED = ("military", "political", "money", "contact")


class CorpusRow(TypedDict):
    """One line of a corpus file."""

    id: str
    lang: str
    text: str
    expect: list[str]  # the categories the message must get (none: a clean message)
    trick: NotRequired[str]  # evasion.jsonl: how the category is hidden


def _load() -> list[CorpusRow]:
    rows: list[CorpusRow] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def test_corpus_is_large_and_well_formed() -> None:
    rows = _load()
    assert len(rows) >= MIN_MESSAGES
    assert {r["lang"] for r in rows} == set(LANGUAGES)
    valid = {c.value for c in Category}
    for r in rows:
        assert set(r["expect"]) <= valid, r["id"]
    # every category the corpus measures has positives, and clean messages exist
    cats = Counter(c for r in rows for c in r["expect"])
    assert all(cats[c] >= 10 for c in FLOORS), cats
    assert sum(1 for r in rows if not r["expect"]) >= 150


def _floor_for(floor: float, n: int) -> float:
    """A language's floor: the category's, or one miss allowed where it has few examples."""
    return min(floor, (n - 1) / n) if n else floor


def test_precision_recall_per_category_per_language(engine: RuleEngine) -> None:
    tp: Counter[tuple[str, str]] = Counter()
    fp: Counter[tuple[str, str]] = Counter()
    fn: Counter[tuple[str, str]] = Counter()
    for r in _load():
        lang = r["lang"]
        got = {f.category.value for f in engine.check(r["text"], lang=lang)}
        want = set(r["expect"])
        for c in got & want:
            tp[c, lang] += 1
        for c in got - want:
            fp[c, lang] += 1
        for c in want - got:
            fn[c, lang] += 1
    failures: list[str] = []
    for cat, (p_floor, r_floor) in FLOORS.items():
        for lang in sorted(LANGUAGES):
            k = (cat, lang)
            p_n, r_n = tp[k] + fp[k], tp[k] + fn[k]
            p = tp[k] / p_n if p_n else 1.0
            rc = tp[k] / r_n if r_n else 1.0
            if p < _floor_for(p_floor, p_n) or rc < _floor_for(r_floor, r_n):
                failures.append(
                    f"{cat}/{lang}: precision={p:.3f} recall={rc:.3f} "
                    f"(tp={tp[k]} fp={fp[k]} fn={fn[k]})"
                )
    assert failures == []


def test_every_evasion_is_caught_in_every_language(engine: RuleEngine) -> None:
    caught: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    missed: list[str] = []
    for r in _load():
        trick = r.get("trick")
        if trick in (None, "innocent"):
            continue
        lang = r["lang"]
        got = {f.category.value for f in engine.check(r["text"], lang=lang)}
        hidden = set(r["expect"]) - {"obfuscation"}
        total[str(trick), lang] += 1
        if hidden <= got:
            caught[str(trick), lang] += 1
        else:
            missed.append(f"{r['id']}: want {sorted(hidden)} got {sorted(got)}")
    # each trick is in the corpus several times in every language it applies to
    assert {t for t, _ in total} == set(TRICKS_BY_LANG)
    for trick, langs in TRICKS_BY_LANG.items():
        for lang in langs:
            assert total[trick, lang] >= 3, (trick, lang)
    low = {k: caught[k] / n for k, n in total.items() if caught[k] / n < EVASION_RECALL}
    assert low == {}, missed
    overall = {
        t: sum(caught[t, lg] for lg in LANGUAGES) / sum(total[t, lg] for lg in LANGUAGES)
        for t in TRICKS_BY_LANG
    }
    assert min(overall.values()) >= EVASION_RECALL, overall


def test_no_more_clean_messages_blocked_or_redacted_than_before(engine: RuleEngine) -> None:
    stopped = []
    innocent = 0
    for r in _load():
        if r["expect"]:
            continue
        innocent += r.get("trick") == "innocent"
        found = engine.check(r["text"], lang=r["lang"])
        if any(f.severity.value in ("block", "redact") for f in found):
            stopped.append(r["id"])
    assert innocent >= 40  # look-alikes, numbers, hyphenated words that must stay clean
    assert len(stopped) <= CLEAN_BLOCKED_BEFORE, stopped


def test_precision_recall_per_category(engine: RuleEngine) -> None:
    rows = _load()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[str] = []
    for r in rows:
        text = r["text"]
        got = {f.category.value for f in engine.check(text, lang=r["lang"])}
        want = set(r["expect"])
        for c in got & want:
            tp[c] += 1
        for c in got - want:
            fp[c] += 1
        for c in want - got:
            fn[c] += 1
        if got != want:
            misses.append(f"{r['id']}: want {sorted(want)} got {sorted(got)}")
    lines = [f"{len(rows)} messages"]
    failures: list[str] = []
    for cat, (p_floor, r_floor) in FLOORS.items():
        p = tp[cat] / (tp[cat] + fp[cat]) if tp[cat] + fp[cat] else 1.0
        rc = tp[cat] / (tp[cat] + fn[cat]) if tp[cat] + fn[cat] else 1.0
        lines.append(
            f"{cat:12} precision={p:.3f} recall={rc:.3f} "
            f"(tp={tp[cat]} fp={fp[cat]} fn={fn[cat]}; floors {p_floor}/{r_floor})"
        )
        if p < p_floor or rc < r_floor:
            failures.append(cat)
    lines += ["disagreements:", *misses]
    CORPUS_REPORT[:] = lines
    print("\n".join(lines))
    if failures:
        pytest.fail(f"below floor: {failures}\n" + "\n".join(lines))


def test_each_language_meets_its_floor(engine: RuleEngine) -> None:
    by_lang: dict[str, list[bool]] = {}
    measured: dict[str, Counter[str]] = {}
    for r in _load():
        lang = r["lang"]
        got = {f.category.value for f in engine.check(r["text"], lang=lang)}
        by_lang.setdefault(lang, []).append(got == set(r["expect"]))
        measured.setdefault(lang, Counter()).update(r["expect"])
    for lang in LANGUAGES:
        agree = by_lang[lang]
        assert sum(agree) / len(agree) >= LANGUAGE_FLOOR, lang
        assert len(agree) >= 20, lang
        assert all(measured[lang][c] >= 1 for c in MEASURED), (lang, measured[lang])
