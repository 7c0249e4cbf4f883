"""The public API: ordering, JSON, word limits, site tightening, robustness, reentrancy."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.errors import ConfigError
from relay.models import Site
from relay.rules import Category, Finding, RuleEngine, Severity, findings_to_json


def test_findings_sorted_by_start_then_rule_id(engine: RuleEngine) -> None:
    text = "hide the rifles, call +44 7700 900123, the wеаpоn"
    findings = engine.check(text)
    assert findings == sorted(findings, key=lambda f: (f.start, f.rule_id))
    assert [f.rule_id for f in findings] == [
        "military.strong",
        "contact.phone",
        "military.strong",
        "obfuscation.mixed_script",
    ]


def test_finding_fields(engine: RuleEngine) -> None:
    [f] = engine.check("write to a@b.org")
    assert f == Finding(
        "contact.email", Category.CONTACT, Severity.REDACT, 9, 16, "a@b.org", "contact"
    )


def test_json_output(engine: RuleEngine) -> None:
    out = json.loads(findings_to_json(engine.check("والسلاح هنا")))
    assert out == [
        {
            "rule_id": "military.strong",
            "category": "military",
            "severity": "block",
            "start": 0,
            "end": 7,
            "matched": "والسلاح",
            "reason": "military",
        }
    ]
    assert "والسلاح" in findings_to_json(engine.check("والسلاح"))  # ensure_ascii=False


def test_clean_text_has_no_findings(engine: RuleEngine) -> None:
    assert engine.check("We are all well, the baby was born on Monday.") == []
    assert engine.check("") == []


@pytest.mark.parametrize(
    ("text", "limit", "over"),
    [
        pytest.param("one two three four five", 3, "four five", id="latin"),
        pytest.param("one two three", 3, None, id="at-limit"),
        pytest.param("один — два, три четыре", 2, "три четыре", id="dash-is-not-a-word"),
        pytest.param("我们都很好谢谢", 2, "很好谢谢", id="cjk-chars-per-word"),
        pytest.param("สบายดีครับ", 2, "ยดีครับ", id="thai"),
    ],
)
def test_word_limit(engine: RuleEngine, text: str, limit: int, over: str | None) -> None:
    found = [f for f in engine.check(text, word_limit=limit) if f.rule_id == "length.words"]
    if over is None:
        assert found == []
    else:
        [f] = found
        assert f.severity is Severity.BLOCK
        assert f.matched == over
        assert text.endswith(f.matched)


def test_no_word_limit_no_length_finding(engine: RuleEngine) -> None:
    assert engine.check("word " * 1000) == []


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_site_tightening(tmp_path: Path) -> None:
    # Given a rules file that tightens one site
    path = _write(
        tmp_path,
        """
[site.KAB]
word_limit = 3
severity = { "military.weak" = "block", "contact.phone" = "block" }
terms = { political = { strong = ["governor"] } }
""",
    )
    eng = RuleEngine.load(path)
    text = "the war and the governor, call +44 7700 900123"
    # When the text is checked for that site and for another one
    kab = {f.rule_id: f.severity for f in eng.check(text, site_code="KAB")}
    other = {f.rule_id: f.severity for f in eng.check(text, site_code="XYZ")}
    # Then only the tightened site sees the stricter severities, term and limit
    assert kab == {
        "military.weak": Severity.BLOCK,
        "contact.phone": Severity.BLOCK,
        "political.strong": Severity.BLOCK,
        "length.words": Severity.BLOCK,
    }
    assert other == {"military.weak": Severity.FLAG, "contact.phone": Severity.REDACT}
    # the caller's lower limit wins over the site's
    [f] = [
        f
        for f in eng.check("a b c d e", site_code="KAB", word_limit=2)
        if f.rule_id == "length.words"
    ]
    assert f.matched == "c d e"


def test_defaults_section_applies_to_every_site(tmp_path: Path) -> None:
    eng = RuleEngine.load(_write(tmp_path, '[defaults]\nseverity = { "code.digits" = "redact" }'))
    [f] = eng.check("remember 4471223", site_code="ANY")
    assert f.severity is Severity.REDACT


def test_new_rule_in_override_file(tmp_path: Path) -> None:
    eng = RuleEngine.load(
        _write(
            tmp_path,
            """
