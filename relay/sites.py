"""Detention sites: loaded from a TOML file (``[[site]]`` tables), searched in any script.

A site may carry its name in the families' languages (``[site.names]`` with ``ar = "..."``)
and an ISO country code (``country_code = "IQ"``) that picks regional month names and the
country its messages' phone numbers are read by (the rules engine's second opinion).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from relay.errors import ConfigError
from relay.models import Site
from relay.rules.normalize import normalize

PAGE_SIZES = ("A4", "A5")  # as relay.export.items; not imported, to keep fpdf2 out of here
_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _names(entry: dict[str, object], where: str, code: str) -> tuple[tuple[str, str], ...]:
    names = entry.get("names", {})
    if not isinstance(names, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in names.items()
    ):
        raise ConfigError(f"{where}: site {code}: names must be a table of language = name")
    return tuple((str(k), str(v).strip()) for k, v in names.items())


def _site(entry: dict[str, object], where: str) -> Site:
    code = str(entry.get("code", "")).strip().upper()
    if not _CODE.match(code):
        raise ConfigError(f"{where}: site code {code!r} must be 2-10 letters or digits")
    name = str(entry.get("name", "")).strip()
    if not name:
        raise ConfigError(f"{where}: site {code} has no name")
    languages = entry.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ConfigError(f"{where}: site {code}: languages must be a list of codes")
    numbers: dict[str, int] = {}
    for key, default in (("word_limit", 200), ("review_days", 14), ("retention_days", 180)):
        value = entry.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: site {code}: {key} must be a positive whole number")
        numbers[key] = value
    country_code = str(entry.get("country_code", "")).strip().upper()
    if country_code and not _COUNTRY.match(country_code):
        raise ConfigError(f"{where}: site {code}: country_code must be two letters (ISO 3166)")
    paper = str(entry.get("paper", "A4")).upper()
    if paper not in PAGE_SIZES:
        raise ConfigError(f"{where}: site {code}: paper must be A4 or A5")
    reply_page = entry.get("reply_page", False)
    if not isinstance(reply_page, bool):
        raise ConfigError(f"{where}: site {code}: reply_page must be true or false")
    return Site(
        code=code,
        name=name,
        country=str(entry.get("country", "")),
        languages=tuple(languages),
        names=_names(entry, where, code),
        country_code=country_code,
        paper=paper,
        reply_page=reply_page,
        **numbers,
    )


def parse_sites(text: str, where: str = "sites") -> dict[str, Site]:
    """Parse the TOML text of a sites file into sites by code."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    entries = data.get("site", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: no [[site]] entries")
    sites: dict[str, Site] = {}
    for entry in entries:
        site = _site(entry, where)
        if site.code in sites:
            raise ConfigError(f"{where}: site {site.code} is listed twice")
        sites[site.code] = site
    return sites


def load_sites(path: Path | None) -> dict[str, Site]:
    """Load sites from ``path``, or the packaged default list."""
    if path is None:
        text = resources.files("relay.data").joinpath("sites.toml").read_text(encoding="utf-8")
        return parse_sites(text, "default sites")
    return parse_sites(path.read_text(encoding="utf-8"), str(path))


def _folded(text: str) -> str:
    """Fold case, Arabic and Persian letter forms, digits and spacing for matching."""
    return normalize(" ".join(text.split())).text


def search_sites(sites: Mapping[str, Site], typed: str) -> list[Site]:
    """Return the sites whose code, country or name in any language contains the typed text."""
    needle = _folded(typed)
    if not needle:
        return list(sites.values())
    return [
        s
        for s in sites.values()
        if any(
            needle in _folded(hay)
            for hay in (s.code, s.country, s.name, *(name for _, name in s.names))
        )
    ]
