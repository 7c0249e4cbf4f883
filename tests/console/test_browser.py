"""The console in a real headless Chromium: sign in, review, print, figures, refusals."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from relay import review
from relay.models import MessageState
from tests.console.conftest import PHONE_TEXT, Desk

from console.server import CSP


def _watch(page: Any) -> list[str]:
    """Collect the page's console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _sign_in(browser: Any, desk: Desk, who: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    errors = _watch(page)
    page.goto(desk.link(who))
    page.click("#sign-in")
    page.wait_for_url(re.compile(r".*/(queue|batches|figures)$"))
    return context, page, errors


def _state(desk: Desk, message_id: str) -> tuple[str, list[list[int]]]:
    async def read() -> tuple[str, list[list[int]]]:
        async with desk.store.tx() as tx:
            row = await tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))
            assert row is not None
            body = await tx.open_json_for(
                row["family_id"], "messages", "body", message_id, row["body_enc"]
            )
        return row["state"], body.get("redactions", []) if isinstance(body, dict) else []

    return desk.call(read)


def test_reviewer_signs_in_with_a_link_claims_redacts_by_selection_and_approves(
    desk: Desk, browser: Any
) -> None:
    # Given a sign-in link from the bot
    context = browser.new_context()
    page = context.new_page()
    errors = _watch(page)
    link = desk.link("reviewer")
    # When the reviewer opens it, they see one button; the token is not spent by looking
    shown = page.goto(link)
    assert shown is not None and shown.status == 200
    assert shown.headers["content-security-policy"] == CSP
    assert shown.headers["referrer-policy"] == "same-origin"
    page.click("#sign-in")
    # Then they land on the queue with a strict, HttpOnly session cookie
    page.wait_for_url(f"{desk.url}/queue")
    cookies = context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"], c["secure"]) for c in cookies] == [
        ("rcm_console", True, "Strict", False)
    ]
    assert page.locator("table.grid tbody tr").count() == 2  # ALP·en and ALP·ar

    # When they claim the next message (key N)
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/review/[^/]+$"))
    message_id = page.url.rsplit("/", 1)[1]
    # Then the phone number is highlighted and proposed for removal, and the photo shows
    start = PHONE_TEXT.index("+41")
    assert page.locator("#text .f-redact").first.inner_text().startswith("+41 79")
    proposed = page.input_value("#redactions")
    assert proposed.startswith(f"{start}-")
    assert page.eval_on_selector("img.photo", "img => img.naturalWidth") == 160
    assert "Leila Haddad" in page.inner_text("aside")

    # When they select "Omar" with the mouse's equivalent and press R
    page.evaluate(
        """() => {
        const box = document.getElementById('text');
        const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        let node; while ((node = walker.nextNode())) {
          const at = node.data.indexOf('Omar');
          if (at >= 0) { const r = document.createRange(); r.setStart(node, at);
            r.setEnd(node, at + 4); const s = window.getSelection(); s.removeAllRanges();
            s.addRange(r); return; } }
        }"""
    )
    page.keyboard.press("r")
    omar = PHONE_TEXT.index("Omar")
    assert page.input_value("#redactions") == f"{omar}-{omar + 4},{proposed}"
    assert page.locator("#text .cut").first.inner_text() == "Omar"
    # When they approve (key A)
    page.keyboard.press("a")
    page.wait_for_url(f"{desk.url}/queue?done=approved")
    # Then the message is approved with both passages removed
    end = int(proposed.split("-")[1])
    assert _state(desk, message_id) == ("approved", [[omar, omar + 4], [start, end]])
    assert errors == []

    # And a second use of the same link is refused
    other = browser.new_context()
    again = other.new_page()
    again.goto(link)
    with again.expect_response(lambda r: r.request.method == "POST") as answer:
        again.click("#sign-in")
    assert answer.value.status == 403
    assert other.cookies() == []
    context.close()
    other.close()
