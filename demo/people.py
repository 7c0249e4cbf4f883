"""The cast and the props of the demo: families, staff, their texts, a reply sheet picture."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from PIL import Image, ImageDraw

from demo.simulate import AddresseeForm

# Telegram-sized ids, so that a scan for chat ids in the data is meaningful.
ADMIN_ID = 6_400_000_101
REVIEWER_ID = 6_400_000_202
DELEGATE_ID = 6_400_000_303


@dataclass(frozen=True)
class Family:
    user_id: int
    lang: str
    who: str  # for the narration (no real person)
    name: str
    latin: str | None
    to: AddresseeForm
    text: str


MOTHER = Family(
    5_300_000_401,
    "ar",
    "Fatima, a mother (Arabic)",
    "فاطمة حسن",
    "Fatima Hassan",
    AddresseeForm(
        full_name="أحمد حسن",
        latin_name="Ahmad Hassan",
        father_name="Hassan",
        birth_date="14.02.1998",
        detainee_number="ALP-4471",
        site_code="ALP",
    ),
    "ابني الحبيب أحمد، نحن جميعا بخير والحمد لله. أختك مريم أنجبت طفلة جميلة اسمها ليلى. "
    "اتصل بخالك على 0944 123 456 إذا استطعت. ندعو لك كل يوم.",
)
FATHER = Family(
    5_300_000_502,
    "uk",
    "Mykola, a father (Ukrainian)",
    "Микола Коваль",
    "Mykola Koval",
    AddresseeForm(
        full_name="Андрій Коваль",
        latin_name="Andrii Koval",
        father_name="Микола",
        birth_date=None,
        detainee_number="ALP-5120",
        site_code="ALP",
    ),
    "Любий сину, у нас усе гаразд. Мама здорова, бабуся передає привіт. "
    "Урожай цього року добрий. Чекаємо на тебе вдома.",
)
SISTER = Family(
    5_300_000_603,
    "es",
    "Lucía, a sister (Spanish)",
    "Lucía Gómez",
    None,
    AddresseeForm(
        full_name="Carlos Gómez",
        father_name="Pedro",
        detainee_number=None,
        relationship="brother",
        site_code="CDR",
    ),
    "Querido Carlos, en casa todos estamos bien. Mamá ya se recuperó de la operación y "
    "volvió a trabajar en el mercado. Los niños empezaron la escuela y preguntan por ti "
    "todos los días. El perro sigue durmiendo en tu cama. Te extrañamos mucho.",
)
SISTER_SHORT = (
    "Querido Carlos, todos estamos bien. Mamá se recuperó. Los niños van a la escuela "
    "y preguntan por ti. Te extrañamos mucho."
)
REPLY_TEXT = "Mother, I am well and I eat well. Kiss Maryam and little Layla for me. Ahmad"


def reply_sheet(reference: str) -> bytes:
    """Draw the photo a delegate takes of a handwritten reply part: QR code, lines, words."""
    qr = io.BytesIO()
    segno.make_qr(reference, error="m").save(qr, kind="png", scale=6, border=4)
    code = Image.open(io.BytesIO(qr.getvalue())).convert("RGB")
    sheet = Image.new("RGB", (900, 600), (250, 248, 240))
    sheet.paste(code, (700, 30))
    draw = ImageDraw.Draw(sheet)
    draw.text((30, 30), f"Red Cross message - reply   {reference}", fill=(20, 20, 20))
    for y in range(220, 580, 40):
        draw.line((30, y, 870, y), fill=(180, 180, 200), width=1)
    words = REPLY_TEXT.split()
    for row in range(0, len(words), 8):
        draw.text((40, 200 + 40 * (row // 8)), " ".join(words[row : row + 8]), fill=(30, 30, 90))
    out = io.BytesIO()
    sheet.rotate(1.5, expand=True, fillcolor=(90, 90, 90)).save(out, format="JPEG", quality=85)
    return out.getvalue()
