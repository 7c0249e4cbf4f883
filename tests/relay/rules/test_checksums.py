"""IBAN mod-97 and Luhn checks, positives and negatives."""

from __future__ import annotations

import pytest

from relay.rules import RuleEngine
from relay.rules.detectors_money import iban_valid, luhn_valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        pytest.param("DE89 3704 0044 0532 0130 00", True, id="de"),
        pytest.param("GB82 WEST 1234 5698 7654 32", True, id="gb"),
        pytest.param("FR14 2004 1010 0505 0001 3M02 606", True, id="fr-with-letter"),
        pytest.param("ES91 2100 0418 4502 0005 1332", True, id="es"),
        pytest.param("UA21 3223 1300 0002 6007 2335 6600 1", True, id="ua"),
        pytest.param("de89370400440532013000", True, id="lower-case"),
        pytest.param("DE88 3704 0044 0532 0130 00", False, id="wrong-check-digits"),
        pytest.param("DE89 3704 0044 0532 0130 01", False, id="one-digit-changed"),
        pytest.param("GB82 WEST 1234 5698 7654", False, id="truncated"),
        pytest.param("1234 5678 9012 3456", False, id="no-country"),
        pytest.param("", False, id="empty"),
    ],
)
def test_iban(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        pytest.param("4111 1111 1111 1111", True, id="visa-test"),
        pytest.param("5500-0000-0000-0004", True, id="mastercard-test"),
        pytest.param("378282246310005", True, id="amex-15"),
        pytest.param("6037 9971 2345 6783", True, id="iran-shetab"),
        pytest.param("4111 1111 1111 1112", False, id="bad-check-digit"),
        pytest.param("0000 0000 0000", False, id="too-short"),
        pytest.param("4111111111111111111111", False, id="too-long"),
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


def test_invalid_card_is_not_reported_as_card(engine: RuleEngine) -> None:
    rules = {f.rule_id for f in engine.check("pay 4111 1111 1111 1112 today")}
    assert "money.card" not in rules
    assert "code.groups" in rules  # still looks like a code: a reviewer sees it
