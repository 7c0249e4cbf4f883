"""Money: IBANs (mod-97), card numbers (Luhn), account numbers next to an account keyword."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from relay.rules.detectors import Doc, Span, register
from relay.rules.normalize import normalize


def iban_valid(candidate: str) -> bool:
    """Return True if ``candidate`` (spaces allowed) passes the ISO 13616 mod-97 check."""
    s = re.sub(r"[ \-]", "", candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def luhn_valid(candidate: str) -> bool:
    """Return True if the digits of ``candidate`` pass the Luhn check (13 to 19 digits)."""
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = d * 2 if i % 2 == 1 else d
        total += v - 9 if v > 9 else v
    return total % 10 == 0


_IBAN_RE = re.compile(r"(?<![a-z0-9])[a-z]{2}\d{2}(?:[ \-]?[a-z0-9]{1,4}){3,9}")
_GROUP_SPLIT = re.compile(r"[ \-]")


class IbanDetector:
    """IBANs: the longest prefix of a candidate (whole groups) that passes mod-97."""

    def find(self, doc: Doc) -> list[Span]:
        if not doc.has_digit:
            return []
        text = doc.norm.text
        out: list[Span] = []
        for m in _IBAN_RE.finditer(text):
            cand = m.group(0)
            # Greedy groups may have eaten a following word ("... 00 please"): shrink.
            cuts = [i for i, c in enumerate(cand) if c in " -"] + [len(cand)]
            for cut in reversed(cuts):
                if iban_valid(cand[:cut]):
                    out.append(doc.orig(m.start(), m.start() + cut))
                    break
        return out


@register("iban")
def _iban(params: Mapping[str, Any]) -> IbanDetector:
    return IbanDetector()


_CARD_RE = re.compile(r"(?<![\d])\d(?:[ \-]?\d){12,18}(?!\d)")


class CardDetector:
    """Payment card numbers: 13-19 digits, optional space/dash groups, Luhn-valid."""

    def find(self, doc: Doc) -> list[Span]:
        if not doc.has_digit:
            return []
        out: list[Span] = []
        for m in _CARD_RE.finditer(doc.norm.text):
            if luhn_valid(m.group(0)):
                out.append(doc.orig(*m.span()))
        return out


@register("card")
def _card(params: Mapping[str, Any]) -> CardDetector:
    return CardDetector()


class AccountDetector:
    """A run of >= ``min_digits`` digits shortly after an account keyword (any language)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        words = sorted(
            {re.escape(normalize(w).text.strip()) for w in params["keywords"]},
            key=len,
            reverse=True,
        )
        n = int(params.get("min_digits", 5))
        gap = int(params.get("max_gap", 30))
        self.re = re.compile(
            r"(?<![^\W_])(?:"
            + "|".join(words)
            + r")\w*[^\d]{0,"
            + str(gap)
            + r"}?(\d(?:[ \-]?\d){"
            + str(n - 1)
            + r",33})(?!\d)"
        )

    def find(self, doc: Doc) -> list[Span]:
        if not doc.has_digit:
            return []
        return [doc.orig(*m.span(1)) for m in self.re.finditer(doc.norm.text)]


@register("account")
def _account(params: Mapping[str, Any]) -> AccountDetector:
    return AccountDetector(params)
