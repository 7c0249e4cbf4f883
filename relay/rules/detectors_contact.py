"""Contact details and locations: phone numbers, e-mail, links, messenger handles, coordinates.

All regexes run on the normalised text: digits are ASCII, letters case-folded, white space
collapsed, invisible characters gone, so "۰۷۷۱ ۲۳۴ ۵۶۷۸" and "0771\u200b234 5678" look the
same as "0771 234 5678".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import phonenumbers

from relay.rules.detectors import Doc, Span, regex_spans, register
from relay.rules.normalize import normalize


def _kw_regex(words: list[str]) -> str:
    parts = sorted({re.escape(normalize(w).text.strip()) for w in words}, key=len, reverse=True)
    return "|".join(parts)


# Dates and lists of years look like digit runs but are family news.
_DATE_RE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")


@lru_cache(maxsize=4096)  # parsing costs more than all other detectors together
def _second_opinion(digits: str, plus: bool, region: str | None) -> tuple[bool | None, str]:
    """Ask phonenumbers whether ``digits`` is a valid number: (valid or None, label).

    With a leading "+" or "00" the number carries its country; otherwise it is read as a
    number of the site's ``region`` (None: no opinion). The label is the country and the
    E.164 form, for the reviewer.
    """
    if not plus and region is None:
        return None, ""
    try:
        num = phonenumbers.parse(
            "+" + digits.removeprefix("00") if plus else digits, None if plus else region
        )
    except phonenumbers.NumberParseException:
        return False, ""
    if not phonenumbers.is_valid_number(num):
        return False, ""
    country = phonenumbers.region_code_for_number(num) or ""
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return True, f"{country} {e164}".strip()


class PhoneDetector:
    """Phone numbers, including digits spread out with spaces, dots, dashes, slashes or
    brackets ("0770 - 123 - 4567", "0912 / 345 / 6789"); phonenumbers labels them and
    lowers bare runs that are no number of the site's region."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        lo = int(params.get("min_digits", 7))
        hi = int(params.get("max_digits", 15))
        self.min_digits, self.max_digits = lo, hi
        self.bare_min = int(params.get("bare_min_digits", 9))
        # A digit, then digits with at most three separators between each (" - ", " / ");
        # an optional leading "+" or "00".
        reps = f"{{{lo - 1},{hi + 4}}}"
        self.re = re.compile(r"(?<![\w.,])\+?\(?\d(?:[ \-./()]{0,3}\d)" + reps + r"(?![\w])")
        kws = params.get("keywords", [])
        self.kw = (
            re.compile("(?:" + _kw_regex(kws) + r")\W{0,3}(?:\w+\W{1,3}){0,3}$") if kws else None
        )

    def find(self, doc: Doc) -> list[Span]:
        if not doc.has_digit:
            return []
        text = doc.norm.text
        out: list[Span] = []
        for m in self.re.finditer(text):
            s, e = m.span()
            cand = m.group(0)
            digits = re.sub(r"\D", "", cand)
            n = len(digits)
            if n < self.min_digits or n > self.max_digits:
                continue
            if _DATE_RE.fullmatch(cand.strip("()")):
                continue
            groups = re.split(r"[ \-./()]+", cand.strip("()+"))
            if len(groups) > 1 and all(_YEAR_RE.fullmatch(g) for g in groups):
                continue
            plus = cand.startswith("+") or digits.startswith("00")
            trunk = digits.startswith("0")
            keyword = bool(self.kw and self.kw.search(text, max(0, s - 40), s))
            if not (plus or keyword or n >= self.bare_min or (trunk and n >= self.min_digits)):
                continue
            valid, label = _second_opinion(digits, plus, doc.region)
            if valid is False and not (plus or keyword or trunk):
                continue  # a bare run that is no number of the site's country
            span = doc.orig(s, e)
            out.append(span)
            if label:
                doc.labels[span] = label
        return out


@register("phone")
def _phone(params: Mapping[str, Any]) -> PhoneDetector:
    return PhoneDetector(params)


class RegexDetector:
    """Spans of one regex (group ``group``) over the normalised text."""

    def __init__(
        self, pattern: str, group: int = 0, *, gate: str | None = None, digits: bool = False
    ) -> None:
        self.re = re.compile(pattern)
        self.group = group
        # Cheap tests that rule the text out before the full regex scans it.
        self.gate = re.compile(gate) if gate else None
        self.digits = digits

    def find(self, doc: Doc) -> list[Span]:
        if self.digits and not doc.has_digit:
            return []
        if self.gate is not None and not self.gate.search(doc.norm.text):
            return []
        return regex_spans(doc, self.re.finditer(doc.norm.text), self.group)


