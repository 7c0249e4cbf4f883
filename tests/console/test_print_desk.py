"""The console's print desk keeps the print work: letters no font prints are listed (and
went back to their families), a batch nothing of which prints is a clear page, the batch's
signature downloads beside the PDF, and the review page says what cannot be printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.transport import address_of
from relay import messages, people
from relay.export import signing
from relay.models import Profile
from relay.rules import RuleEngine
from relay.settings import Settings
from relay.sites import load_sites
from tests.console.conftest import Desk
from tests.console.test_browser import _approve_everything, _sign_in, _state

GEORGIAN = "We learn a new word: გამარჯობა, and we miss you 🌹"
CODES = "U+10D2 U+10D0 U+10DB U+10E0 U+10EF U+10DD U+10D1"


def _submit(desk: Desk, text: str, n: int) -> messages.Submitted:
    """Send one more message to ALP from a family of its own."""

    async def run() -> messages.Submitted:
        person = await people.ensure(desk.store, address_of(930_000 + n), "en")
        await people.record_consent(desk.store, person.id, str(930_000 + n))
        await people.save_profile(
            desk.store, person.id, Profile(full_name="Nino Beridze", latin_name="Nino Beridze")
        )
        addressee = await messages.add_addressee(
            desk.store,
            person.id,
            messages.NewAddressee(
                full_name="Giorgi Beridze",
                latin_name="Giorgi Beridze",
                father_name=None,
                birth_date=None,
                detainee_number="D-900",
                site_code="ALP",
                relationship="son",
            ),
        )
        return await messages.submit(
            desk.store,
            person_id=person.id,
            addressee_id=addressee,
            text=text,
            lang="en",
            submit_key=f"desk-{n}",
            checker=RuleEngine.load(None),
            sites=load_sites(None),
        )

    return desk.call(run)


def test_review_page_says_what_cannot_be_printed(desk: Desk, browser: Any) -> None:
    # Given a message with a rose and Georgian letters, next in the queue
    assert _approve_everything(desk) == 5
    _submit(desk, GEORGIAN, 1)
    context, page, errors = _sign_in(browser, desk, "reviewer")
    # When the reviewer opens it
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/review/[^/]+$"))
    # Then the page says what the bot's card says
    assert page.locator(".printability").all_inner_texts() == [
        "🖨 These signs cannot be printed and will be left out of the paper letter: 🌹",
        "🖨 These letters cannot be printed: გ ა მ რ ჯ ო ბ. Those words must be written in "
        "another script, or the letter will be returned to be written again.",
    ]
    assert errors == []
    context.close()


def test_export_lists_what_was_held_back_and_the_signature_verifies_the_pdf(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    # Given five plain approved messages and one with Georgian letters
    odd = _submit(desk, GEORGIAN, 2)
    assert _approve_everything(desk) == 6
    context, page, errors = _sign_in(browser, desk, "delegate")
    # When the delegate exports ALP
    page.select_option("#site", "ALP")
    page.click("#export")
    page.wait_for_selector("#held")
    # Then the five print and the page names the one held back, and why
    assert page.locator("table.grid tbody tr").count() == 5
    held = page.inner_text("#held")
    assert "1 message was held back: it has letters no font can print." in held
    assert f"{odd.reference} ({CODES})" in held
    # And it went back to its family
    assert _state(desk, odd.message_id)[0] == "returned"
    # And the PDF and its signature download; saved side by side, the pack verifies
    with page.expect_download() as pdf:
        page.click("#pdf")
    with page.expect_download() as sig:
        page.click("#signature")
    assert sig.value.suggested_filename == pdf.value.suggested_filename + ".sig"
    pack = tmp_path / "pack"
    pack.mkdir()
    pdf.value.save_as(pack / pdf.value.suggested_filename)
    sig.value.save_as(pack / sig.value.suggested_filename)
    key_dir = Settings(data_dir=tmp_path / "data").resolved_key_file.parent
    trusted = (key_dir / signing.PUBLIC_NAME).read_text().strip()
    verdict = signing.verify_pack(pack / pdf.value.suggested_filename, trusted)
    batch_id = pdf.value.suggested_filename.removeprefix("batch-ALP-").removesuffix(".pdf")
    assert (verdict.problems, verdict.batch, verdict.trusted) == ((), batch_id, True)
    assert errors == []
    context.close()


def test_a_batch_nothing_of_which_prints_is_a_clear_page(desk: Desk, browser: Any) -> None:
    # Given the plain messages already printed, and only a Georgian letter approved since
    assert _approve_everything(desk) == 5
    context, page, errors = _sign_in(browser, desk, "delegate")
    page.select_option("#site", "ALP")
    page.click("#export")
    page.wait_for_url(re.compile(r".*/batches/B[0-9A-F]{8}$"))
    odd = _submit(desk, GEORGIAN, 3)
    assert _approve_everything(desk) == 1
    # When the delegate exports ALP again
    page.goto(f"{page.url.rsplit('/', 2)[0]}/batches")
    page.select_option("#site", "ALP")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#export")
    # Then a plain page says nothing printed and the letter went back to its family
    assert answer.value.status == 200
    assert page.inner_text(".notice") == (
        "No message of this batch can be printed: each has letters that no font can print. "
        "Nothing was printed; they were returned to their families to be written again."
    )
    assert page.inner_text("#held") == f"{odd.reference} ({CODES})"
    assert _state(desk, odd.message_id)[0] == "returned"
    assert errors == []
    context.close()
