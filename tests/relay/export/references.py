"""Reference renderings of printed letters, checked by test_print_form.py.

Regenerate after a deliberate change of the form, then LOOK at every PNG before committing:
    .venv/bin/python -m tests.relay.export.references
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from tests.relay.export.samples import (
    ALP_HEADER,
    ALP_ITEMS,
    ALP_PAGES,
    BRV_HEADER,
    CDR_HEADER,
    FR_ITEM,
    HEADER,
    NEW_SCRIPT_ITEMS,
    NEW_SCRIPT_PAGES,
    UK_ITEM,
    site_batch,
)

REFERENCE_DIR = Path(__file__).with_name("reference")


@functools.cache
def alp_batch() -> bytes:
    return site_batch(ALP_HEADER, ALP_ITEMS, "ar")


@functools.cache
def brv_batch() -> bytes:
    return site_batch(BRV_HEADER, (UK_ITEM,), "uk")


@functools.cache
def cdr_batch() -> bytes:
    return site_batch(CDR_HEADER, (FR_ITEM,), "fr")


@functools.cache
def new_script_batch() -> bytes:
    """Amharic and Pashto letters at an English-speaking site."""
    return site_batch(HEADER, NEW_SCRIPT_ITEMS, "en")


# name -> (batch, page index): a letter in each script the bot speaks, at sites of either
# direction. "uk-at-ar-site" is the mixed page: Ukrainian form, Arabic labels beside.
REFERENCES: dict[str, tuple[Callable[[], bytes], int]] = {
    "ar": (alp_batch, ALP_PAGES["ar"]),
    "fa-at-ar-site": (alp_batch, ALP_PAGES["fa"]),
    "fr-at-ar-site": (alp_batch, ALP_PAGES["fr"]),
    "uk-at-ar-site": (alp_batch, ALP_PAGES["uk"]),
    "uk": (brv_batch, 2),
    "fr-a5": (cdr_batch, 2),
    "fr-a5-reply-page": (cdr_batch, 3),
    "ar-manifest": (alp_batch, 1),
    "am": (new_script_batch, NEW_SCRIPT_PAGES["am"]),
    "ps": (new_script_batch, NEW_SCRIPT_PAGES["ps"]),
}


def render(name: str) -> Image.Image:
    """Render the reference page `name` as the test compares it (grey, 1 px per pt)."""
    make, index = REFERENCES[name]
    # pypdfium2 has no type hints: say what to_pil() gives.
    page: Image.Image = pdfium.PdfDocument(make())[index].render(scale=1).to_pil()
    return page.convert("L")


def main() -> None:
    """Write every reference PNG."""
    REFERENCE_DIR.mkdir(exist_ok=True)
    for old in REFERENCE_DIR.glob("*.png"):
        old.unlink()
    for name in REFERENCES:
        render(name).save(REFERENCE_DIR / f"{name}.png", optimize=True)
        print(REFERENCE_DIR / f"{name}.png")


if __name__ == "__main__":
    main()
