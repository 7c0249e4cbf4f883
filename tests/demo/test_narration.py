"""The demo's narration reads as a person would write it: no rule ids, no word cut in half."""

from __future__ import annotations

import pytest

from demo.people import MOTHER, SISTER
from demo.story import _flagged, clip
from relay.rules import RuleEngine


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("short enough", 20, "short enough", id="untouched"),
        pytest.param("one two three four", 12, "one two…", id="at-a-space"),
        pytest.param("تمت الموافقة على رسالتك", 14, "تمت الموافقة…", id="arabic"),
        pytest.param("word / next", 8, "word…", id="no-dangling-separator"),
        pytest.param("abcdefghijklmnop", 8, "abcdefg…", id="one-long-word"),
    ],
)
def test_clip_cuts_between_words(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected
    assert len(clip(text, limit)) <= limit


def test_findings_are_narrated_with_their_reason_not_their_rule_id() -> None:
    engine = RuleEngine.load(None)
    phone = engine.check(MOTHER.text, lang="ar", site_code="ALP", word_limit=150)
    assert [_flagged(f) for f in phone] == [
        "«0944 123 456»: contact details (phone, e-mail, link) will be removed"
    ]
    long = engine.check(SISTER.text, lang="es", site_code="CDR", word_limit=20)
    assert [_flagged(f) for f in long] == ["too long for this place of detention"]
