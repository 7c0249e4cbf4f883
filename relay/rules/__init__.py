"""Content rules engine: normalisation, detectors and findings with spans in the original text.

Usage::

    engine = RuleEngine.load(settings.rules_file)   # once, at start-up
    findings = engine.check(text, lang="fa", site_code="KAB", word_limit=200)
    print(findings_to_json(findings))
"""

from relay.rules.config import Category, Severity
from relay.rules.engine import Finding, RuleEngine
from relay.rules.report import findings_to_json

__all__ = ["Category", "Finding", "RuleEngine", "Severity", "findings_to_json"]