[[rules]]
id = "code.short_digits"
category = "code"
severity = "flag"
detector = "digit_run"
params = { min_digits = 5 }
""",
        )
    )
    assert [f.rule_id for f in eng.check("code 12345")] == ["code.short_digits"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('[site.KAB]\nseverity = { "contact.phone" = "flag" }', id="loosen"),
        pytest.param('[site.KAB]\nseverity = { "no.such" = "block" }', id="unknown-rule"),
        pytest.param('[site.KAB]\nseverity = { "contact.phone" = "maybe" }', id="bad-severity"),
        pytest.param('[site.KAB]\ndisable = ["contact.phone"]', id="disable"),
        pytest.param('[site.KAB]\nterms = { gossip = { strong = ["x"] } }', id="bad-category"),
        pytest.param("[site.KAB]\nword_limit = 0", id="bad-limit"),
        pytest.param(
            '[[rules]]\nid = "contact.phone"\ncategory = "contact"\nseverity = "flag"\n'
            'detector = "phone"',
            id="redefine-shipped-rule",
        ),
        pytest.param(
            '[[rules]]\nid = "x"\ncategory = "x"\nseverity = "flag"\ndetector = "phone"',
            id="bad-category-in-rule",
        ),
        pytest.param(
            '[[rules]]\nid = "x"\ncategory = "code"\nseverity = "flag"\ndetector = "nope"',
            id="unknown-detector",
        ),
        pytest.param("this is = not toml [", id="bad-toml"),
        pytest.param("[sitee.KAB]", id="unknown-section"),
    ],
)
def test_override_file_cannot_loosen_or_be_malformed(tmp_path: Path, body: str) -> None:
    with pytest.raises(ConfigError):
        RuleEngine.load(_write(tmp_path, body))


def test_missing_override_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rules file"):
        RuleEngine.load(tmp_path / "absent.toml")


def test_env_rules_file_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, '[defaults]\nseverity = { "military.weak" = "block" }')
    monkeypatch.setenv("RCM_RULES_FILE", str(path))
    [f] = RuleEngine.load().check("the war")
    assert f.severity is Severity.BLOCK


def test_check_is_reentrant_across_threads(engine: RuleEngine) -> None:
    texts = [
        "hide the rifles, call +44 7700 900123",
        "والسلاح ۰۹۱۲ ۳۴۵ ۶۷۸۹",
        "Война, калашников",
        "Grandma Bank is well",
    ] * 50
    expected = [engine.check(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(engine.check, texts))
    assert got == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        st.one_of(
            st.characters(codec=None),
            st.sampled_from(list("0123456789۰۹٣ +-.@/:°'\"wаrسلاح\u200b\u0640")),
        ),
        max_size=3000,
    )
)
def test_check_never_raises_and_spans_are_exact(engine: RuleEngine, text: str) -> None:
    for f in engine.check(text, word_limit=50):
        assert 0 <= f.start < f.end <= len(text)
        assert f.matched == text[f.start : f.end]


def _site(code: str, country_code: str) -> Site:
    return Site(
        code=code, name=f"Site {code}", country="", languages=("ar",), country_code=country_code
    )


def test_phone_numbers_are_read_by_the_country_of_the_messages_site(tmp_path: Path) -> None:
    # The rules file gives no region (the default setup): the sites file's country counts
    engine = RuleEngine.load(
        _write(tmp_path, ""), sites={"IRQ": _site("IRQ", "IQ"), "NOC": _site("NOC", "")}
    )

    def seen(text: str, site: str | None) -> list[tuple[str, str, str]]:
        return [(f.rule_id, f.matched, f.detail) for f in engine.check(text, site_code=site)]

    # A bare run that is no Iraqi number is lowered to a digit run to look at
    assert seen("Room 123456789", "IRQ") == [("code.digits", "123456789", "")]
    # A national-format number gets its country and E.164 form
    assert seen("call 0770 123 4567", "IRQ") == [
        ("contact.phone", "0770 123 4567", "IQ +9647701234567")
    ]
    # A site without a country, or no site, reads them as before: no opinion
    assert seen("Room 123456789", "NOC") == [("contact.phone", "123456789", "")]
    assert seen("call 0770 123 4567", None) == [("contact.phone", "0770 123 4567", "")]


def test_the_rules_files_region_is_the_fallback_of_the_sites_country(tmp_path: Path) -> None:
    rules = _write(
        tmp_path,
        '[site.IRQ]\nregion = "AF"\n[site.NOC]\nregion = "IQ"\n',
    )
    engine = RuleEngine.load(
        rules, sites={"IRQ": _site("IRQ", "IQ"), "NOC": _site("NOC", ""), "XX": _site("XX", "ZZ")}
    )
    text = "call 0770 123 4567"
    assert [f.detail for f in engine.check(text, site_code="IRQ")] == ["IQ +9647701234567"]
    assert [f.detail for f in engine.check(text, site_code="NOC")] == ["IQ +9647701234567"]
    # A country phonenumbers does not know is no opinion (not "every number is invalid")
    assert [f.rule_id for f in engine.check("Room 123456789", site_code="XX")] == ["contact.phone"]
