"""Catalogs ship inside the package, and the bot refuses to start without one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import app as app_module
from bot.i18n import catalog
from relay.errors import ConfigError
from relay.settings import Settings


def test_catalogs_live_inside_the_package() -> None:
    assert catalog.LOCALES_DIR.parent == Path(catalog.__file__).resolve().parent
    assert catalog.missing_catalogs() == []


def test_the_bot_refuses_to_start_when_a_language_has_no_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an installation whose Arabic catalog is missing
    partial = tmp_path / "locales"
    shutil.copytree(catalog.LOCALES_DIR, partial)
    shutil.rmtree(partial / "ar")
    monkeypatch.setattr(catalog, "LOCALES_DIR", partial)
    monkeypatch.setattr(app_module, "LOCALES_DIR", partial)
    # When the bot is built, then it refuses, naming the language
    with pytest.raises(ConfigError) as caught:
        app_module.build_application(Settings(bot_token="123:abc"))
    assert str(caught.value) == f"translations missing for ar in {partial}: reinstall rcm-relay"