# The lookbehind anchors the local part at the start of its run: without it a long run of
# letters before an "@" is rescanned from every position (quadratic time).
_EMAIL = (
    r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}"
    r"|(?<![\w.%+\-])[\w.%+\-]+ ?[(\[{] ?(?:at|собака|ات) ?[)\]}] ?[\w\-]+ ?"
    r"(?:[(\[{] ?(?:dot|точка|نقطه) ?[)\]}]|\.) ?[a-z]{2,}"
)


@register("email")
def _email(params: Mapping[str, Any]) -> RegexDetector:
    return RegexDetector(_EMAIL, gate=r"@|[(\[{] ?(?:at|собака|ات) ?[)\]}]")


@register("url")
def _url(params: Mapping[str, Any]) -> RegexDetector:
    tlds = "|".join(sorted(params.get("tlds", ["com", "org", "net"]), key=len, reverse=True))
    pattern = (
        r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)]"
        r"|(?<![\w@.\-])(?:[a-z0-9\-]+\.)+(?:" + tlds + r")(?![\w\-])"
        r"(?:/[^\s<>\"]*[^\s<>\".,;:!?)])?"
    )
    return RegexDetector(pattern, gate=r"\w\.\w|://")


@register("messenger")
def _messenger(params: Mapping[str, Any]) -> RegexDetector:
    hosts = "|".join(re.escape(h) for h in params.get("hosts", ["t.me", "wa.me"]))
    return RegexDetector(
        r"(?<![\w.])(?:https?://)?(?:www\.)?(?:" + hosts + r") ?/ ?[\w+\-/=?.]*[\w/]", gate="/"
    )


@register("handle")
def _handle(params: Mapping[str, Any]) -> RegexDetector:
    # "@name" that is not the middle of an e-mail address.
    return RegexDetector(r"(?<![\w.@])@[a-z0-9_][a-z0-9_.]{2,31}(?<!\.)", gate="@")


_LAT = r"[-+]?(?:[0-8]?\d|90)[.,]\d{3,8}"
_LON = r"[-+]?(?:1[0-7]\d|0?\d?\d|180)[.,]\d{3,8}"
_COORD_DECIMAL = (
    r"(?<![\d.,])(?:[ns] ?)?"
    + _LAT
    + r" ?°? ?(?:[ns] ?)?(?:[,;/،] ?| )(?:[ew] ?)?"
    + _LON
    + r" ?°? ?(?:[ew]\b)?"
)
# degrees, optional minutes, optional seconds (″ folds to two primes under NFKC)
_DEG = (
    r"\d{1,3}(?:\.\d+)? ?[°º˚] ?(?:\d{1,2}(?:\.\d+)? ?['′’`] ?"
    r"(?:\d{1,2}(?:\.\d+)? ?(?:\"|″|′′|''|”) ?)?)?"
)
_HEMI = r"[nsewсшвдюз]\b"
_COORD_DMS = r"(?<!\d)" + _DEG + _HEMI + r"(?:[ ,;/]{0,3}" + _DEG + _HEMI + ")?"
_MGRS = (
    r"(?<![\w])\d{1,2}[c-hj-np-x] ?[a-hj-np-z]{2} ?"
    r"(?:\d{5} ?\d{5}|\d{4} ?\d{4}|\d{3} ?\d{3})(?!\w)"
)


@register("coordinates_decimal")
def _coord_decimal(params: Mapping[str, Any]) -> RegexDetector:
    # Both halves have a decimal part of three digits or more: a cheap test first.
    return RegexDetector(_COORD_DECIMAL, gate=r"\d[.,]\d{3}", digits=True)


@register("coordinates_dms")
def _coord_dms(params: Mapping[str, Any]) -> RegexDetector:
    return RegexDetector(_COORD_DMS, gate="[°º˚]", digits=True)  # no degree sign, no DMS


@register("coordinates_mgrs")
def _coord_mgrs(params: Mapping[str, Any]) -> RegexDetector:
    return RegexDetector(_MGRS, digits=True)
