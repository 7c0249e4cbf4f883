"""Detention sites: loaded from a TOML file (``[[site]]`` tables)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from relay.errors import ConfigError
from relay.models import Site

PAGE_SIZES = ("A4", "A5")  # as relay.export.items; not imported, to keep fpdf2 out of here
_CODE = re.compile(r"^[A-Z0-9]{2,10}$")


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
