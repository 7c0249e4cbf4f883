"""The console's details an acceptance review asked for: a transfer names its destination, a
busy export says so, the staff page names roles and people, a message shows its own history,
figures name languages, and the session cookie is Secure behind TLS."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.transport import address_of
from relay import delivery, messages, people, review, roles
from relay.export import worker
from relay.models import MessageState, Profile, ReturnReason, Role
from relay.rules import RuleEngine
from relay.sites import load_sites
from tests.console.conftest import Desk
from tests.console.test_browser import _approve_everything, _sign_in, _watch

SENIOR_TG = 910_005


def _message(desk: Desk, message_id: str) -> tuple[str, str]:
    async def read() -> tuple[str, str]:
        async with desk.store.tx() as tx:
            row = await tx.one("SELECT state, site_code FROM messages WHERE id = ?", (message_id,))
        assert row is not None
        return str(row["state"]), str(row["site_code"])

    return desk.call(read)


def _export_alp(desk: Desk, browser: Any) -> tuple[Any, Any, list[str]]:
    context, page, errors = _sign_in(browser, desk, "delegate")
    page.select_option("#site", "ALP")
    page.click("#export")
    page.wait_for_url(re.compile(r".*/batches/B[0-9A-F]{8}$"))
    return context, page, errors


def test_transferred_needs_a_destination_and_requeues_the_message_there(
    desk: Desk, browser: Any
) -> None:
    # Given a printed batch of ALP on the delegate's checklist
    assert _approve_everything(desk) == 5
    context, page, errors = _export_alp(desk, browser)
    first = page.locator("table.grid tbody tr").first
    message_id = first.locator("input[name=message]").get_attribute("value")
    assert message_id is not None
    # When "transferred" is recorded without saying where to
    first.locator("select[name=outcome]").select_option("transferred")
    first.locator("button").click()
    page.wait_for_load_state()
    # Then the page asks for the place, and nothing changed
    assert page.locator("p.notice").inner_text() == (
        "Choose the place the person was transferred to."
    )
    assert _message(desk, message_id) == (MessageState.PRINTED, "ALP")
    # When the delegate names the place (BRV)
    first = page.locator("table.grid tbody tr").first
    first.locator("select[name=outcome]").select_option("transferred")
    first.locator("select[name=site]").select_option("BRV")
    first.locator("button").click()
    page.wait_for_load_state()
    # Then the message waits for review again, under BRV, as the bot's /handover does
    assert _message(desk, message_id) == (MessageState.SUBMITTED, "BRV")
    line = page.locator("table.grid tbody tr").first
    assert line.locator("form").count() == 0
    assert line.locator("td").last.inner_text() == (
        "the person has been transferred to another place → BRV"
    )
    assert errors == []
    context.close()


def test_an_export_that_keeps_meeting_other_changes_says_so_and_prints_nothing(
    desk: Desk, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given approved messages of ALP that someone else keeps changing while each attempt
    # renders (what another export of the same site does): the real retries all conflict
    assert _approve_everything(desk) == 5
    render = worker.render_batch_async

    async def render_while_another_changes(*args: Any, **kwargs: Any) -> bytes:
        pdf = await render(*args, **kwargs)
        async with desk.store.tx() as tx:
            row = await tx.one(
                "SELECT id FROM messages WHERE site_code = 'ALP' AND state = 'approved'"
                " ORDER BY id LIMIT 1"
            )
            assert row is not None
            await tx.execute("UPDATE messages SET state = 'submitted' WHERE id = ?", (row["id"],))
        return pdf

    monkeypatch.setattr(delivery, "render_batch_async", render_while_another_changes)
    context, page, errors = _sign_in(browser, desk, "delegate")
    # When the delegate exports ALP
    page.select_option("#site", "ALP")
    posts: list[int] = []
    page.on("response", lambda r: posts.append(r.status) if r.request.method == "POST" else None)
    page.click("#export")
    page.wait_for_selector("p.notice")
    # Then the page says so in words (not a server error), and no batch was made
    assert posts == [200]
    assert page.locator("p.notice").inner_text() == (
        "Someone else is exporting ALP right now. Try again in a minute."
    )

    async def batches() -> int:
        async with desk.store.tx() as tx:
            row = await tx.one("SELECT COUNT(*) AS n FROM batches")
        assert row is not None
        return int(row["n"])

    assert desk.call(batches) == 0
    assert errors == []
    context.close()


def _named(desk: Desk, who: str, name: str) -> None:
    profile = Profile(full_name=name, latin_name=name)
    desk.call(lambda: people.save_profile(desk.store, desk.ids[who], profile))


def _speaks(desk: Desk, who: str, lang: str) -> None:
    desk.call(lambda: people.set_language(desk.store, desk.ids[who], lang))


def test_staff_page_names_roles_and_shows_people_by_the_name_they_gave(
    desk: Desk, browser: Any
) -> None:
    # Given a reviewer who gave the bot their name, and an admin and a delegate who did not
    _named(desk, "reviewer", "Amina Yusuf")
    context, page, errors = _sign_in(browser, desk, "admin")
    page.goto(f"{desk.url}/staff")
    # Then roles are named in words, in the drop-down and the table
    options = page.locator("select[name=role] option")
    assert options.all_inner_texts() == [
        "reviewer",
        "senior reviewer",
        "delegate",
        "administrator",
    ]
    assert [options.nth(i).get_attribute("value") for i in range(4)] == [
        "reviewer",
        "senior",
        "delegate",
        "admin",
    ]
    rows = page.locator("#staff tbody tr")
    cells = [
        (
            rows.nth(i).locator("td").nth(0).inner_text(),
            rows.nth(i).locator("td").nth(1).inner_text(),
        )
        for i in range(rows.count())
    ]
    ids = desk.ids
    assert cells == sorted(
        [
            (f"Amina Yusuf\n{ids['reviewer']}", "reviewer · every site · English, العربية"),
            (f"no name given\n{ids['admin']}", "administrator · every site"),
            (f"no name given\n{ids['delegate']}", "delegate · ALP"),
        ],
        key=lambda c: (c[0].startswith("no name"), c[0].split("\n")[1]),
    )
    # And granting with the drop-down's words still grants the role's code
    page.fill("input[name=telegram_id]", str(SENIOR_TG))
    page.select_option("select[name=role]", "senior")
    page.fill("input[name=languages]", "ar")
    page.click("button[value=grant]")
    page.wait_for_url(f"{desk.url}/staff")
    found = desk.call(lambda: people.find(desk.store, address_of(SENIOR_TG)))
    assert found is not None
    held = desk.call(lambda: roles.grants(desk.store, found.id))
    assert [(g.role, g.languages) for g in held] == [(Role.SENIOR, ("ar",))]
    assert "senior reviewer · every site · العربية" in page.locator("#staff").inner_text()
    context.close()
    # And in Arabic the roles are Arabic words, never the codes
    _speaks(desk, "admin", "ar")
    context, page, more = _sign_in(browser, desk, "admin")
    page.goto(f"{desk.url}/staff")
    assert page.locator("select[name=role] option").all_inner_texts() == [
        "مراجِع",
        "مراجِع أول",
        "مندوب",
        "مدير النظام",
    ]
    table = page.locator("#staff").inner_text()
    assert "مدير النظام" in table
    assert re.search(r"\b(reviewer|senior|delegate|admin)\b", table) is None
    assert errors + more == []
    context.close()


def _through_return_edit_and_escalation(desk: Desk) -> str:
    """Return the Arabic message, let the sender edit it, escalate it; return its id."""
    reviewer = desk.ids["reviewer"]
    engine, sites = RuleEngine.load(None), load_sites(None)

    async def claim() -> str:
        item = await review.claim_next(desk.store, reviewer_id=reviewer, lease_s=600)
        assert item is not None
        return item.message_id

    async def decide(message_id: str, decision: review.Decision) -> None:
        await review.decide(
            desk.store, reviewer_id=reviewer, message_id=message_id, decision=decision
        )

    async def approve(message_id: str) -> None:
        item = await review.current_item(desk.store, reviewer_id=reviewer, message_id=message_id)
        if item.has_photo:
            await review.judge_photo(
                desk.store, reviewer_id=reviewer, message_id=message_id, reason=None
            )
        await decide(
            message_id, review.Decision(review.Verdict.APPROVE, redactions=tuple(item.proposed))
        )

    async def run() -> str:
        await approve(await claim())  # the first (with the photo) out of the way
        target = await claim()  # the Arabic one
        await decide(target, review.Decision(review.Verdict.RETURN, reason=ReturnReason.MONEY))
        desk.clock.advance(hours=1)
        for _n in range(3):  # the others, out of the way too
            await approve(await claim())
        family = await people.find(desk.store, address_of(920_001))
        assert family is not None
        await messages.resubmit(
            desk.store,
            person_id=family.id,
            message_id=target,
            text="نحن بخير والحمد لله.",
            checker=engine,
            sites=sites,
        )
        desk.clock.advance(hours=1)
        assert await claim() == target
        await decide(target, review.Decision(review.Verdict.ESCALATE, note="Photo unclear"))
        return target

    return desk.call(run)


def test_review_page_shows_the_messages_own_history(desk: Desk, browser: Any) -> None:
    # Given a message returned for money, edited by its sender, then escalated
    desk.call(_grant_senior(desk))
    message_id = _through_return_edit_and_escalation(desk)
    # When a senior reviewer claims it in the console
    context, page, errors = _sign_in(browser, desk, "senior")
    page.click("#claim")
    page.wait_for_url(f"{desk.url}/review/{message_id}")
    # Then its history tells each step, a return with its reason, the edit, the escalation
    steps = [line.split(" · ", 1)[1] for line in page.locator("#history li").all_inner_texts()]
    assert steps == [
        "waiting for review",
        "being reviewed",
        "Returned to the sender: Money transfers and account numbers cannot be sent.",
        "Edited by the sender and sent again (version 2)",
        "being reviewed",
        "being reviewed by a senior reviewer",
    ]
    assert errors == []
    context.close()


def _grant_senior(desk: Desk) -> Callable[[], Awaitable[str]]:
    async def run() -> str:
        desk.ids["senior"] = await roles.grant(
            desk.store,
            actor_id="config",
            target=address_of(SENIOR_TG),
            role=Role.SENIOR,
            languages=("en", "ar"),
            bootstrap=True,
        )
        return desk.ids["senior"]

    return run


@pytest.mark.parametrize("desk", ["https://console.example.org"], indirect=True)
def test_behind_tls_the_session_cookie_is_secure(desk: Desk, browser: Any) -> None:
    # Given a console whose public address (RCM_CONSOLE_URL) is https: a TLS proxy before it
    context = browser.new_context()
    page = context.new_page()
    errors = _watch(page)
    page.goto(desk.link("reviewer"))
    # When the reviewer signs in
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#sign-in")
    # Then the session cookie carries Secure, with HttpOnly and SameSite=Strict
    cookie = answer.value.header_value("set-cookie")
    assert cookie is not None
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= flags
    assert "samesite=strict" in cookie.lower().replace(" ", "")
    assert cookie.startswith("rcm_console=")
    assert errors == []
    context.close()
