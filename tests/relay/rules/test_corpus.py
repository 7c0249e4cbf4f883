"""Precision and recall per category over the labelled corpus (tests/relay/rules/corpus)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

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
}
MIN_MESSAGES = 400
# Each language's own lines: the share whose findings are exactly the expected ones, and the
# categories each language's lines must measure (the languages added with their lexicons
# have lines for every lexicon category and for contact words in their script).
LANGUAGE_FLOOR = 0.9
MEASURED = ("military", "political", "money", "contact")


def _load() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
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
        assert set(r["expect"]) <= valid, r["id"]  # type: ignore[arg-type]
    # every category the corpus measures has positives, and clean messages exist
    cats = Counter(c for r in rows for c in r["expect"])  # type: ignore[attr-defined]
    assert all(cats[c] >= 10 for c in FLOORS), cats
    assert sum(1 for r in rows if not r["expect"]) >= 150


def test_precision_recall_per_category(engine: RuleEngine) -> None:
    rows = _load()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[str] = []
    for r in rows:
        text = str(r["text"])
        got = {f.category.value for f in engine.check(text, lang=str(r["lang"]))}
        want = set(r["expect"])  # type: ignore[arg-type]
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
        lines.append(f"{cat:12} precision={p:.3f} recall={rc:.3f} "
                     f"(tp={tp[cat]} fp={fp[cat]} fn={fn[cat]}; floors {p_floor}/{r_floor})")
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
        lang = str(r["lang"])
        got = {f.category.value for f in engine.check(str(r["text"]), lang=lang)}
        by_lang.setdefault(lang, []).append(got == set(r["expect"]))  # type: ignore[arg-type]
        measured.setdefault(lang, Counter()).update(r["expect"])  # type: ignore[arg-type]
    for lang in LANGUAGES:
        agree = by_lang[lang]
        assert sum(agree) / len(agree) >= LANGUAGE_FLOOR, lang
        assert len(agree) >= 20, lang
        assert all(measured[lang][c] >= 1 for c in MEASURED), (lang, measured[lang])
