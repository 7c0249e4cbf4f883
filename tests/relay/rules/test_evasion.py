"""Evasions: look-alikes from Unicode's data, digits for letters, split words, wide phones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relay.errors import ConfigError
from relay.rules import RuleEngine, findings_to_json
from relay.rules.confusables import latin_twin, script
from relay.rules.normalize import normalize


def _rules(
    engine: RuleEngine, text: str, *, lang: str | None = None, site_code: str | None = None
) -> list[tuple[str, str]]:
    return [(f.rule_id, f.matched) for f in engine.check(text, lang=lang, site_code=site_code)]


@pytest.mark.parametrize(
    ("letter", "latin"),
    [
        ("г", "r"),
        ("ԝ", "w"),
        ("ν", "v"),
        ("ϲ", "c"),
        ("ү", "y"),  # once unmapped
        ("ո", "n"),
        ("ꓲ", "l"),
        ("Ꮃ".casefold(), "w"),  # Armenian, Lisu, Cherokee
    ],
)
def test_look_alikes_come_from_unicode_data(letter: str, latin: str) -> None:
    key = normalize(letter).text
    assert latin_twin(key) == latin


def test_every_cyrillic_and_greek_look_alike_of_a_latin_letter_folds() -> None:
    # All 36 look-alikes the issue counted, not 22: a word with any of them folds to Latin.
    word = "the rifle"
    for ch in "аеорсхукмтвніјѕԁһѵгԝүҽԛԍӏ" + "οαειοκνρτυχβημζϲγ":
        twin = latin_twin(normalize(ch).text)
        assert twin is not None, ch
        assert script(ch) in ("CYRILLIC", "GREEK")
        disguised = word.replace(twin, ch, 1) if twin in word else None
        if disguised is not None:
            assert normalize(disguised).text == word, ch


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("the art1llery moved", "art1llery"),
        ("the w34pon is here", "w34pon"),
        ("the mi$$1le fell", "mi$$1le"),
        ("the arti\tllery moved", "arti\tllery"),
        ("the artil-\nlery moved", "artil-\nlery"),
        ("the arti.llery moved", "arti.llery"),
        ("the arti llery moved", "arti llery"),
        ("the ԝеаpоn is here", "ԝеаpоn"),
        ("the гifle is here", "гifle"),
        ("the ոew mortars", "mortars"),
        ("ԁіϲtаtоr", "ԁіϲtаtоr"),  # every letter a look-alike: folded in the lexicon view
        ("the ri\u200bfle", "ri\u200bfle"),
    ],
)
def test_disguised_words_block_with_exact_spans(engine: RuleEngine, text: str, span: str) -> None:
    found = engine.check(text)
    blocks = [f for f in found if f.severity.value == "block"]
    assert [text[f.start : f.end] for f in blocks] == [span]
    assert any(f.category.value == "obfuscation" for f in found)


def test_other_scripts_mixed_into_a_word_are_flagged(engine: RuleEngine) -> None:
    # Armenian ո, Lisu ꓲ, Cherokee Ꭼ inside Latin words
    for word in ("ոew", "ꓲove", "Ꭼvening", "sոow"):
        found = _rules(engine, f"see you {word} soon")
        # (no shipped font prints these scripts either: the letter is also an unprintable flag)
        odd = "".join(c for c in word if not c.isascii())
        assert found == sorted([("obfuscation.mixed_script", word), ("unprintable.letters", odd)])


@pytest.mark.parametrize(
    "text",
    [
        "I have 3 sons and 1 daughter, born in 2019.",
        "We live on the 2nd floor, flat 14, and I love you 4ever!",
        "Our neighbour Ανδρέας and grandpa's Толстой send greetings.",
        "日本語のテキスト and 한국어 漢字 are fine.",
        "The com-\nmittee met; the team won 4 - 2.",
        "the harm yield was good",  # "army" spelled across two words is no split word
    ],
)
def test_innocent_text_stays_free_of_blocks_and_disguise_flags(
    engine: RuleEngine, text: str
) -> None:
    assert [
        (f.rule_id, f.matched)
        for f in engine.check(text)
        if f.severity.value != "flag" or f.rule_id.startswith("obfuscation")
    ] == []


def test_two_words_are_not_read_as_one_split_word(engine: RuleEngine) -> None:
    # "набоїв" is a word of the lexicon, but "набої в" is "cartridges in": no disguise.
    assert _rules(engine, "Скажи Андрію, що набої в сараї.") == [("military.strong", "набої")]


def test_real_numbers_are_still_numbers(engine: RuleEngine) -> None:
    # The digit view is for lexicons only: a phone number next to leet text stays a phone.
    assert _rules(engine, "call 0770 123 4567, the w34pon") == [
        ("contact.phone", "0770 123 4567"),
        ("military.strong", "w34pon"),
        ("obfuscation.disguised", "w34pon"),
    ]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("call 0770 - 123 - 4567 after dark", "0770 - 123 - 4567"),
        ("my number 0912 / 345 / 6789", "0912 / 345 / 6789"),
        ("ring +44 20 - 7946 - 0958", "+44 20 - 7946 - 0958"),
        ("اتصل ٠٧٧٠ - ١٢٣ - ٤٥٦٧", "٠٧٧٠ - ١٢٣ - ٤٥٦٧"),
    ],
)
def test_phone_numbers_with_wide_separators(engine: RuleEngine, text: str, number: str) -> None:
    assert _rules(engine, text) == [("contact.phone", number)]


def _site_engine(tmp_path: Path, body: str) -> RuleEngine:
    f = tmp_path / "rules.toml"
    f.write_text(body, encoding="utf-8")
    return RuleEngine.load(f)


def test_phonenumbers_labels_and_lowers_by_the_sites_region(tmp_path: Path) -> None:
    engine = _site_engine(tmp_path, '[site.ALP]\nregion = "iq"\n')
    [f] = engine.check("call 0770 - 123 - 4567", site_code="ALP")
    assert (f.rule_id, f.detail) == ("contact.phone", "IQ +9647701234567")
    [f] = engine.check("my number +33 6 12 34 56 78")
    assert (f.rule_id, f.detail) == ("contact.phone", "FR +33612345678")
    out = json.loads(findings_to_json(engine.check("call +33 6 12 34 56 78")))
    assert out[0]["detail"] == "FR +33612345678"
    # A bare run that is no Iraqi number is lowered to a code flag at that site only
    assert _rules(engine, "ref 123456789 thanks", site_code="ALP") == [
        ("code.digits", "123456789")
    ]
    assert _rules(engine, "ref 123456789 thanks") == [("contact.phone", "123456789")]


@pytest.mark.parametrize("region", ['"XX"', "12", '"Iraq"'])
def test_a_bad_region_is_a_config_error(tmp_path: Path, region: str) -> None:
    with pytest.raises(ConfigError, match="region"):
        _site_engine(tmp_path, f"[site.ALP]\nregion = {region}\n")
