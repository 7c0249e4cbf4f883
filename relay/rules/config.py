"""Rule configuration: the shipped defaults and the operator's tightening file, as data.

Override file (``RCM_RULES_FILE``) shape; everything is optional and may only tighten:

```toml
[defaults]                      # applies to every site
severity = { "political.weak" = "block" }
terms = { military = { strong = ["drone strike"] } }

[site.KAB]                      # one detention site (code as in the sites file)
word_limit = 25                 # the lower of this and the caller's limit wins
region = "AF"                   # its phone numbers' country (ISO 3166) if the sites file
                                # gives the site no country_code (that one comes first)
severity = { "contact.phone" = "block", "code.digits" = "redact" }
terms = { political = { weak = ["governor"] } }

[[rules]]                       # whole new rules (new ids only)
id = "contact.radio"
category = "contact"
severity = "flag"
detector = "lexicon"   # ...
```

Severity order for tightening: flag < redact < block. Lowering a severity, disabling a
rule or redefining a shipped rule is a ``ConfigError``: a site cannot loosen the defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from relay.errors import ConfigError


class Severity(StrEnum):
    """What a finding asks of the reviewer."""

    BLOCK = "block"
    REDACT = "redact"
    FLAG = "flag"


class Category(StrEnum):
    """Why a finding was raised (the UI localizes the reason code)."""

    LENGTH = "length"
    CONTACT = "contact"
    MONEY = "money"
    COORDINATES = "coordinates"
    CODE = "code"
    MILITARY = "military"
    POLITICAL = "political"
    HATE = "hate"
    OBFUSCATION = "obfuscation"
    UNPRINTABLE = "unprintable"  # no shipped font prints it (emoji, a script without a font)


E = TypeVar("E", bound=StrEnum)

SEVERITY_RANK = {Severity.FLAG: 0, Severity.REDACT: 1, Severity.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule as written in TOML."""

    id: str
    category: Category
    severity: Severity
    detector: str
    params: Mapping[str, Any]
    reason: str
    unless_overlapping: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tightening:
    """Severity raises, added terms and a word limit, for all sites or one site."""

    severity: Mapping[str, Severity] = field(default_factory=dict)
    terms: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    word_limit: int | None = None
    # ISO 3166 region of the site's phone numbers (phonenumbers' second opinion): bare digit
    # runs that are no valid number there are left to code.digits instead of contact.phone.
    # A fallback: the sites file's country_code of the message's site comes first.
    region: str | None = None


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """The full, validated rule configuration."""

    rules: tuple[RuleSpec, ...]
    chars_per_word: float
    defaults: Tightening
    sites: Mapping[str, Tightening]


def _enum(kind: type[E], value: Any, where: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a valid {kind.__name__.lower()}") from None


def _parse_rule(raw: Mapping[str, Any], where: str) -> RuleSpec:
    try:
        rule_id = str(raw["id"])
        category = _enum(Category, raw["category"], f"{where} {rule_id}")
        severity = _enum(Severity, raw["severity"], f"{where} {rule_id}")
        detector = str(raw["detector"])
    except KeyError as exc:
        raise ConfigError(f"{where}: rule without {exc.args[0]!r}") from None
    return RuleSpec(
        id=rule_id,
        category=category,
        severity=severity,
        detector=detector,
        params=dict(raw.get("params", {})),
        reason=str(raw.get("reason", category.value)),
        unless_overlapping=tuple(raw.get("unless_overlapping", ())),
    )


def _parse_tightening(
    raw: Mapping[str, Any], where: str, rules: Mapping[str, RuleSpec]
) -> Tightening:
    unknown = set(raw) - {"severity", "terms", "word_limit", "region"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    sev: dict[str, Severity] = {}
    for rule_id, value in raw.get("severity", {}).items():
        if rule_id not in rules:
            raise ConfigError(f"{where}: unknown rule {rule_id!r}")
        new = _enum(Severity, value, f"{where} {rule_id}")
        if SEVERITY_RANK[new] < SEVERITY_RANK[rules[rule_id].severity]:
            raise ConfigError(
                f"{where}: {rule_id} may only be tightened "
                f"({rules[rule_id].severity} -> {new} loosens it)"
            )
        sev[rule_id] = new
    terms: dict[str, dict[str, tuple[str, ...]]] = {}
    for cat, tiers in raw.get("terms", {}).items():
        terms[str(cat)] = {str(t): tuple(str(w) for w in words) for t, words in tiers.items()}
    limit = raw.get("word_limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"{where}: word_limit must be a positive integer")
    region = raw.get("region")
    if region is not None:
        from phonenumbers import SUPPORTED_REGIONS

        if not isinstance(region, str) or region.upper() not in SUPPORTED_REGIONS:
            raise ConfigError(f"{where}: region must be a two-letter country code (ISO 3166)")
        region = region.upper()
    return Tightening(severity=sev, terms=terms, word_limit=limit, region=region)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"rules file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {path}: {exc}") from exc


def load_config(override_file: Path | None = None) -> RulesConfig:
    """Load the shipped rules and apply the override file's tightening, if any."""
    text = resources.files("relay.rules").joinpath("default_rules.toml").read_text("utf-8")
    base = tomllib.loads(text)
    rules: dict[str, RuleSpec] = {}
    for raw in base.get("rules", []):
        spec = _parse_rule(raw, "default rules")
        rules[spec.id] = spec
    chars_per_word = float(base.get("length", {}).get("chars_per_word", 1.5))
    over = _read(override_file) if override_file is not None else {}
    unknown = set(over) - {"defaults", "site", "rules"}
    if unknown:
        raise ConfigError(f"rules file: unknown sections {sorted(unknown)}")
    for raw in over.get("rules", []):
        spec = _parse_rule(raw, "rules file")
        if spec.id in rules:
            raise ConfigError(f"rules file: rule {spec.id!r} exists; raise its severity instead")
        rules[spec.id] = spec
    defaults = _parse_tightening(over.get("defaults", {}), "rules file [defaults]", rules)
    sites = {
        str(code): _parse_tightening(raw, f"rules file [site.{code}]", rules)
        for code, raw in over.get("site", {}).items()
    }
    return RulesConfig(tuple(rules.values()), chars_per_word, defaults, sites)
