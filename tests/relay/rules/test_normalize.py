"""The normaliser: what it folds, and that its offset map always points into the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay.rules.normalize import normalize


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param("WAR", "war", id="casefold"),
        pytest.param("Straße", "strasse", id="casefold-expands"),
        pytest.param("ﬁne", "fine", id="nfkc-ligature"),
        pytest.param("ＡＢＣ１２３", "abc123", id="fullwidth"),
        pytest.param("armée", "armee", id="latin-accent-precomposed"),
        pytest.param("arme\u0301e", "armee", id="latin-accent-combining"),
        pytest.param("we\u200bapon", "weapon", id="zwsp"),
        pytest.param("we\u00adapon", "weapon", id="soft-hyphen"),
        pytest.param("\u202ewar\u202c", "war", id="bidi-override"),
        pytest.param("w\ufe0far", "war", id="variation-selector"),
        pytest.param("wa\U000e0041r", "war", id="tag-character"),
        pytest.param("٠١٢٣٤٥٦٧٨٩", "0123456789", id="arabic-indic-digits"),
        pytest.param("۰۱۲۳۴۵۶۷۸۹", "0123456789", id="persian-digits"),
        pytest.param("०१२", "012", id="devanagari-digits"),
        pytest.param("٣٦٫٢٠", "36.20", id="arabic-decimal-separator"),
        pytest.param("السـلاح", "السلاح", id="tatweel"),
        pytest.param("أإآٱ", "اااا", id="alef-variants"),
        pytest.param("يىی", "ييي", id="yeh-variants"),
        pytest.param("كک", "كك", id="kaf-variants"),
        pytest.param("ثورة", "ثوره", id="teh-marbuta"),
        pytest.param("ؤئ", "وي", id="hamza-carriers"),
        pytest.param("سِلَاحٌ", "سلاح", id="harakat"),
        pytest.param("سلاح‌ها", "سلاحها", id="zwnj-persian"),
        pytest.param("a  \n\t b", "a b", id="whitespace-collapse"),
        pytest.param("wеаpоn", "weapon", id="cyrillic-lookalikes-in-latin-word"),
        pytest.param("wοrd", "word", id="greek-omicron-in-latin-word"),
        pytest.param("сосна", "сосна", id="genuine-cyrillic-untouched"),
        pytest.param("вoйна", "война", id="latin-o-in-cyrillic-word"),
        pytest.param("Война", "война", id="cyrillic-casefold"),
    ],
)
def test_normalized_text(original: str, expected: str) -> None:
    assert normalize(original).text == expected


def test_span_maps_persian_phone_back_to_original() -> None:
    # Given a phone number in Persian digits with a ZWSP and spaces inside
    text = "شماره: ۰۹۱۲\u200b ۳۴۵  ۶۷۸۹ ممنون"
    norm = normalize(text)
    # When the digits are located in the normalised text
    start = norm.text.index("0912")
    end = norm.text.index("6789") + 4
    # Then the span covers exactly the original digits, ZWSP and double space included
    s, e = norm.span(start, end)
    assert text[s:e] == "۰۹۱۲\u200b ۳۴۵  ۶۷۸۹"


def test_combining_mark_stays_with_its_base_letter() -> None:
    text = "arme\u0301e"
    norm = normalize(text)
    s, e = norm.span(0, len(norm.text))
    assert (s, e) == (0, len(text))
    # the fourth normalised char "e" carries its accent
    assert norm.span(3, 4) == (3, 5)


def test_expansion_maps_every_output_char_to_the_source_char() -> None:
    norm = normalize("aßb")
    assert norm.text == "assb"
    assert [norm.span(i, i + 1) for i in range(4)] == [(0, 1), (1, 2), (1, 2), (2, 3)]


def test_invisible_positions_are_recorded() -> None:
    assert normalize("we\u200bap\u200don").invisible == (2, 5)


def test_lone_surrogate_does_not_crash() -> None:
    norm = normalize("war\ud800peace")
    assert norm.text == "war\ud800peace"


text_any = st.text(st.characters(codec=None), max_size=200)
text_mixed = st.text(
    st.one_of(
        st.characters(codec=None),
        st.sampled_from(list("аеорсхуwеаpоnسلاح۰۹٣\u200b\u200c\u200d\u00ad\u0640\u064e\u0301ß")),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(text_mixed)
def test_offset_map_is_monotone_and_in_bounds(text: str) -> None:
    norm = normalize(text)
    n = len(norm.text)
    spans = [norm.span(i, i + 1) for i in range(n)]
    for s, e in spans:
        assert 0 <= s < e <= len(text)
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    assert starts == sorted(starts)
    assert ends == sorted(ends)
    if n:
        s, e = norm.span(0, n)
        assert 0 <= s < e <= len(text)


@settings(max_examples=200, deadline=None)
@given(text_any)
def test_normalize_is_idempotent(text: str) -> None:
    # Lexicon terms are normalised with the same function as messages: a term that is
    # already normal must stay as it is, or it would never match.
    once = normalize(text).text
    assert normalize(once).text == once
    assert "\u200b" not in once


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param("ሠራዊት", "ሰራዊት", id="se-series"),
        pytest.param("ሐዋላ", "ሀዋላ", id="hha-series"),
        pytest.param("ኀይል", "ሀይል", id="xa-series"),
        pytest.param("ዐይን", "አይን", id="ayin-series"),
        pytest.param("ፀሐይ", "ጸሀይ", id="tsa-series"),
    ],
)
def test_ethiopic_letters_that_sound_alike_match(one: str, other: str) -> None:
    assert normalize(one).text == normalize(other).text == other
