"""References: the check character catches every single typo and every adjacent swap."""

from __future__ import annotations

import random

import pytest

from relay.reference import ALPHABET, PATTERN, _check_char, _format, new_reference, parse_reference

# Fixed references (bodies chosen to cover both ends of the alphabet) plus fresh ones.
_BODIES = ["7K3F9Q2", "0000000", "YYYYYYY", "RCM1234", "A1B2C3D"]
_BODIES += ["".join(random.Random(seed).choices(ALPHABET, k=7)) for seed in range(3)]
REFS = [_format(b + _check_char(b)) for b in _BODIES]  # fixed ids, so xdist workers agree


def _chars(ref: str) -> str:
    # Only the prefix: a body may hold "RCM-" too (RCM-ARCM-9Q2V), once in 15,000 references.
    return ref.removeprefix("RCM-").replace("-", "")


@pytest.mark.parametrize("ref", REFS)
def test_valid_reference_parses_to_itself(ref: str) -> None:
    assert parse_reference(ref) == ref
    assert PATTERN.fullmatch(ref) is not None


@pytest.mark.parametrize("ref", REFS)
def test_every_single_substitution_is_rejected(ref: str) -> None:
    chars = _chars(ref)
    accepted = []
    for pos, original in enumerate(chars):
        for other in ALPHABET:
            if other == original:
                continue
            typo = chars[:pos] + other + chars[pos + 1 :]
            if parse_reference(typo) is not None:
                accepted.append(typo)
    assert accepted == []


@pytest.mark.parametrize("ref", REFS)
def test_every_swap_of_two_different_characters_is_rejected(ref: str) -> None:
    chars = _chars(ref)
    accepted = []
    tried = 0
    for i in range(len(chars)):
        for j in range(i + 1, len(chars)):
            if chars[i] == chars[j]:
                continue  # swapping equal characters changes nothing
            swapped = list(chars)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            tried += 1
            if parse_reference("".join(swapped)) is not None:
                accepted.append("".join(swapped))
    assert accepted == []
    if len(set(chars)) == len(chars):
        assert tried == 28


def test_exhaustive_single_substitutions_over_many_references() -> None:
    # 200 references x 8 positions x 30 substitutes = 48 000 typos, none accepted.
    refs = [new_reference() for _ in range(200)]  # fresh ones here, inside one test
    accepted = 0
    for ref in refs:
        chars = _chars(ref)
        for pos in range(8):
            for other in ALPHABET:
                if other != chars[pos]:
                    accepted += parse_reference(chars[:pos] + other + chars[pos + 1 :]) is not None
    assert accepted == 0


def test_look_alike_input_is_accepted() -> None:
    body = "7K3F9Q2"
    ref = _format(body + _check_char(body))
    assert ref == "RCM-7K3F-9Q2V"
    assert parse_reference("rcm 7k3f 9q2v") == ref
    assert parse_reference("  RCM-7K3F-9Q2V\n") == ref
    assert parse_reference("7K3F9Q2V") == ref
    assert parse_reference("7k3f-9q2v") == ref
    assert parse_reference("rcm_7k3f.9q2u") == ref  # U read as V
    zeros = "10K3F0Q"
    with_zeros = _format(zeros + _check_char(zeros))
    assert parse_reference(with_zeros.replace("0", "O").replace("1", "I")) == with_zeros
    assert parse_reference(with_zeros.lower().replace("0", "o").replace("1", "l")) == with_zeros


@pytest.mark.parametrize(
    ("typed", "body"),
    [
        ("O", "0"),  # letter O read as zero
        ("I", "1"),
        ("L", "1"),
        ("U", "V"),
        ("Z", "2"),
    ],
)
def test_letters_outside_the_alphabet_are_read_as_their_look_alike(typed: str, body: str) -> None:
    real = body + "ABCDEF"
    ref = _format(real + _check_char(real))
    typed_ref = ref.replace(f"RCM-{body}", f"rcm-{typed.lower()}", 1)
    assert parse_reference(typed_ref) == ref


def test_reference_whose_body_starts_with_rcm_parses_without_prefix() -> None:
    # Regression: "RCM" was stripped from any input, so a body starting with R, C, M could
    # not be typed without its prefix.
    ref = _format("RCM1234" + _check_char("RCM1234"))
    assert parse_reference(ref) == ref
    assert parse_reference(ref[4:]) == ref
    assert parse_reference(ref[4:].replace("-", "")) == ref


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "RCM",
        "RCM-7K3F-9Q2",
        "RCM-7K3F-9Q2DD",
        "RCM-7K3F-9Q2!",
        "RCM-7K3F-9Q2E",
        "RCM-7K3F-9Q2D",
        "XYZ-7K3F-9Q2D",
    ],
)
def test_malformed_input_is_rejected(typed: str) -> None:
    assert parse_reference(typed) is None


def test_new_references_have_the_format_and_a_valid_check() -> None:
    refs = {new_reference() for _ in range(500)}
    assert len(refs) == 500
    for ref in refs:
        assert PATTERN.fullmatch(ref) is not None
        assert set(_chars(ref)) <= set(ALPHABET)
        assert parse_reference(ref) == ref


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("RCM-7K3F-9Q2D", True),
        ("rcm-7k3f-9q2d", False),
        ("RCM-7K3F9Q2D", False),
        ("RCM-7K3-F9Q2D", False),
        ("RCM-7K3F-9Q2Z", False),
    ],
)
def test_format_regex(text: str, matches: bool) -> None:
    assert (PATTERN.fullmatch(text) is not None) is matches


def test_the_helper_strips_only_the_prefix() -> None:
    # Regression: a body holding "RCM-" lost it too, and the exhaustive test indexed past it.
    assert _chars("RCM-ARCM-9Q2V") == "ARCM9Q2V"
