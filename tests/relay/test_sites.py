"""Detention sites from TOML: the packaged list and the errors of a bad file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relay.errors import ConfigError
from relay.models import Site
from relay.sites import load_sites, parse_sites, search_sites


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
        names=(
            ("ar", "سجن ألفا المركزي"),
            ("fr", "Prison centrale Alpha"),
            ("es", "Prisión Central Alfa"),
            ("fa", "زندان مرکزی آلفا"),
            ("so", "Xabsiga Dhexe ee Alfa"),
            ("sw", "Gereza Kuu la Alfa"),
        ),
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
        (
            "[[site]]\ncode='AB'\nname='x'\nnames={ar=''}",
            "t: site AB: names must be a table of language = name",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\nnames=['x']",
            "t: site AB: names must be a table of language = name",
        ),
        (
            "[[site]]\ncode='AB'\nname='x'\ncountry_code='SYR'",
            "t: site AB: country_code must be two letters (ISO 3166)",
        ),
    ],
)
def test_bad_sites_file(text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(error)}$"):
        parse_sites(text, "t")


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^t: "):
        parse_sites("[[site]\n", "t")


def test_names_and_country_code_are_read() -> None:
    text = (
        "[[site]]\ncode='ADR'\nname='Adra Prison'\ncountry_code='sy'\n"
        "[site.names]\nar='سجن عدرا'\n"
    )
    site = parse_sites(text, "t")["ADR"]
    assert (site.country_code, site.local_name("ar"), site.local_name("uk")) == (
        "SY",
        "سجن عدرا",
        "Adra Prison",
    )


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        pytest.param("سجن", ["ALP"], id="arabic-prison"),
        pytest.param("سجن الفا", ["ALP"], id="arabic-without-hamza"),
        pytest.param("سجن ألفا", ["ALP"], id="arabic-with-hamza"),
        pytest.param("دلتا", ["DLT"], id="persian-and-arabic-script"),
        pytest.param("زندان مركزي", ["ALP"], id="persian-typed-with-arabic-kaf-and-yeh"),
        pytest.param("ізолятор", ["BRV"], id="ukrainian"),
        pytest.param("СЛІДЧИЙ  ІЗОЛЯТОР", ["BRV"], id="ukrainian-upper-case-and-spaces"),
        pytest.param("изолятор", ["BRV"], id="russian"),
        pytest.param("ሴዳር", ["CDR"], id="amharic"),
        pytest.param("gereza", ["ALP"], id="swahili"),
        pytest.param("cedar", ["CDR"], id="english"),
        pytest.param("alp", ["ALP"], id="code"),
        pytest.param("", ["ALP", "BRV", "CDR", "DLT"], id="empty-lists-all"),
        pytest.param("نیست", [], id="nothing"),
    ],
)
def test_places_are_found_in_any_script(
    sites: dict[str, Site], typed: str, codes: list[str]
) -> None:
    assert [s.code for s in search_sites(sites, typed)] == codes
