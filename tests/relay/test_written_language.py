"""The written language: detected offline at submit, used to route review, shown on the card."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Awaitable, Callable

import pytest

from bot.handlers.review_render import card_text
from bot.i18n.catalog import translator
from bot.transport import address_of
from relay import langdetect, messages, outbox, review, roles
from relay.models import Role, Site
from relay.notices import EscalationAlert
from relay.store import Store
from tests.relay.conftest import Family, NoFindings

MakeFamily = Callable[..., Awaitable[Family]]

UKRAINIAN = "Мамо, у нас усе добре. Діти ходять до школи, а бабуся пече хліб щонеділі."
RUSSIAN = "Мама, у нас всё хорошо. Дети ходят в школу, а бабушка печёт хлеб каждое воскресенье."

SAMPLES = {
    "en": "We are all well and the children started school this week; we miss you.",
    "fr": "Nous allons tous bien, les enfants ont repris l'école et pensent à toi.",
    "es": "Estamos todos bien, los niños empezaron la escuela y te echan de menos.",
    "ar": "نحن جميعا بخير والأطفال بدأوا المدرسة هذا الأسبوع ونشتاق إليك كثيرا.",
    "fa": "ما همه خوب هستیم و بچه‌ها این هفته مدرسه را شروع کردند و دلمان برایت تنگ شده.",
    "ru": RUSSIAN,
    "uk": UKRAINIAN,
    "ps": "موږ ټول ښه یو او ماشومانو پدې اونۍ کې ښوونځی پیل کړ، موږ تا ډیر یادوو.",
    "am": "ሁላችንም ደህና ነን። ልጆቹ በዚህ ሳምንት ትምህርት ቤት ጀመሩ፤ በጣም ናፍቀንሃል።",
    "ti": "ኩላትና ደሓን ኢና። ቆልዑ ኣብዚ ሰሙን ቤት ትምህርቲ ጀሚሮም፣ ብጣዕሚ ንናፍቐካ ኢና።",
}


@pytest.mark.parametrize(("lang", "text"), sorted(SAMPLES.items()))
def test_each_language_is_detected_offline(lang: str, text: str) -> None:
    assert langdetect.detect(text) == lang


@pytest.mark.parametrize(
    "text", ["38271 99201 47732 10293", "XKQT BRZM PLWN VQRS", "ok", "Саша!", "😀😀😀"]
)
def test_numbers_codes_and_short_texts_have_no_language(text: str) -> None:
    assert langdetect.detect(text) is None


def test_every_detected_language_can_be_granted_and_routes() -> None:
    # Since the five new UI languages, a reviewer can be granted every language detected
    assert set(langdetect.LANGUAGES) <= roles.LANG_CODES
    assert langdetect.detect(SAMPLES["am"]) == "am"
    assert messages.written_lang(SAMPLES["am"]) == "am"
    assert messages.written_lang(UKRAINIAN) == "uk"


@pytest.fixture(autouse=True)
def _model_loaded() -> None:
    langdetect.load()  # submit does not wait for it (see detect_if_ready)


_ids = itertools.count(820_000_001)
_keys = itertools.count(1)


async def _reviewer(store: Store, lang: str) -> str:
    return await roles.grant(
        store,
        actor_id="test",
        target=address_of(next(_ids)),
        role=Role.REVIEWER,
        languages=(lang,),
        bootstrap=True,
    )


async def _submit(store: Store, family: Family, text: str, ui: str, sites: dict[str, Site]) -> str:
    sent = await messages.submit(
        store,
        person_id=family.person_id,
        addressee_id=family.addressee_id,
        text=text,
        lang=ui,
        submit_key=f"w{next(_keys)}",
        checker=NoFindings(),
        sites=sites,
    )
    return sent.message_id


async def test_a_ukrainian_text_from_the_russian_interface_waits_for_a_ukrainian_reader(
    store: Store, make_family: MakeFamily, sites: dict[str, Site]
) -> None:
    family = await make_family(site_code="BRV")
    uk_text = await _submit(store, family, UKRAINIAN, "ru", sites)
    russian_reader = await _reviewer(store, "ru")
    ukrainian_reader = await _reviewer(store, "uk")
    # The Russian reader gets nothing: the text is Ukrainian
    assert await review.claim_next(store, reviewer_id=russian_reader, lease_s=600) is None
    got = await review.claim_next(store, reviewer_id=ukrainian_reader, lease_s=600)
    assert got is not None
    assert (got.message_id, got.lang, got.written_lang) == (uk_text, "ru", "uk")
    # And a text the detector cannot place still goes by the interface language
    unknown = await _submit(store, family, "38271 99201 47732", "ru", sites)
    got = await review.claim_next(store, reviewer_id=russian_reader, lease_s=600)
    assert got is not None
    assert (got.message_id, got.written_lang) == (unknown, None)


async def test_an_escalation_is_told_to_the_seniors_who_read_the_written_language(
    store: Store, make_family: MakeFamily, sites: dict[str, Site]
) -> None:
    # Given a Ukrainian text from the Russian interface, held by a Ukrainian reader
    family = await make_family(site_code="BRV")
    await _submit(store, family, UKRAINIAN, "ru", sites)
    reader = await _reviewer(store, "uk")
    seniors = {}
    for lang in ("ru", "uk"):
        seniors[lang] = await roles.grant(
            store,
            actor_id="test",
            target=address_of(next(_ids)),
            role=Role.SENIOR,
            languages=(lang,),
            bootstrap=True,
        )
    got = await review.claim_next(store, reviewer_id=reader, lease_s=600)
    assert got is not None
    await outbox.claim_due(store, limit=500)  # (what the submission queued)
    # When the reader escalates it
    await review.decide(
        store,
        reviewer_id=reader,
        message_id=got.message_id,
        decision=review.Decision(review.Verdict.ESCALATE, note="unsure"),
    )
    # Then the Ukrainian-reading senior is told, not the Russian one who could not take it
    told = [
        (i.person_id, i.notice.lang)
        for i in await outbox.claim_due(store, limit=500)
        if isinstance(i.notice, EscalationAlert)
    ]
    assert told == [(seniors["uk"], "uk")]


async def test_the_card_shows_the_written_language_only_when_it_differs(
    store: Store, make_family: MakeFamily, sites: dict[str, Site]
) -> None:
    family = await make_family(site_code="BRV")
    await _submit(store, family, UKRAINIAN, "ru", sites)
    reader = await _reviewer(store, "uk")
    got = await review.claim_next(store, reviewer_id=reader, lease_s=600)
    assert got is not None
    card = card_text(translator("en"), got, None, [])
    assert "Written in uk (interface: ru)" in card.splitlines()
    assert "Написано мовою uk (інтерфейс: ru)" in card_text(translator("uk"), got, None, [])
    same = dataclasses.replace(got, lang="uk")
    assert "Written in" not in card_text(translator("en"), same, None, [])


def test_the_card_shows_a_phone_numbers_country_and_e164_form() -> None:
    from relay.findings import typed
    from relay.rules import RuleEngine

    text = "call +964 770 - 123 - 4567"
    found = typed(RuleEngine.load(None).check(text))
    assert [(f.rule_id, f.detail) for f in found] == [("contact.phone", "IQ +9647701234567")]
    base = dataclasses.replace(
        _empty_item(), text=text, findings=found, lang="en", written_lang="en"
    )
    card = card_text(translator("en"), base, None, [])
    assert "(IQ +9647701234567)" in card.splitlines()[-1]


def _empty_item() -> review.ReviewItem:
    import datetime as dt

    from relay.models import MessageKind, MessageState

    return review.ReviewItem(
        message_id="m_0123456789abcdef",
        reference="RCM-7K3F-9Q2V",
        kind=MessageKind.MESSAGE,
        state=MessageState.IN_REVIEW,
        site_code="ALP",
        lang="en",
        text="",
        findings=[],
        lease_until=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        overdue=False,
    )


def test_a_fresh_process_answers_at_once_and_detects_once_the_model_is_loaded() -> None:
    import subprocess
    import sys

    code = (
        "from relay import langdetect as d\n"
        f"t = {UKRAINIAN!r}\n"
        "print(d.detect_if_ready(t))\n"
        "d._loading[0].join()\n"
        "print(d.detect_if_ready(t))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["None", "uk"]
