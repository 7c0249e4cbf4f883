"""Render a print batch: cover sheet, manifest, then one form per message with its reply part."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from fpdf import FPDF

from relay.errors import UnprintableCharacters
from relay.export import fonts
from relay.export.drawing import Side, set_shaping_for
from relay.export.form import draw_message
from relay.export.items import BatchHeader, PrintItem
from relay.export.labels import FormWords, Labels, identity, translate_labels
from relay.export.layout import (
    RTL_LANGS,
    SIZE_FACTOR,
    Geometry,
    PreparedItem,
    dominant_family,
    geometry,
    prepare,
)
from relay.export.pages import draw_cover, draw_manifest

log = logging.getLogger("relay.export")

TranslatorFactory = Callable[[str], Callable[[str], str]]

PRODUCER = "RCM Relay"


def check_printable(header: BatchHeader, labels: Labels, prepared: Sequence[PreparedItem]) -> None:
    """Raise UnprintableCharacters if the batch's own words cannot be printed, or no message.

    A message with letters no font draws is held back (`PreparedItem.held`) while the others
    print; only a batch none of whose messages can be printed stops here.
    """
    batch_strings = (header.site_code, header.site_name, header.batch_id, *labels.strings())
    missing = fonts.missing_chars(batch_strings)
    if missing:
        raise UnprintableCharacters(header.batch_id, missing)
    for entry in prepared:
        if entry.held:
            log.warning(
                "export: %s held back, %d character(s) no font draws",
                entry.item.reference,
                len(entry.held),
            )
    if prepared and all(entry.held for entry in prepared):
        raise UnprintableCharacters(prepared[0].item.reference, prepared[0].held)


class BatchPDF(FPDF):
    """An FPDF whose footer names the batch and the page (no personal data)."""

    def __init__(self, geo: Geometry, footer_text: str, words: Labels, rtl: bool) -> None:
        super().__init__(orientation="P", unit="mm", format=(geo.width, geo.height))
        self.geo = geo
        self.footer_text = footer_text
        # The language and direction of the page being drawn (read by footer() when the
        # page is finished) and of the pages to come: add_page() finishes the previous page
        # first, so a new language takes effect only once its first page has begun.
        self.page_words = self.next_words = words
        self.page_rtl = self.next_rtl = rtl
        self._widths: dict[tuple[object, ...], float] = {}

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        """Start a page in the language and direction set for the pages to come."""
        super().add_page(*args, **kwargs)
        self.page_words, self.page_rtl = self.next_words, self.next_rtl

    def get_string_width(self, s: str, normalized: bool = False, markdown: bool = False) -> float:
        """Measure `s` once per batch for each font and shaping setting (same value as fpdf2).

        Labels, names and the words of messages are measured again and again (to fit a
        cell, to wrap a line); each measure runs the bidi algorithm and HarfBuzz.
        """
        shaping = self.text_shaping
        key = (
            s,
            normalized,
            markdown,
            self.font_family,
            self.font_style,
            self.font_size_pt,
            self.font_stretching,
            self.char_spacing,
            None
            if shaping is None
            else (
                shaping["direction"],
                shaping["script"],
                shaping["language"],
                tuple(sorted(shaping["features"].items())),
            ),
        )
        width = self._widths.get(key)
        if width is None:
            width = super().get_string_width(s, normalized, markdown)
            self._widths[key] = width
        return width

    def footer(self) -> None:
        """Print batch id and page number at the foot of the page, in the page's direction.

        Two cells, each set in its own direction: the batch id (always left to right) at
        the outer edge, "Page N" in the page's language at the inner one. Both are short:
        drawn without the measure-and-shrink of `text_cell`.
        """
        geo = self.geo
        side = Side(geo.width, self.page_rtl)
        half = (geo.width - 2 * geo.margin) / 2
        y = geo.height - geo.mm(8)
        height = geo.mm(4)
        page = f"{self.page_words.page} {self.page_no()}"
        self.set_text_color(90)
        for x, text, align in (
            (geo.margin, self.footer_text, "L"),
            (geo.margin + half, page, "R"),
        ):
            shaped = set_shaping_for(self, text)
            family = dominant_family(text)
            self.set_font(family, "", geo.pt(7) * SIZE_FACTOR.get(family, 1.0))
            self.set_xy(side.x(x, half), y)
            self.cell(half, height, text, align=side.align(align))
            if not shaped:
                self.set_text_shaping(True)
        self.set_text_color(0)


def _new_pdf(
    header: BatchHeader,
    geo: Geometry,
    labels: Labels,
    faces: Sequence[fonts.FontFace],
    *,
    rtl: bool,
) -> BatchPDF:
    pdf = BatchPDF(geo, f"{header.site_code} · {header.batch_id}", labels, rtl)
    pdf.set_auto_page_break(False)
    pdf.set_margins(geo.margin, geo.margin, geo.margin)
    # Fixed dates and metadata: exporting the same batch again gives the same bytes.
    created = datetime.datetime.combine(header.created, datetime.time(), tzinfo=datetime.UTC)
    pdf.set_creation_date(created)
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    pdf.set_title(f"{header.site_code} {header.batch_id}")
    pdf.set_text_shaping(True)
    fonts.register_fonts(pdf, faces)
    return pdf


def _base(language: str) -> str:
    return language.replace("_", "-").split("-", maxsplit=1)[0].lower()


def render_batch(
    header: BatchHeader,
    items: Sequence[PrintItem],
    *,
    _: Callable[[str], str] = identity,
    labels: Callable[[str], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    language: str = "en",
    translator_for: TranslatorFactory | None = None,
) -> bytes:
    """Render the batch PDF; messages no font can print are left out (see `prepare`).

    `_` (or `labels`) gives the site's working language, `language` its code: cover,
    manifest and the second label of every form. `translator_for` turns the language a
    message's reader reads into a gettext function for the form's own labels; without it
    every form is in the site's language only.
    """
    started = time.perf_counter()
    geo = geometry(header.page_size)
    site_words = translate_labels(labels or _)
    prepared = [prepare(item) for item in items]
    check_printable(header, site_words, prepared)
    printed = [entry for entry in prepared if not entry.held]
    forms = _form_words(printed, site_words, translator_for)

    strings: list[str] = [header.site_code, header.site_name, header.batch_id]
    strings.extend(site_words.strings())
    for entry, words in zip(printed, forms, strict=True):
        strings.extend(entry.printed_strings())
        strings.extend(words.own.strings())
    faces = fonts.faces_needed(strings)
    site_rtl = _base(language) in RTL_LANGS
    pdf = _new_pdf(header, geo, site_words, faces, rtl=site_rtl)

    draw_cover(pdf, geo, site_words, header, len(printed), rtl=site_rtl)
    draw_manifest(pdf, geo, site_words, printed, rtl=site_rtl)
    total = len(printed)
    for done, (entry, words) in enumerate(zip(printed, forms, strict=True), start=1):
        pdf.next_words, pdf.next_rtl = words.own, entry.rtl
        draw_message(pdf, geo, words, entry, extra_page=header.reply_page)
        if progress is not None:
            progress(done, total)
    data = bytes(pdf.output())
    log.info(
        "export: batch %s rendered, %d message(s), %d held back, %d page(s), %.2f s",
        header.batch_id,
        total,
        len(prepared) - total,
        pdf.page_no(),
        time.perf_counter() - started,
    )
    return data


def _form_words(
    printed: Sequence[PreparedItem], site: Labels, translator_for: TranslatorFactory | None
) -> list[FormWords]:
    """Return the labels of each form: the reader's language with the site's beside it."""
    cache: dict[str, FormWords] = {}
    out: list[FormWords] = []
    for entry in printed:
        lang = entry.item.reader_lang or entry.item.lang
        words = cache.get(lang)
        if words is None:
            own = site if translator_for is None else translate_labels(translator_for(lang))
            words = cache[lang] = FormWords(own=own, site=site)
        out.append(words)
    return out
