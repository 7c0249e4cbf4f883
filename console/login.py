"""Sign in with a single-use link, sign out, and the home page that picks a start page.

The link opens a page with one button: the token is spent by a same-site POST, because a
SameSite=Strict cookie set while following a link from another site (Telegram's web client,
a mail reader) would not be sent on the redirect that follows.
"""

from __future__ import annotations

from aiohttp import web
from relay import roles, staff_access
from relay.errors import NotAllowed
from relay.models import Role

from console.server import COOKIE, console_of, render, session_of, words_of

START_PAGES = ((Role.REVIEWER, "/queue"), (Role.SENIOR, "/queue"), (Role.DELEGATE, "/batches"))


async def login_page(request: web.Request) -> web.Response:
    """Show the one "Sign in" button (the token is not spent by looking)."""
    return await render(request, "login.html", token=request.match_info["token"])


async def login(request: web.Request) -> web.StreamResponse:
    """Spend the token, open a session, set the cookie."""
    con = console_of(request)
    try:
        session = await staff_access.spend_link(con.store, token=request.match_info["token"])
    except NotAllowed:
        _ = words_of(request).gettext
        return await render(
            request,
            "refused.html",
            status=403,
            title=_("This sign-in link cannot be used"),
            text=_(
                "It was already used or is older than 10 minutes. Send /console to the bot"
                " for a new one."
            ),
        )
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE,
        session,
        httponly=True,
        samesite="Strict",
        secure=con.secure_cookie,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """End this session and forget the cookie."""
    await staff_access.end_session(
        console_of(request).store, token=request.cookies.get(COOKIE, "")
    )
    response = web.HTTPSeeOther("/signed-out")
    response.del_cookie(COOKIE, path="/")
    return response


async def signed_out(request: web.Request) -> web.Response:
    return await render(request, "signed_out.html")


async def home(request: web.Request) -> web.StreamResponse:
    """Send a staff member to the first page their role opens."""
    held = {
        g.role
        for g in await roles.grants(console_of(request).store, session_of(request).person_id)
    }
    for role, page in START_PAGES:
        if role in held:
            raise web.HTTPSeeOther(page)
    raise web.HTTPSeeOther("/figures" if Role.ADMIN in held else "/signed-out")


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login/{token}", login_page)
    router.add_post("/login/{token}", login)
    router.add_post("/logout", logout)
    router.add_get("/signed-out", signed_out)
    router.add_get("/", home)
