"""Administrators' pages: figures as charts, and staff grants (grant, revoke, end sessions)."""

from __future__ import annotations

from aiohttp import web
from babel.numbers import format_decimal
from relay import roles, staff_access, staff_views
from relay.channels import Address
from relay.errors import InvalidInput
from relay.models import Role
from relay.settings import TELEGRAM_CHANNEL
from words import codes

from console.charts import Bar, bars
from console.server import console_of, guarded, language_name, render, session_of, words_of

# The stages of the turnaround chart, named as the family reads a message's state.
STAGE_NAMES = {
    stage: codes.STATES[stage]
    for stage in ("submitted", "in_review", "approved", "printed", "delivered")
}


async def figures_page(request: web.Request) -> web.Response:
    """Backlog per site and language, turnaround per stage, returns by reason."""
    con = console_of(request)
    tr = words_of(request)
    _ = tr.gettext
    rtl = tr.direction == "rtl"
    figures = await staff_views.desk_figures(con.store, staff_id=session_of(request).person_id)

    def num(value: float) -> str:
        return format_decimal(value, locale=tr.lang)

    backlog = [
        Bar(f"{site} · {language_name(lang)}", n, num(n)) for site, lang, n in figures.backlog
    ]
    stages = [
        Bar(
            f"{_(STAGE_NAMES[a])} → {_(STAGE_NAMES[b])}",
            hours,
            tr.ngettext("{hours} h ({n} message)", "{hours} h ({n} messages)", n).format(
                hours=num(hours), n=num(n)
            ),
        )
        for a, b, hours, n in figures.turnaround_h
    ]
    reasons = [
        Bar(
            codes.name(_, codes.RETURN_REASONS, code, fallback="other").rstrip("."),
            n,
            num(n),
        )
        for code, n in figures.returns
    ]
    charts = [
        (
            _("Backlog per site and language"),
            bars(_("Backlog per site and language"), backlog, rtl=rtl),
        ),
        (
            _("Turnaround per stage (median, last 90 days)"),
            bars(
                _("Turnaround per stage (median, last 90 days)"), stages, colour="#1f5f8b", rtl=rtl
            ),
        ),
        (
            _("Returns by reason (last 90 days)"),
            bars(_("Returns by reason (last 90 days)"), reasons, colour="#6b4e16", rtl=rtl),
        ),
    ]
    return await render(request, "figures.html", charts=charts)


async def staff_page(request: web.Request, notice: str = "") -> web.Response:
    """List every grant, with forms to grant, revoke and end a person's sessions."""
    con = console_of(request)
    members = await staff_views.staff(con.store, actor_id=session_of(request).person_id)
    return await render(
        request,
        "staff.html",
        members=members,
        roles={r.value: codes.ROLES.get(r.value, r.value) for r in Role},
        sites=sorted(con.sites),
        notice=notice,
    )


def _target(raw: str) -> Address:
    raw = raw.strip()
    if not raw.isdigit():
        raise InvalidInput("usage")
    return Address(TELEGRAM_CHANNEL, str(int(raw)))


async def change(request: web.Request) -> web.StreamResponse:
    """Grant or revoke a role by Telegram user id (as the bot's /grant and /revoke)."""
    con = console_of(request)
    form = await request.post()
    me = session_of(request).person_id
    _ = words_of(request).gettext
    role, site = str(form.get("role", "")), str(form.get("site", ""))
    try:
        if role not in set(Role) or (site and site not in con.sites):
            raise InvalidInput("usage")
        if form.get("action") == "revoke":
            await roles.revoke(
                con.store,
                actor_id=me,
                target=_target(str(form.get("telegram_id", ""))),
                role=Role(role),
                site_code=site,
            )
        else:
            await roles.grant(
                con.store,
                actor_id=me,
                target=_target(str(form.get("telegram_id", ""))),
                role=Role(role),
                site_code=site,
                languages=roles.parse_languages(str(form.get("languages", ""))),
            )
    except InvalidInput:
        return await staff_page(
            request, _("Check the Telegram user id, role, site and languages.")
        )
    raise web.HTTPSeeOther("/staff")


async def end_sessions(request: web.Request) -> web.StreamResponse:
    """End every console session of a person."""
    con = console_of(request)
    form = await request.post()
    await staff_access.end_sessions(
        con.store, actor_id=session_of(request).person_id, person_id=str(form.get("person", ""))
    )
    raise web.HTTPSeeOther("/staff")


def routes(router: web.UrlDispatcher) -> None:
    admin = Role.ADMIN
    router.add_get("/figures", guarded(admin, "figures")(figures_page))
    router.add_get("/staff", guarded(admin, "staff")(staff_page))
    router.add_post("/staff", guarded(admin, "grant")(change))
    router.add_post("/staff/sessions", guarded(admin, "end_sessions")(end_sessions))
