"""The translator factory of the export worker: printed labels in a batch's language.

A module-level function (picklable) so that ``relay.export.worker`` can hand it to the
spawned process; kept in a small module so the worker imports little more than Babel.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n.catalog import negotiate, translator
from relay.models import Site


def label_gettext(language: str) -> Callable[[str], str]:
    """Return the gettext function of a supported language (English otherwise)."""
    return translator(language).gettext


def print_language(site: Site) -> str:
    """Return the language a site's batches are printed in: its first one we have, or English."""
    for code in site.languages[:1]:
        found = negotiate(code)
        if found is not None:
            return found
    return "en"
