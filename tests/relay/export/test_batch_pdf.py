"""Print batches read back as PDFs and as rendered pages (no mocks)."""

from __future__ import annotations

import dataclasses
import io
import re
import zlib

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from relay.errors import UnprintableCharacters
from relay.export import render_batch
from relay.export.fonts import ARABIC, ETHIOPIC, LATIN, missing_chars
from relay.export.layout import needs_shaping, prepare, redact, text_style
from relay.export.qr import qr_blocks, qr_runs
from relay.export.worker import render_batch_async
from tests.relay.export.samples import (
    AR_ITEM,
    FIRST_FORM_PAGE,
    FR_ITEM,
    HEADER,
    ITEMS,
    NEW_SCRIPT_ITEMS,
    PHONE,
    PHONE_FA,
    UK_ITEM,
)


@pytest.fixture(scope="module")
def batch() -> bytes:
    return render_batch(HEADER, ITEMS)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _page(pdf: bytes, index: int, scale: float = 1.0) -> Image.Image:
    page: Image.Image = pdfium.PdfDocument(pdf)[index].render(scale=scale).to_pil()
    return page


def _ink(image: Image.Image) -> int:
    gray = image.convert("L")
    return sum(count for value, count in enumerate(gray.histogram()) if value < 128)


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return out


def test_latin_and_cyrillic_text_is_extractable(batch: bytes) -> None:
    text = _text(batch)
    for item in (FR_ITEM, UK_ITEM):
        assert item.reference in text
        assert item.addressee_name in text
        assert item.addressee_name_latin in text
    assert "Élodie a réussi son bac" in text
    assert "Ґанок полагодили, їжачок живе в саду." in text
    assert "Red Cross message batch" in text


@pytest.mark.parametrize(
    ("text", "lang", "direction", "family"),
    [
        pytest.param("Ali سلام می‌خواهم", "fa", "rtl", ARABIC, id="persian-opening-latin"),
        pytest.param("السلام عليكم", "ar", "rtl", ARABIC, id="arabic"),
        pytest.param("سلام", "en", "rtl", ARABIC, id="arabic-script-wrong-lang"),
        pytest.param("Привіт, тату", "uk", "ltr", LATIN, id="ukrainian"),
        pytest.param("Bonjour", "fr", "ltr", LATIN, id="french"),
        pytest.param("ሰላም አባዬ", "am", "ltr", ETHIOPIC, id="amharic"),
        pytest.param("ሰላም ኣቦይ", "ti", "ltr", ETHIOPIC, id="tigrinya"),
        pytest.param("ګرانه پلاره", "ps", "rtl", ARABIC, id="pashto"),
        pytest.param("Habari baba", "sw", "ltr", LATIN, id="swahili"),
    ],
)
def test_text_style_decides_direction_and_font(
    text: str, lang: str, direction: str, family: str
) -> None:
    style = text_style(text, lang)
    assert (style.direction, style.family) == (direction, family)


def test_rtl_samples_are_covered_by_the_chain() -> None:
    strings = [s for item in ITEMS for s in prepare(item).printed_strings()]
    assert missing_chars(strings) == ""


@pytest.fixture(scope="module")
def new_script_batch() -> bytes:
    return render_batch(HEADER, NEW_SCRIPT_ITEMS)


def test_amharic_and_pashto_letters_are_covered_by_the_chain() -> None:
    strings = [s for item in NEW_SCRIPT_ITEMS for s in prepare(item).printed_strings()]
    assert missing_chars(strings) == ""


def test_amharic_and_pashto_text_is_in_the_file(new_script_batch: bytes) -> None:
    text = _text(new_script_batch)
    for item in NEW_SCRIPT_ITEMS:
        assert item.reference in text
        assert item.addressee_name_latin in text


def test_redacted_phone_is_absent_from_file_and_text(batch: bytes) -> None:
    text = _text(batch)
    assert PHONE not in text
    assert PHONE_FA not in text
    assert "█" not in text  # the bar is a drawn box, not a character
    for blob in [batch, *_streams(batch)]:
        assert PHONE.encode() not in blob
        assert PHONE_FA.encode() not in blob
        assert PHONE_FA.encode("utf-16-be") not in blob


@pytest.mark.parametrize(
    ("text", "spans", "printed"),
    [
        pytest.param("call 06 12 now", ((5, 10),), "call █ now", id="digit-groups-one-bar"),
        pytest.param("abc", ((1, 2), (0, 9)), "█", id="overlapping-spans-merge"),
        pytest.param("au 0612.", ((3, 7),), "au █ .", id="bar-stands-alone-as-a-word"),
        pytest.param("a b c", ((0, 1), (4, 5)), "█ b █", id="one-bar-per-passage"),
        pytest.param("e\u0301t\u0301 x", ((0, 3),), "█ x", id="trailing-mark-goes-too"),
    ],
)
def test_redact_puts_one_bar_per_passage(
    text: str, spans: tuple[tuple[int, int], ...], printed: str
) -> None:
    assert redact(text, spans) == printed


def test_every_qr_code_decodes_to_its_reference(batch: bytes) -> None:
    for offset, item in enumerate(ITEMS):
        image = _page(batch, FIRST_FORM_PAGE + offset, scale=2)
        found = [r.text for r in zxingcpp.read_barcodes(image)]
        assert found == [item.reference, item.reference]


