"""Every page in English and Arabic, as a person sees it (right to left in Arabic).

The screenshots are written to a temporary folder; with RCM_SCREENS=1 they replace the ones
committed in tests/console/screens/ (look at them before committing).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.transport import address_of
from relay import people, review
from relay.models import ReturnReason
from tests.console.conftest import ADMIN_TG, DELEGATE_TG, REVIEWER_TG, SCREENS, Desk
from tests.console.test_browser import _sign_in


def _speak(desk: Desk, lang: str) -> None:
    async def run() -> None:
        for tg in (ADMIN_TG, REVIEWER_TG, DELEGATE_TG):
            person = await people.find(desk.store, address_of(tg))
            assert person is not None
            await people.set_language(desk.store, person.id, lang)

    desk.call(run)


def _decide_rest(desk: Desk) -> None:
    """Approve what waits except one returned for money and one left waiting."""

    async def run() -> None:
        verdicts = [review.Verdict.RETURN, review.Verdict.APPROVE, review.Verdict.APPROVE]
        for verdict in verdicts:
            desk.clock.advance(hours=5)
            item = await review.claim_next(
                desk.store, reviewer_id=desk.ids["reviewer"], lease_s=4 * 3600
            )
            assert item is not None
            desk.clock.advance(hours=2)
            if item.has_photo:
                await review.judge_photo(
                    desk.store,
                    reviewer_id=desk.ids["reviewer"],
                    message_id=item.message_id,
                    reason=None,
                )
            await review.decide(
                desk.store,
                reviewer_id=desk.ids["reviewer"],
                message_id=item.message_id,
                decision=review.Decision(verdict, reason=ReturnReason.MONEY),
            )

    desk.call(run)


def _shoot(page: Any, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_page_in_english_and_arabic(
    desk: Desk, browser: Any, lang: str, tmp_path: Path
) -> None:
    _speak(desk, lang)
    out = tmp_path / "screens"
    out.mkdir()
    direction = "rtl" if lang == "ar" else "ltr"
    # The sign-in page (no session yet: the browser's language does not matter)
    context = browser.new_context(viewport={"width": 1100, "height": 700}, locale=lang)
    page = context.new_page()
    page.goto(desk.link("reviewer"))
    assert page.get_attribute("html", "dir") == direction
    _shoot(page, out, f"login-{lang}")
    context.close()
    # Reviewer: the queue, then a claimed message with a removal chosen
    context, page, errors = _sign_in(browser, desk, "reviewer")
    page.set_viewport_size({"width": 1100, "height": 700})
    assert page.get_attribute("html", "dir") == direction
    _shoot(page, out, f"queue-{lang}")
    page.click("#claim")
    page.wait_for_url(re.compile(r".*/review/[^/]+$"))
    _shoot(page, out, f"review-{lang}")
    if page.locator("#photo-verdict").count():
        page.select_option("#photo-verdict", "keep")
        page.click(".photo-verdict button")
        page.wait_for_selector(".photo-verdict p.hint")
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r".*/queue\?done=approved$"))
    context.close()
    _decide_rest(desk)
    # Delegate: export, the checklist with one outcome recorded, the list of batches
    desk.clock.advance(days=2)
    context, page, more = _sign_in(browser, desk, "delegate")
    errors += more
    page.set_viewport_size({"width": 1100, "height": 700})
    page.click("#export")
    page.wait_for_url(re.compile(r".*/batches/B[0-9A-F]{8}$"))
    desk.clock.advance(minutes=25)  # less than the session's idle limit
    page.locator("table.grid tbody tr").first.locator("button").click()
    page.wait_for_load_state()
    _shoot(page, out, f"checklist-{lang}")
    page.goto(f"{desk.url}/batches")
    _shoot(page, out, f"batches-{lang}")
    context.close()
    # Admin: figures and staff
    context, page, more = _sign_in(browser, desk, "admin")
    errors += more
    page.set_viewport_size({"width": 1100, "height": 700})
    assert page.locator("svg.chart rect").count() >= 6
    _shoot(page, out, f"figures-{lang}")
    page.goto(f"{desk.url}/staff")
    _shoot(page, out, f"staff-{lang}")
    context.close()
    assert errors == []
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{n}-{lang}.png"
        for n in ("login", "queue", "review", "checklist", "batches", "figures", "staff")
    )
    if os.environ.get("RCM_SCREENS") == "1":
        SCREENS.mkdir(exist_ok=True)
        for shot in out.iterdir():
            shutil.copy(shot, SCREENS / shot.name)
