"""The rule engine: rules from TOML, detectors and automata built once, ``check`` per text."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from phonenumbers import SUPPORTED_REGIONS

from relay.models import Site
from relay.rules.config import (
    SEVERITY_RANK,
    Category,
    RulesConfig,
    RuleSpec,
    Severity,
    Tightening,
    load_config,
)
from relay.rules.detectors import Detector, Doc, build
from relay.rules.lexicon import Lexicon, Term, extra_terms, load_default_terms
from relay.rules.normalize import normalize


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule hit on a span of the ORIGINAL text."""

    rule_id: str
    category: Category
    severity: Severity
    start: int
    end: int
    matched: str
    reason: str
    detail: str = ""  # e.g. a phone number's country and E.164 form ("IQ +9647701234567")


@dataclass(frozen=True, slots=True)
class _Profile:
    """What differs per site: severities, the lexicon (with added terms), the word limit."""

    severity: Mapping[str, Severity]
    lexicon: Lexicon
    word_limit: int | None
    region: str | None


def _merge(a: Tightening, b: Tightening) -> Tightening:
    sev = dict(a.severity)
    for rule_id, s in b.severity.items():
        if rule_id not in sev or SEVERITY_RANK[s] > SEVERITY_RANK[sev[rule_id]]:
            sev[rule_id] = s
    terms: dict[str, dict[str, tuple[str, ...]]] = {c: dict(t) for c, t in a.terms.items()}
    for cat, tiers in b.terms.items():
        for tier, words in tiers.items():
            terms.setdefault(cat, {})[tier] = terms.get(cat, {}).get(tier, ()) + words
    limits = [x for x in (a.word_limit, b.word_limit) if x is not None]
    return Tightening(sev, terms, min(limits) if limits else None, b.region or a.region)


class RuleEngine:
    """Checks texts against the rules; immutable after ``load`` and safe to share."""

    def __init__(
        self,
        config: RulesConfig,
        terms: Sequence[tuple[str, Term]] | None = None,
        *,
        countries: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        # The sites file's country of each site (site code: ISO 3166): the phone region of
        # its messages, before the rules file's ``region`` (which is only a fallback).
        # A country phonenumbers does not know would make every bare digit run "invalid".
        self._countries = {
            code: c for code, c in (countries or {}).items() if c in SUPPORTED_REGIONS
        }
        self._rules: tuple[tuple[RuleSpec, Detector], ...] = tuple(
            (spec, build(spec.detector, spec.params)) for spec in config.rules
        )
        base = list(terms) if terms is not None else load_default_terms()
        shared = Lexicon(base)
        self._default = self._profile(config.defaults, base, shared)
        # Sites without added terms share the default automaton.
        self._sites = {
            code: self._profile(_merge(config.defaults, t), base, self._default.lexicon)
            for code, t in config.sites.items()
        }
        self.terms = self._default.lexicon.size

    def _profile(self, t: Tightening, base: list[tuple[str, Term]], shared: Lexicon) -> _Profile:
        sev = {spec.id: t.severity.get(spec.id, spec.severity) for spec, _ in self._rules}
        lexicon = Lexicon([*base, *extra_terms(t.terms)]) if t.terms else shared
        return _Profile(sev, lexicon, t.word_limit, t.region)

    @classmethod
    def load(
        cls, override_file: Path | None = None, *, sites: Mapping[str, Site] | None = None
    ) -> RuleEngine:
        """Build the engine from the default rules plus the tightening file.

        Without ``override_file`` the ``RCM_RULES_FILE`` environment variable is honoured
        (read now, not at import), so that no caller can silently drop a site's tightening.
        ``sites`` (the sites file) gives each site's country to read its phone numbers by.
        """
        if override_file is None:
            env = os.environ.get("RCM_RULES_FILE")
            override_file = Path(env) if env else None
        countries = {code: site.country_code for code, site in (sites or {}).items()}
        return cls(load_config(override_file), countries=countries)

    def check(
        self,
        text: str,
        *,
        lang: str | None = None,
        site_code: str | None = None,
        word_limit: int | None = None,
    ) -> list[Finding]:
        """Return the findings on ``text``, sorted by start, then rule id."""
        # ``lang`` is accepted but every lexicon runs on every text: people mix languages
        # and scripts (a Kurdish family writing Arabic with English words), and one
        # automaton over all languages costs the same as one over a single language.
        profile = self._sites.get(site_code, self._default) if site_code else self._default
        limits = [x for x in (word_limit, profile.word_limit) if x is not None]
        doc = Doc(
            original=text,
            norm=normalize(text),
            lexicon=profile.lexicon,
            lang=lang,
            word_limit=min(limits) if limits else None,
            chars_per_word=self.config.chars_per_word,
            region=self._countries.get(site_code or "") or profile.region,
        )
        found: dict[str, list[tuple[int, int]]] = {}
        out: set[Finding] = set()
        for spec, detector in self._rules:
            spans = detector.find(doc)
            if not spans:
                continue
            if spec.unless_overlapping:
                taken = [sp for rid in spec.unless_overlapping for sp in found.get(rid, ())]
                spans = [
                    (s, e) for s, e in spans if not any(s < te and ts < e for ts, te in taken)
                ]
            found[spec.id] = spans
            severity = profile.severity[spec.id]
            for s, e in spans:
                if 0 <= s < e <= len(text):
                    out.add(
                        Finding(
                            spec.id,
                            spec.category,
                            severity,
                            s,
                            e,
                            text[s:e],
                            spec.reason,
                            doc.labels.get((s, e), ""),
                        )
                    )
        return sorted(out, key=lambda f: (f.start, f.rule_id, f.end))
