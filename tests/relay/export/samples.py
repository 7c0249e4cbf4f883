"""Sample batches shared by the export tests and the reference image script."""

from __future__ import annotations

import datetime

from relay.export import BatchHeader, PrintItem

HEADER = BatchHeader("KBL-1", "Pul-e-Charkhi", "B-2024-001", datetime.date(2024, 5, 1))

FRENCH = (
    "Bonjour papa, nous allons bien. Élodie a réussi son bac ; ça s'est très bien passé. "
    "Appelle-nous au 0612345678 quand tu peux. Grosses bises de Noël."
)
UKRAINIAN = "Привіт, тату! У нас усе добре. Ґанок полагодили, їжачок живе в саду."
PERSIAN = (
    "Ali سلام مادر جان، ما همه خوب هستیم. می‌خواهم بدانی که Ali به مدرسه می‌رود. "
    "شماره من ۰۹۱۲۳۴۵۶۷۸۹ است."
)
ARABIC = "السلام عليكم يا أبي، نحن بخير والحمد لله. ولدت أختك طفلة جميلة اسمها مريم."
PHONE = "0612345678"
PHONE_FA = "۰۹۱۲۳۴۵۶۷۸۹"


def _span(text: str, part: str) -> tuple[tuple[int, int], ...]:
    start = text.index(part)
    return ((start, start + len(part)),)


FR_ITEM = PrintItem(
    reference="RCM-7K3F-9Q2V",
    addressee_name="Jean Dupré",
    addressee_name_latin="Jean Dupre",
    addressee_father_name="Pierre",
    addressee_birth_date="1970-02-03",
    detainee_number="D-1234",
    sender_name="Marie Dupré",
    sender_name_latin="Marie Dupre",
    relationship="épouse",
    text=FRENCH,
    redactions=_span(FRENCH, PHONE),
    lang="fr",
)
UK_ITEM = PrintItem(
    reference="RCM-AB12-CD34",
    addressee_name="Тарас Шевченко",
    addressee_name_latin="Taras Shevchenko",
    addressee_father_name="Григорій",
    addressee_birth_date=None,
    detainee_number="123",
    sender_name="Оксана Шевченко",
    sender_name_latin="Oksana Shevchenko",
    relationship="дочка",
    text=UKRAINIAN,
    redactions=(),
    lang="uk",
)
FA_ITEM = PrintItem(
    reference="RCM-ZZ99-0000",
    addressee_name="علی رضایی",
    addressee_name_latin="Ali Rezaei",
    addressee_father_name="حسن",
    addressee_birth_date="۱۳۵۰/۰۱/۰۱",
    detainee_number="7788",
    sender_name="مریم",
    sender_name_latin="Maryam",
    relationship="همسر",
    text=PERSIAN,
    redactions=_span(PERSIAN, PHONE_FA),
    lang="fa",
)
AR_ITEM = PrintItem(
    reference="RCM-QQ11-WW22",
    addressee_name="أحمد",
    addressee_name_latin="Ahmad",
    addressee_father_name=None,
    addressee_birth_date=None,
    detainee_number=None,
    sender_name="فاطمة",
    sender_name_latin="Fatima",
    relationship="ابنة",
    text=ARABIC,
    redactions=(),
    lang="ar",
)
AMHARIC = (
    "ሰላም አባዬ፣ ሁላችንም ደህና ነን። እህትህ ሴት ልጅ ወለደች፣ ስሟ ማርታ ነው። "
    "ልጆቹ ትምህርት ቤት በደንብ እየተማሩ ነው። እናትህ ሰላምታ ትልካለች።"
)
PASHTO = (
    "ګرانه پلاره، سلامونه. موږ ټول روغ یو. ستا لور ښوونځي ته ځي او ډېر ښه زده کړه کوي. "
    "مور دې ستا لپاره دعا کوي."
)
AM_ITEM = PrintItem(
    reference="RCM-AM12-ET34",
    addressee_name="ተስፋዬ በቀለ",
    addressee_name_latin="Tesfaye Bekele",
    addressee_father_name="በቀለ",
    addressee_birth_date="1975-09-11",
    detainee_number="ET-5521",
    sender_name="ማርታ ተስፋዬ",
    sender_name_latin="Marta Tesfaye",
    relationship="ሴት ልጅ",
    text=AMHARIC,
    redactions=(),
    lang="am",
)
PS_ITEM = PrintItem(
    reference="RCM-PS56-AF78",
    addressee_name="احمد ګل",
    addressee_name_latin="Ahmad Gul",
    addressee_father_name="محمد ګل",
    addressee_birth_date="۴ مرغومی ۱۳۵۹ (\u200e1980-12-25\u200e)",
    detainee_number="AF-301",
    sender_name="ښکلا",
    sender_name_latin="Shkula",
    relationship="لور",
    text=PASHTO,
    redactions=(),
    lang="ps",
)
ITEMS = (FR_ITEM, UK_ITEM, FA_ITEM, AR_ITEM)
# Letters in the scripts of the languages added later, printed as a batch of their own.
NEW_SCRIPT_ITEMS = (AM_ITEM, PS_ITEM)
NEW_SCRIPT_PAGES = {"am": 2, "ps": 3}
# Cover and manifest come first; message forms follow in item order.
FIRST_FORM_PAGE = 2

# Batches with the labels a delegation prints: each form in its reader's language, the
# site's working language beside it (issue 12). ALP works in Arabic, BRV in Ukrainian,
# CDR in French on A5 paper with an extra page of reply lines.
ALP_HEADER = BatchHeader("ALP", "Alpha Central Prison", "B31D79969", datetime.date(2024, 5, 1))
BRV_HEADER = BatchHeader("BRV", "Bravo Detention Centre", "B0000BRV", datetime.date(2024, 5, 1))
CDR_HEADER = BatchHeader(
    "CDR", "Cedar Camp", "B0000CDR", datetime.date(2024, 5, 1), page_size="A5", reply_page=True
)
ALP_ITEMS = (FR_ITEM, UK_ITEM, FA_ITEM, AR_ITEM)  # pages 2, 3, 4, 5
ALP_PAGES = {"fr": 2, "uk": 3, "fa": 4, "ar": 5}


def site_batch(header: BatchHeader, items: tuple[PrintItem, ...], site_lang: str) -> bytes:
    """Render a batch as the bot and `rcm export` do: labels per reader and per site."""
    from bot.delegate_labels import label_gettext
    from relay.export import render_batch

    return render_batch(
        header,
        items,
        _=label_gettext(site_lang),
        language=site_lang,
        translator_for=label_gettext,
    )
