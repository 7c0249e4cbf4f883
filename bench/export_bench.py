"""Benchmark the batch export: mixed-script shaped pages against plain unshaped fpdf2 pages.

Run: .venv/bin/python -m bench.export_bench [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import resource
import sys
import time

import pypdf
from fpdf import FPDF

from relay.export import BatchHeader, PrintItem, render_batch

TEXTS = {
    "fr": "Bonjour papa, nous allons bien. Élodie a réussi son bac ; la récolte était bonne. ",
    "uk": "Привіт, тату! У нас усе добре. Ґанок полагодили, їжачок живе в саду, діти здорові. ",
    "ar": "السلام عليكم يا أبي، نحن بخير والحمد لله. ولدت أختك طفلة جميلة اسمها مريم. ",
    "fa": "سلام مادر جان، ما همه خوب هستیم. می‌خواهم بدانی که Ali به مدرسه می‌رود. ",
}
NAMES = {
    "fr": ("Jean Dupré", "Jean Dupre"),
    "uk": ("Тарас Шевченко", "Taras Shevchenko"),
    "ar": ("أحمد حسن", "Ahmad Hassan"),
    "fa": ("علی رضایی", "Ali Rezaei"),
}
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(n: int) -> str:
    digits = "".join(ALPHABET[(n >> (5 * i)) % 32] for i in range(8))
    return f"RCM-{digits[:4]}-{digits[4:]}"


def make_items(count: int) -> list[PrintItem]:
    """Build `count` messages cycling through Latin, Cyrillic, Arabic and Persian."""
    items = []
    langs = list(TEXTS)
    for n in range(count):
        lang = langs[n % len(langs)]
        text = TEXTS[lang] * (2 + n % 5)
        name, latin = NAMES[lang]
        items.append(
            PrintItem(
                reference=_reference(n),
                addressee_name=name,
                addressee_name_latin=latin,
                addressee_father_name=None,
                addressee_birth_date="1970-01-01",
                detainee_number=f"D-{n:05d}",
                sender_name=name,
                sender_name_latin=latin,
                relationship="-",
                text=text,
                redactions=((0, 5),),
                lang=lang,
            )
        )
    return items


def baseline(pages: int) -> float:
    """Render `pages` pages of plain unshaped Latin text with fpdf2; return seconds."""
    started = time.perf_counter()
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=11)
    text = TEXTS["fr"].encode("latin-1", "replace").decode("latin-1") * 4
    for n in range(pages):
        pdf.add_page()
        pdf.set_xy(12, 12)
        pdf.cell(100, 8, f"Red Cross message {_reference(n)}")
        pdf.set_xy(12, 80)
        pdf.multi_cell(186, 6, text)
        pdf.line(5, 166, 205, 166)
    pdf.output()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 messages instead of 2,000")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)
    count = 200 if args.quick else 2000
    header = BatchHeader("BENCH", "Benchmark site", "B-BENCH", datetime.date(2024, 1, 1))
    items = make_items(count)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    pdf = render_batch(header, items)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False), file=sys.stderr)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    base_seconds = baseline(pages)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "name": "export",
        "messages": count,
        "pages": pages,
        "seconds": round(seconds, 3),
        "pages_per_s": round(pages / seconds, 1),
        "bytes": len(pdf),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "baseline": {
            "what": "same page count, plain unshaped Latin text, core font, no QR, fpdf2",
            "seconds": round(base_seconds, 3),
            "pages_per_s": round(pages / base_seconds, 1),
        },
        "ratio_to_baseline": round(seconds / base_seconds, 2),
        "target_pages_per_s": 100,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
