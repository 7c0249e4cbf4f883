"""The bot's rules engine knows the sites: phone numbers are read by the site's country."""

from __future__ import annotations

from pathlib import Path

from bot.app import open_services
from relay.settings import Settings

_SITES = """
[[site]]
code = "IRQ"
name = "Iraq Site"
country = "Iraq"
country_code = "IQ"
languages = ["ar"]
"""


async def test_the_bots_checker_reads_phone_numbers_by_the_sites_country(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(_SITES, encoding="utf-8")
    svc = await open_services(Settings(data_dir=tmp_path / "data", sites_file=sites))
    try:
        found = svc.checker.check("call 0770 123 4567", site_code="IRQ")
        assert [(f.rule_id, getattr(f, "detail", None)) for f in found] == [
            ("contact.phone", "IQ +9647701234567")
        ]
        bare = svc.checker.check("Room 123456789", site_code="IRQ")
        assert [f.rule_id for f in bare] == ["code.digits"]
    finally:
        await svc.store.close()
