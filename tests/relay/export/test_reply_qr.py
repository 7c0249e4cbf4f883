"""Reading the reference back from a photo of a reply part."""

from __future__ import annotations

import io
import random

import pypdfium2 as pdfium
from PIL import Image

from relay.export import render_batch
from relay.export.reply_qr import read_reference
from tests.relay.export.samples import FIRST_FORM_PAGE, HEADER, UK_ITEM


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _reply_part() -> Image.Image:
    pdf = render_batch(HEADER, (UK_ITEM,))
    page: Image.Image = pdfium.PdfDocument(pdf)[FIRST_FORM_PAGE].render(scale=2).to_pil()
    width, height = page.size
    return page.crop((0, int(height * 0.3), width, height))  # below the short letter


def test_reads_reference_from_reply_part() -> None:
    assert read_reference(_png(_reply_part())) == UK_ITEM.reference


def test_reads_reference_from_rotated_noisy_photo() -> None:
    # Given a reply part photographed a little askew, smaller, with sensor noise
    image = _reply_part().convert("L").rotate(3, expand=True, fillcolor=255)
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4))
    rng = random.Random(7)
    noisy = image.copy()
    pixels = noisy.load()
    assert pixels is not None
    for _ in range(noisy.width * noisy.height // 12):
        x, y = rng.randrange(noisy.width), rng.randrange(noisy.height)
        pixels[x, y] = max(0, min(255, int(pixels[x, y]) + rng.randint(-60, 60)))  # type: ignore[arg-type]
    jpeg = io.BytesIO()
    noisy.save(jpeg, format="JPEG", quality=70)
    # When it is read, then the reference comes back
    assert read_reference(jpeg.getvalue()) == UK_ITEM.reference


def test_no_reference_in_blank_or_garbage() -> None:
    assert read_reference(_png(Image.new("L", (200, 200), 255))) is None
    assert read_reference(b"not an image") is None
