"""Table-driven detector tests: which rule fires, on exactly which characters."""

from __future__ import annotations

import pytest

from relay.rules import RuleEngine


def _hits(engine: RuleEngine, text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.matched) for f in engine.check(text)]


POSITIVE = [
    # contact
    pytest.param("Call +44 7700 900123 now", "contact.phone", "+44 7700 900123", id="phone-intl"),
    pytest.param(
        "رقمي ۰۹۱۲ ۳۴۵ ۶۷۸۹ شكرا", "contact.phone", "۰۹۱۲ ۳۴۵ ۶۷۸۹", id="phone-persian-digits"
    ),
    pytest.param("هاتف ٠٧٧١٢٣٤٥٦٧٨", "contact.phone", "٠٧٧١٢٣٤٥٦٧٨", id="phone-arabic-indic"),
    pytest.param(
        "number 0 7 7 1 2 3 4 5 6 7 8 ok",
        "contact.phone",
        "0 7 7 1 2 3 4 5 6 7 8",
        id="phone-spaced-digits",
    ),
    pytest.param("tel 077.123.45.67", "contact.phone", "077.123.45.67", id="phone-dotted"),
    pytest.param(
        "0771\u200b234\u200b5678",
        "contact.phone",
        "0771\u200b234\u200b5678",
        id="phone-zero-width-inside",
    ),
    pytest.param("8 (916) 123-45-67", "contact.phone", "8 (916) 123-45-67", id="phone-brackets"),
    pytest.param(
        "mail a.b-c@mail.example.org.", "contact.email", "a.b-c@mail.example.org", id="email"
    ),
    pytest.param(
        "karim (at) yahoo (dot) com",
        "contact.email",
        "karim (at) yahoo (dot) com",
        id="email-spelled-out",
    ),
    pytest.param(
        "see https://example.org/x?y=1.",
        "contact.url",
        "https://example.org/x?y=1",
        id="url-scheme",
    ),
    pytest.param(
        "photos on ourfamily.net please", "contact.url", "ourfamily.net", id="url-bare-domain"
    ),
    pytest.param("join t.me/family_x", "contact.messenger", "t.me/family_x", id="telegram-link"),
    pytest.param(
        "wa.me/447700900123", "contact.messenger", "wa.me/447700900123", id="whatsapp-link"
    ),
    pytest.param("ask @brother_k", "contact.handle", "@brother_k", id="handle"),
    # coordinates
    pytest.param(
        "at 36.2021, 37.1343 now", "coordinates.decimal", "36.2021, 37.1343", id="coord-decimal"
    ),
    pytest.param(
        "at -17.4441 14.6937",
        "coordinates.decimal",
        "-17.4441 14.6937",
        id="coord-decimal-negative",
    ),
    pytest.param(
        "عند ٣٦٫٢٠٢١، ٣٧٫١٣٤٣ هنا",
        "coordinates.decimal",
        "٣٦٫٢٠٢١، ٣٧٫١٣٤٣",
        id="coord-arabic-digits-and-comma",
    ),
    pytest.param(
        "at 36°12'07\"N 37°08'03\"E.", "coordinates.dms", "36°12'07\"N 37°08'03\"E", id="coord-dms"
    ),
    pytest.param("at 36°12′07″N", "coordinates.dms", "36°12′07″N", id="coord-dms-primes"),
    pytest.param(
        "grid 37S DB 12345 67890", "coordinates.mgrs", "37S DB 12345 67890", id="coord-mgrs"
    ),
    # money
    pytest.param(
        "IBAN DE89 3704 0044 0532 0130 00 please",
        "money.iban",
        "DE89 3704 0044 0532 0130 00",
        id="iban-grouped",
    ),
    pytest.param(
        "GB82WEST12345698765432", "money.iban", "GB82WEST12345698765432", id="iban-compact"
    ),
    pytest.param("card 4111-1111-1111-1111", "money.card", "4111-1111-1111-1111", id="card-luhn"),
    pytest.param(
        "account no. 0123 4567 89", "money.account", "0123 4567 89", id="account-keyword"
    ),
    pytest.param("شماره حساب ۱۲۳۴۵۶۷۸۹", "money.account", "۱۲۳۴۵۶۷۸۹", id="account-persian"),
    pytest.param(
        "send money via Western Union", "money.transfer", "send money", id="transfer-phrase"
    ),
    pytest.param(
        "through western\nunion",
        "money.transfer",
        "western\nunion",
        id="transfer-phrase-across-newline",
    ),
    pytest.param("ابعتولي مصاري", "money.transfer", "ابعتولي مصاري", id="transfer-levantine"),
    # code
    pytest.param("remember 4471223", "code.digits", "4471223", id="digit-run"),
    pytest.param("XKQT BRZM PLWN", "code.groups", "XKQT BRZM PLWN", id="caps-groups"),
    pytest.param("A7F3 K9Q2 ZP81", "code.groups", "A7F3 K9Q2 ZP81", id="alnum-groups"),
    pytest.param(
        "٣٨٢٧١ ٩٩٢٠١ ٤٧٧٣٢ ١٠٢٩٣",
        "code.groups",
        "٣٨٢٧١ ٩٩٢٠١ ٤٧٧٣٢ ١٠٢٩٣",
        id="number-groups-arabic",
    ),
    # lexicons
    pytest.param("hide the rifles", "military.strong", "rifles", id="en-stem"),
    pytest.param("والسلاح هنا", "military.strong", "والسلاح", id="ar-prefix"),
    pytest.param("بالأسلحة", "military.strong", "بالأسلحة", id="ar-prefix-hamza"),
    pytest.param("سلاح‌هایشان", "military.strong", "سلاح‌هایشان", id="fa-suffix-zwnj"),
    pytest.param("с калашниковым", "military.strong", "калашниковым", id="ru-stem"),
    pytest.param("Війною", "military.weak", "Війною", id="uk-stem-weak"),
    pytest.param("the wеаpоn", "military.strong", "wеаpоn", id="cyrillic-lookalikes"),
    pytest.param("gr\u200benades", "military.strong", "gr\u200benades", id="zwsp-in-keyword"),
    pytest.param("w.e.a.p.o.n", "military.strong", "w.e.a.p.o.n", id="dotted-letters"),
    pytest.param(
        "down with the regime", "political.strong", "down with the regime", id="political-phrase"
    ),
    pytest.param("they are vermin", "hate.strong", "vermin", id="hate-strong"),
    # obfuscation
    pytest.param(
        "gr\u200benades", "obfuscation.invisible", "gr\u200benades", id="invisible-in-word"
    ),
    pytest.param("abc\u202edef", "obfuscation.invisible", "\u202e", id="bidi-override"),
    pytest.param("I lоve you", "obfuscation.mixed_script", "lоve", id="mixed-script"),
    pytest.param("w a r again", "obfuscation.spaced", "w a r", id="spaced-letters"),
]