@pytest.mark.parametrize("char", ["\ue000", "\U00010000"])
def test_unprintable_letters_hold_that_message_back(char: str) -> None:
    bad = dataclasses.replace(AR_ITEM, text=f"مرحبا {char} يا أبي")
    pdf = render_batch(HEADER, (FR_ITEM, bad))
    assert FR_ITEM.reference in _text(pdf)
    assert AR_ITEM.reference not in _text(pdf)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 3  # cover, manifest, one form


@pytest.mark.parametrize("char", ["\ue000", "\U00010000"])
def test_a_batch_of_only_unprintable_messages_stops(char: str) -> None:
    bad = dataclasses.replace(AR_ITEM, text=f"مرحبا {char} يا أبي")
    with pytest.raises(UnprintableCharacters) as caught:
        render_batch(HEADER, (bad,))
    assert caught.value.reference == AR_ITEM.reference
    assert caught.value.chars == char
    assert AR_ITEM.reference in str(caught.value)


def test_redacted_unprintable_character_does_not_stop_the_export() -> None:
    text = "hello \ue000 world"
    item = dataclasses.replace(FR_ITEM, text=text, redactions=((6, 7),))
    assert render_batch(HEADER, (item,)).startswith(b"%PDF")


def test_same_input_gives_identical_bytes(batch: bytes) -> None:
    assert render_batch(HEADER, ITEMS) == batch


def test_a5_batch() -> None:
    pdf = render_batch(dataclasses.replace(HEADER, page_size="A5"), ITEMS)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    box = reader.pages[FIRST_FORM_PAGE].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)
    assert len(reader.pages) == 2 + len(ITEMS)
    image = _page(pdf, FIRST_FORM_PAGE + 2, scale=3)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [ITEMS[2].reference] * 2


def test_long_text_continues_and_keeps_reply_part_last() -> None:
    long_item = dataclasses.replace(UK_ITEM, text=(UKRAINIAN_PARAGRAPH + "\n") * 40)
    pdf = render_batch(HEADER, (long_item,))
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 3
    last = _page(pdf, pages - 1, scale=2)
    assert [r.text for r in zxingcpp.read_barcodes(last)] == [UK_ITEM.reference]
    assert _text(pdf).count("їжачок") == 40


UKRAINIAN_PARAGRAPH = "У нас усе добре, їжачок живе в саду, діти ходять до школи щодня."


def test_progress_is_reported_per_message() -> None:
    seen: list[tuple[int, int]] = []
    render_batch(HEADER, ITEMS, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_labels_go_through_the_translator() -> None:
    pdf = render_batch(HEADER, ITEMS[:1], _=lambda s: "Повідомлення" if s == "Reply" else s)
    assert "Повідомлення" in _text(pdf)


async def test_async_render_in_worker_gives_same_bytes(batch: bytes) -> None:
    seen: list[tuple[int, int]] = []
    pdf = await render_batch_async(
        HEADER, ITEMS, progress=lambda done, total: seen.append((done, total))
    )
    assert pdf == batch
    assert seen[-1] == (4, 4)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        pytest.param("Detainee number", False, id="ascii-label"),
        pytest.param("RCM-7K3F-9Q2V", False, id="reference"),
        pytest.param("Jean Dupré · 1970-02-03", False, id="precomposed-latin"),
        pytest.param("Тарас Шевченко", False, id="cyrillic"),
        pytest.param("Nguyễn Văn Đức", False, id="vietnamese-precomposed"),
        pytest.param("Jose\u0301", True, id="combining-acute"),
        pytest.param("علی رضایی", True, id="persian"),
        pytest.param("Ali علی", True, id="mixed-latin-persian"),
        pytest.param("۱۳۵۰/۰۱/۰۱", True, id="persian-digits"),
        pytest.param("नमस्ते", True, id="devanagari"),
        pytest.param("ሰላም", True, id="ethiopic"),
        pytest.param("a\u200db", True, id="joiner"),
        pytest.param("a\tb", True, id="control"),
    ],
)
def test_only_simple_left_to_right_scripts_skip_shaping(text: str, shaped: bool) -> None:
    assert needs_shaping(text) is shaped


def test_unshaped_names_are_extractable() -> None:
    item = dataclasses.replace(
        FR_ITEM, addressee_name="Nguyễn Văn Đức", addressee_name_latin="Nguyen Van Duc"
    )
    text = _text(render_batch(HEADER, (item,)))
    assert "Nguyễn Văn Đức" in text
    assert "Nguyen Van Duc" in text


def test_qr_blocks_cover_exactly_the_dark_modules() -> None:
    for item in ITEMS:
        modules, runs = qr_runs(item.reference)
        size, blocks = qr_blocks(item.reference)
        dark = {(row, col) for row, first, length in runs for col in range(first, first + length)}
        covered = [
            (row, col)
            for top, left, width, height in blocks
            for row in range(top, top + height)
            for col in range(left, left + width)
        ]
        assert size == modules
        assert len(covered) == len(set(covered)) == len(dark)
        assert set(covered) == dark
