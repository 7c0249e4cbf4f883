"""QR codes of message references, drawn as vector rectangles (crisp at any print scale)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from fpdf import FPDF

QUIET_ZONE = 2  # modules; the printed form leaves white space around the symbol anyway


@functools.lru_cache(maxsize=4096)
def qr_blocks(reference: str) -> tuple[int, tuple[tuple[int, int, int, int], ...]]:
    """Return (module count, dark blocks as (row, first column, width, height)).

    A block is a run of dark modules repeated at the same columns on the rows below it, so
    the symbol takes a few dozen rectangles instead of one per run (the rectangles, not
    the text, were the most numerous drawing calls of a page).
    """
    modules, runs = qr_runs(reference)
    open_blocks: dict[tuple[int, int], list[int]] = {}  # (col, width) -> [row, height]
    blocks: list[tuple[int, int, int, int]] = []
    for row, col, length in runs:
        block = open_blocks.get((col, length))
        if block is not None and block[0] + block[1] == row:
            block[1] += 1
            continue
        if block is not None:
            blocks.append((block[0], col, length, block[1]))
        open_blocks[(col, length)] = [row, 1]
    blocks.extend(
        (row, col, length, height) for (col, length), (row, height) in open_blocks.items()
    )
    return modules, tuple(sorted(blocks))


@functools.lru_cache(maxsize=4096)
def qr_runs(reference: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """Return (module count, dark runs as (row, first column, length)) for `reference`."""
    # Error level M: survives handwriting near the code and a photocopy or two; the
    # reference is alphanumeric so it stays a version 1 or 2 symbol.
    code = segno.make_qr(reference, error="m", boost_error=False)
    matrix = code.matrix
    runs: list[tuple[int, int, int]] = []
    for row_index, row in enumerate(matrix):
        col = 0
        size = len(row)
        while col < size:
            if row[col]:
                start = col
                while col < size and row[col]:
                    col += 1
                runs.append((row_index, start, col - start))
            else:
                col += 1
    return len(matrix), tuple(runs)


def draw_qr(pdf: FPDF, reference: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of exactly `reference` in a `size` square (quiet zone included)."""
    modules, blocks = qr_blocks(reference)
    module = size / (modules + 2 * QUIET_ZONE)
    origin_x = x + QUIET_ZONE * module
    origin_y = y + QUIET_ZONE * module
    pdf.set_fill_color(0)
    for row, col, width, height in blocks:
        # A hair of overlap closes the seams some PDF viewers show between adjacent rows.
        pdf.rect(
            origin_x + col * module,
            origin_y + row * module,
            width * module,
            height * module + 0.02,
            style="F",
        )
