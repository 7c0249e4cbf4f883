"""Characters no shipped font prints are findings, with exact spans of the original text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.i18n.catalog import translator
from bot.texts import category_reason
from relay.export import printable
from relay.rules import Category, RuleEngine, Severity
from words import codes


def _found(engine: RuleEngine, text: str) -> list[tuple[str, str, int, int, str]]:
    return [
        (f.rule_id, f.severity.value, f.start, f.end, f.matched)
        for f in engine.check(text)
        if f.category is Category.UNPRINTABLE
    ]


def test_emoji_and_symbols_are_flagged_one_span_per_sequence(engine: RuleEngine) -> None:
    text = "Salam 👨\u200d👩\u200d👧 and 🇮🇶, 👍🏽 ☺\ufe0f🌹"
    assert _found(engine, text) == [
        ("unprintable.symbols", "flag", 6, 11, "👨\u200d👩\u200d👧"),
        ("unprintable.symbols", "flag", 16, 18, "🇮🇶"),
        ("unprintable.symbols", "flag", 20, 22, "👍🏽"),
        ("unprintable.symbols", "flag", 23, 26, "☺\ufe0f🌹"),
    ]


def test_letters_of_a_script_without_a_font_are_flagged_apart_from_symbols(
    engine: RuleEngine,
) -> None:
    text = "ᏣᎳᎩ 🌹 ሰላም ዓለም"  # Cherokee has no shipped font; Ethiopic has one
    assert _found(engine, text) == [
        ("unprintable.letters", "flag", 0, 3, "ᏣᎳᎩ"),
        ("unprintable.symbols", "flag", 4, 5, "🌹"),
    ]
    # The engine agrees with what the export will do (relay/export/printable.py)
    assert (printable.check(text).letters, printable.check(text).symbols) == ("ᏣᎳᎩ", "🌹")


@pytest.mark.parametrize(
    "text",
    [
        "We are well, the children say hello.",
        "Мы здоровы, дети передают привет — 5 € и 10 ₴.",
        "نحن بخير والأطفال يسلمون عليك",
        "ሁላችንም ደህና ነን።",
        "Hooyo, waan nabad qabnaa.",
    ],
)
def test_text_every_font_prints_has_no_such_finding(engine: RuleEngine, text: str) -> None:
    assert _found(engine, text) == []


def test_it_is_a_flag_never_a_redaction_or_block(engine: RuleEngine) -> None:
    found = engine.check("Happy birthday 🎂🎉 my dear")
    assert {(f.category, f.severity) for f in found} == {(Category.UNPRINTABLE, Severity.FLAG)}


def test_the_category_has_its_sentence_in_every_language() -> None:
    assert "unprintable" in codes.CATEGORIES
    english = category_reason(translator("en"), "unprintable")
    assert english == "characters that cannot be printed on paper; a reviewer will check them"
    for lang in ("fr", "es", "ar", "fa", "ps", "ru", "uk", "sw", "am", "ti", "so"):
        assert category_reason(translator(lang), "unprintable") != english, lang


def test_rules_check_reports_an_emoji(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rcm", "--env-file", "/dev/null", "rules", "check"],
        input="🌹 hello",
        env={**os.environ, "RCM_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [(f["rule_id"], f["matched"]) for f in json.loads(done.stdout)] == [
        ("unprintable.symbols", "🌹")
    ]
