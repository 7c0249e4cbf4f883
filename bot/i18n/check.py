"""Catalog checks run by the test command: template current, catalogs complete and valid.

``python -m bot.i18n.check`` exits non-zero (and says why) when
- ``words/locales/messages.pot`` differs from a fresh extraction (someone added a string),
- a catalog misses a message, has an empty or fuzzy translation, or a placeholder
  (``{name}``) that differs from its msgid,
- ``pybabel compile`` reports an error (checked by its exit code: it still writes a .mo).
``--update`` re-extracts the template and merges it into every catalog first.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n.catalog import LOCALES_DIR, SUPPORTED

ROOT = Path(__file__).resolve().parents[2]  # the source tree: babel.cfg, bot/, relay/
TEMPLATE = LOCALES_DIR / "messages.pot"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
KEYWORDS = ["-k", "N_", "-k", "ngettext:1,2"]
# English is the source language: its strings are the msgids themselves.
TRANSLATED = tuple(code for code in SUPPORTED if code != "en")


def _pybabel() -> str:
    return str(Path(sys.executable).with_name("pybabel"))


def extract(dest: Path) -> None:
    """Extract every marked string of bot/, relay/, console/ and words/ into ``dest``."""
    subprocess.run(  # noqa: S603 - fixed arguments, our own tool
        [
            _pybabel(),
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            *KEYWORDS,
            "--add-comments=Translators:",
            "--no-location",
            "--sort-output",
            "--project=rcm-relay",
            "-o",
            str(dest),
            "bot",
            "relay",
            "console",
            "words",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog: Catalog) -> set[str]:
    return {str(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def check_template() -> list[str]:
    """Return problems with the template (missing or stale)."""
    if not TEMPLATE.is_file():
        return [f"{TEMPLATE} is missing: run python -m bot.i18n.check --update"]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pot"
        extract(fresh)
        new, old = _ids(_read(fresh)), _ids(_read(TEMPLATE))
    problems = []
    if new - old:
        problems.append(
            f"template is stale: {len(new - old)} new strings, e.g. {sorted(new - old)[0]!r}"
        )
    if old - new:
        problems.append(f"template is stale: {len(old - new)} strings no longer used")
    return problems


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_catalog(lang: str) -> list[str]:
    """Return problems with one language's catalog."""
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return [f"{lang}: {path} is missing"]
    catalog, template = _read(path), _read(TEMPLATE)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if found is None:
            problems.append(f"{lang}: missing {key!r}")
            continue
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if found.fuzzy or not all(strings):
            problems.append(f"{lang}: untranslated or fuzzy {key!r}")
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for s in strings:
            got = _placeholders(s or "")
            # A plural form may drop {n} (e.g. "one message"), but may never invent one.
            if not got <= wanted or (len(ids) == 1 and got != wanted):
                problems.append(
                    f"{lang}: placeholders {sorted(got)} != {sorted(wanted)} in {key!r}"
                )
    return problems


def compile_all() -> list[str]:
    """Compile every catalog; report failures by pybabel's exit code."""
    problems = []
    for lang in TRANSLATED:
        result = subprocess.run(  # noqa: S603 - fixed arguments, our own tool
            [
                _pybabel(),
                "compile",
                "-d",
                str(LOCALES_DIR),
                "-D",
                "messages",
                "-l",
                lang,
                "--statistics",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            problems.append(f"{lang}: pybabel compile failed: {result.stderr.strip()[-300:]}")
    return problems


def update() -> None:
    """Re-extract the template and merge it into every catalog."""
    extract(TEMPLATE)
    for lang in TRANSLATED:
        po = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
        args = [
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES_DIR),
            "-D",
            "messages",
            "-l",
            lang,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        ]
        if not po.is_file():
            args[0] = "init"
            args = args[:9]
        subprocess.run([_pybabel(), *args], check=True, capture_output=True)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="re-extract and merge first")
    args = parser.parse_args(argv)
    if args.update:
        update()
    problems = check_template()
    for lang in TRANSLATED:
        problems += check_catalog(lang)
    problems += compile_all()
    for problem in problems[:60]:
        print(problem, file=sys.stderr)
    if len(problems) > 60:
        print(f"... and {len(problems) - 60} more", file=sys.stderr)
    if problems:
        print(f"catalogs: {len(problems)} problems", file=sys.stderr)
        return 1
    print(f"catalogs: template current, {len(TRANSLATED)} translations complete and compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
