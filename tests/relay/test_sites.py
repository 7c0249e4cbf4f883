"""Detention sites from TOML: the packaged list and the errors of a bad file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relay.errors import ConfigError
from relay.models import Site
from relay.sites import load_sites, parse_sites


def test_default_sites(sites: dict[str, Site]) -> None:
    assert list(sites) == ["ALP", "BRV", "CDR", "DLT"]
    assert sites["ALP"] == Site(
        code="ALP",
        name="Alpha Central Prison",
        country="Northland",
        languages=("ar", "en"),
        word_limit=200,
        review_days=14,
        retention_days=180,
    )
    assert sites["CDR"].word_limit == 25
    assert (sites["CDR"].paper, sites["CDR"].reply_page) == ("A5", True)
    assert (sites["ALP"].paper, sites["ALP"].reply_page) == ("A4", False)
    assert sites["BRV"].languages == ("uk", "ru")


def test_sites_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        "[[site]]\ncode = 'kb1'\nname = 'Kilo'\nlanguages = ['ps']\nreview_days = 7\n",
        encoding="utf-8",
    )
    assert load_sites(path) == {
        "KB1": Site(code="KB1", name="Kilo", country="", languages=("ps",), review_days=7)
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "t: no [[site]] entries"),
        ("[[site]]\ncode='A'\nname='x'", "t: site code 'A' must be 2-10 letters or digits"),
        ("[[site]]\ncode='AB-1'\nname='x'", "t: site code 'AB-1' must be 2-10 letters or digits"),
        ("[[site]]\ncode='AB'", "t: site AB has no name"),
        (
            "[[site]]\ncode='AB'\nname='x'\nlanguages='ar'",
            "t: site AB: languages must be a list of codes",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\nword_limit=0",
            "t: site AB: word_limit must be a positive whole number",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\nreview_days=true",
            "t: site AB: review_days must be a positive whole number",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\npaper='Letter'",
            "t: site AB: paper must be A4 or A5",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\nreply_page='yes'",
            "t: site AB: reply_page must be true or false",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\n[[site]]\ncode='ab'\nname='y'",
            "t: site AB is listed twice",
        ),
    ],
)
def test_bad_sites_file(text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(error)}$"):
        parse_sites(text, "t")


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^t: "):
        parse_sites("[[site]\n", "t")
