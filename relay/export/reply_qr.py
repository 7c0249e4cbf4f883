"""Read the message reference back from a photo or scan of a reply part."""

from __future__ import annotations

import io
import logging
import re

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger("relay.export")

REFERENCE_RE = re.compile(r"RCM-[0-9A-Z]{4}-[0-9A-Z]{4}")


def read_reference(image_bytes: bytes) -> str | None:
    """Return the first RCM reference found in the QR codes of a photo, else None."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as opened:
            image = ImageOps.exif_transpose(opened).convert("L")
    except (UnidentifiedImageError, OSError, ValueError):
        log.info("export: reply photo could not be decoded as an image")
        return None
    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    for result in results:
        match = REFERENCE_RE.fullmatch(result.text.strip())
        if match:
            return match.group(0)
    return None
