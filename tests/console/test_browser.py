"""The console in a real headless Chromium: sign in, review, print, figures, refusals."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from console.server import CSP
from relay import review, staff_access
from relay.models import MessageState
from tests.console.conftest import PHONE_TEXT, Desk


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
    assert shown is not None
    assert shown.status == 200
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
    # When they approve before judging the photo, they are told to judge it first
    page.keyboard.press("a")
    page.wait_for_selector("text=Keep or remove the photo before approving.")
    assert _state(desk, message_id)[0] == "in_review"
    # When they keep the photo
    page.select_option("#photo-verdict", "keep")
    page.click(".photo-verdict button")
    page.wait_for_selector("text=The photo travels with the message.")
    # When they note that the detained relative reads French (the printed form follows it)
    assert page.input_value("#reads") == ""
    page.select_option("#reads", "fr")
    page.click("form.reader button")
    page.wait_for_url(f"{desk.url}/review/{message_id}")
    assert page.input_value("#reads") == "fr"

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


def _approve_everything(desk: Desk) -> int:
    async def run() -> int:
        done = 0
        while True:
            item = await review.claim_next(
                desk.store, reviewer_id=desk.ids["reviewer"], lease_s=600
            )
            if item is None:
                return done
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
                decision=review.Decision(review.Verdict.APPROVE, redactions=tuple(item.proposed)),
            )
            done += 1

    return desk.call(run)


def test_delegate_exports_a_site_downloads_pdf_and_manifest_and_records_an_outcome(
    desk: Desk, browser: Any
) -> None:
    # Given five approved messages for site ALP
    assert _approve_everything(desk) == 5
    context, page, errors = _sign_in(browser, desk, "delegate")
    assert page.url == f"{desk.url}/batches"
    # When the delegate exports ALP
    page.select_option("#site", "ALP")
    page.click("#export")
    page.wait_for_url(re.compile(r".*/batches/B[0-9A-F]{8}$"))
    batch_id = page.url.rsplit("/", 1)[1]
    # Then the checklist lists the five printed messages
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 5
    # And the PDF and the manifest download
    with page.expect_download() as pdf:
        page.click("#pdf")
    assert pdf.value.suggested_filename == f"batch-ALP-{batch_id}.pdf"
    with open(pdf.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    with page.expect_download() as sheet:
        page.click("#manifest")
    with open(sheet.value.path(), encoding="utf-8") as text:
        table = list(csv.reader(io.StringIO(text.read())))
    references = [r[0] for r in table[1:]]
    assert len(references) == 5
    assert all(r.startswith("RCM-") for r in references)
    # When they record the first message as handed over
    first = rows.first
    first.locator("select[name=outcome]").select_option("handed_over")
    first.locator("button").click()
    page.wait_for_load_state()
    # Then it is delivered and the form is gone from its line
    assert page.locator("table.grid tbody tr").first.locator("form").count() == 0
    assert page.locator("table.grid tbody tr form").count() == 4

    async def states() -> list[str]:
        async with desk.store.tx() as tx:
            found = await tx.all(
                "SELECT m.state FROM batch_items b JOIN messages m ON m.id = b.message_id"
                " WHERE b.batch_id = ? ORDER BY b.position",
                (batch_id,),
            )
        return [r["state"] for r in found]

    assert desk.call(states) == [MessageState.DELIVERED] + [MessageState.PRINTED] * 4
    assert errors == []
    context.close()


def test_admin_sees_figures_as_server_drawn_charts_and_ends_a_persons_sessions(
    desk: Desk, browser: Any
) -> None:
    reviewer, reviewer_page, _ = _sign_in(browser, desk, "reviewer")
    context, page, errors = _sign_in(browser, desk, "admin")
    assert page.url == f"{desk.url}/figures"
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    backlog = charts.first.inner_html()
    # Each language by its own name, as the queue names it (never a bare code)
    assert "ALP · English" in backlog
    assert "ALP · العربية" in backlog
    assert re.search(r"· (en|ar)\b", backlog) is None
    # When the admin ends the reviewer's sessions from the staff page
    page.goto(f"{desk.url}/staff")
    page.locator(
        f"form[action='/staff/sessions']:has(input[value='{desk.ids['reviewer']}'])"
    ).first.locator("button").click()
    page.wait_for_url(f"{desk.url}/staff")
    # Then the reviewer's next page asks them to sign in again
    answer = reviewer_page.goto(f"{desk.url}/queue")
    assert answer is not None
    assert answer.status == 401
    assert errors == []
    context.close()
    reviewer.close()


def test_a_reviewer_cannot_open_delegate_or_admin_pages_and_the_refusal_is_audited(
    desk: Desk, browser: Any
) -> None:
    context, page, errors = _sign_in(browser, desk, "reviewer")
    statuses = {}
    for path in ("/batches", "/figures", "/staff"):
        answer = page.goto(f"{desk.url}{path}")
        assert answer is not None
        statuses[path] = answer.status
        assert page.locator("h1").inner_text() == "Not allowed"
    assert statuses == {"/batches": 403, "/figures": 403, "/staff": 403}
    assert desk.audit_refusals(desk.ids["reviewer"]) == ["batches", "figures", "staff"]
    # And the navigation offers only the reviewer's own page
    assert page.locator("nav a").all_inner_texts() == ["Queue"]
    context.close()
    assert [e for e in errors if "403" not in e] == []


def test_pages_need_a_session_and_posts_need_the_anti_forgery_token(
    desk: Desk, browser: Any
) -> None:
    stranger = browser.new_context()
    page = stranger.new_page()
    for path in ("/queue", "/review/x", "/batches", "/figures", "/staff", "/"):
        answer = page.goto(f"{desk.url}{path}")
        assert answer is not None
        assert (path, answer.status) == (path, 401)
    stranger.close()
    context, page, _ = _sign_in(browser, desk, "reviewer")
    forged = context.request.post(f"{desk.url}/queue/claim", form={"csrf": "0" * 64})
    assert forged.status == 403
    missing = context.request.post(f"{desk.url}/queue/claim", form={})
    assert missing.status == 403
    assert page.goto(f"{desk.url}/queue") is not None
    # Nothing was claimed by the forged requests
    assert page.locator("table.grid tbody tr td.n").first.inner_text() == "4"
    # And signing out ends the session: the cookie is gone and so is the server's record
    cookie = context.cookies()[0]["value"]
    page.click("form.logout button")
    page.wait_for_url(f"{desk.url}/signed-out")
    assert context.cookies() == []
    assert desk.call(lambda: staff_access.session_of(desk.store, token=cookie)) is None
    context.close()