@pytest.mark.parametrize(("text", "rule_id", "matched"), POSITIVE)
def test_rule_fires_on_exact_span(
    engine: RuleEngine, text: str, rule_id: str, matched: str
) -> None:
    hits = _hits(engine, text)
    assert (rule_id, matched) in hits, hits
    for f in engine.check(text):
        assert text[f.start : f.end] == f.matched


NEGATIVE = [
    pytest.param("Grandma Bank sends her love", id="grandmother-named-bank"),
    pytest.param("my son's army of toy soldiers", id="toy-soldiers"),
    pytest.param("an army of ants in the kitchen", id="army-of-ants"),
    pytest.param("the Salvation Army gave us blankets", id="salvation-army"),
    pytest.param("cousin Victoria had a baby, 3.2 kg", id="victoria-and-weight"),
    pytest.param("born on 12.05.2019 and 03/11/2021", id="dates"),
    pytest.param("the years 1998 2004 2011 were hard", id="year-list"),
    pytest.param("bread costs 1500 now", id="price"),
    pytest.param("peace be upon you", id="peace"),
    pytest.param("before the war we lived by the river", id="before-the-war"),
    pytest.param("heart attack in May, recovering", id="heart-attack"),
    pytest.param("Los bomberos vinieron", id="es-firefighters-not-bomb"),
    pytest.param("Guardamos la ropa en el armario", id="es-wardrobe-not-arma"),
    pytest.param("Le troupeau a grandi", id="fr-herd-not-troupe"),
    pytest.param("مين رح يجي عالعيد", id="ar-levantine-who"),
    pytest.param("هر شب برایت دعا می‌کنیم", id="fa-baraye-not-ray"),
    pytest.param("می‌روم خانه", id="fa-zwnj-is-spelling"),
    pytest.param("Дети ели хачапури", id="ru-khachapuri"),
    pytest.param("Молоко стало жидкое", id="ru-liquid"),
    pytest.param("грає в оркестрі", id="uk-orchestra"),
    pytest.param("Наступного тижня", id="uk-next-week"),
    pytest.param("I love you mom ❤️👨\u200d👩\u200d👧", id="emoji-zwj-sequence"),
    pytest.param("مرحبا \u200fAhmad\u200f كيف حالك", id="rlm-between-words"),
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_innocent_text_passes(engine: RuleEngine, text: str) -> None:
    # Emoji are flagged as unprintable (tests/relay/rules/test_unprintable.py), nothing else
    assert [h for h in _hits(engine, text) if not h[0].startswith("unprintable.")] == []


def test_weak_terms_flag_and_strong_terms_block(engine: RuleEngine) -> None:
    by_rule = {f.rule_id: f.severity.value for f in engine.check("the war; hide the rifles")}
    assert by_rule == {"military.weak": "flag", "military.strong": "block"}


def test_phone_is_not_also_a_digit_run(engine: RuleEngine) -> None:
    assert [f.rule_id for f in engine.check("call 07701234567")] == ["contact.phone"]
