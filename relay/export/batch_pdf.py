"""Render a print batch: cover sheet, manifest, then one form per message with its reply part."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Sequence

from fpdf import FPDF

from relay.errors import UnprintableCharacters
from relay.export import fonts
from relay.export.drawing import set_shaping_for
from relay.export.form import draw_message
from relay.export.items import BatchHeader, PrintItem
from relay.export.labels import Labels, identity, translate_labels
from relay.export.layout import Geometry, PreparedItem, geometry, prepare
from relay.export.pages import draw_cover, draw_manifest

log = logging.getLogger("relay.export")

PRODUCER = "RCM Relay"


def check_printable(header: BatchHeader, labels: Labels, prepared: Sequence[PreparedItem]) -> None:
    """Raise UnprintableCharacters for the first item (or the batch) no font can draw."""
    batch_strings = (header.site_code, header.site_name, header.batch_id, *labels.strings())
    missing = fonts.missing_chars(batch_strings)
    if missing:
        raise UnprintableCharacters(header.batch_id, missing)
    for entry in prepared:
        missing = fonts.missing_chars(entry.printed_strings())
        if missing:
            log.warning(
                "export: %s has %d character(s) no font draws",
                entry.item.reference,
                len(missing),
            )
            raise UnprintableCharacters(entry.item.reference, missing)


class BatchPDF(FPDF):
    """An FPDF whose footer names the batch and the page (no personal data)."""

    def __init__(self, geo: Geometry, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format=(geo.width, geo.height))
        self.geo = geo
        self.footer_text = footer_text
        self._widths: dict[tuple[object, ...], float] = {}

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
        """Print the batch id and page number at the foot of every page."""
        geo = self.geo
        text = f"{self.footer_text} · {self.page_no()}"
        shaped = set_shaping_for(self, text)
        self.set_font(fonts.LATIN, "", geo.pt(7))
        self.set_text_color(90)
        self.set_xy(geo.margin, geo.height - geo.mm(8))
        self.cell(geo.width - 2 * geo.margin, geo.mm(4), text, align="R")
        self.set_text_color(0)
        if not shaped:
            self.set_text_shaping(True)


def _new_pdf(
    header: BatchHeader, geo: Geometry, labels: Labels, faces: Sequence[fonts.FontFace]
) -> BatchPDF:
    pdf = BatchPDF(geo, f"{header.site_code} · {header.batch_id} · {labels.page}")
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


def render_batch(
    header: BatchHeader,
    items: Sequence[PrintItem],
    *,
    _: Callable[[str], str] = identity,
    labels: Callable[[str], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Render the batch PDF; raise UnprintableCharacters before writing anything."""
    started = time.perf_counter()
    geo = geometry(header.page_size)
    words = translate_labels(labels or _)
    prepared = [prepare(item) for item in items]
    check_printable(header, words, prepared)

    strings: list[str] = [header.site_code, header.site_name, header.batch_id]
    strings.extend(words.strings())
    for entry in prepared:
        strings.extend(entry.printed_strings())
    faces = fonts.faces_needed(strings)
    pdf = _new_pdf(header, geo, words, faces)

    draw_cover(pdf, geo, words, header, len(prepared))
    draw_manifest(pdf, geo, words, prepared)
    total = len(prepared)
    for done, entry in enumerate(prepared, start=1):
        draw_message(pdf, geo, words, entry)
        if progress is not None:
            progress(done, total)
    data = bytes(pdf.output())
    log.info(
        "export: batch %s rendered, %d message(s), %d page(s), %.2f s",
        header.batch_id,
        total,
        pdf.page_no(),
        time.perf_counter() - started,
    )
    return data
