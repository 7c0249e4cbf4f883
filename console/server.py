"""The console's web server: sessions, anti-forgery, security headers, rendering.

Every page but the sign-in page and the static files needs a live session; every POST
carries the session's anti-forgery token and must come from this origin. Pages check the
staff role through the relay services they call (the same rules and audit as the bot).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from relay import delivery, roles, staff_access
from relay.errors import NotAllowed
from relay.models import Role, Site
from relay.settings import Settings
from relay.store import Store
from words.catalog import NATIVE_NAMES

from console.i18n import Words, words

log = logging.getLogger("console")

HERE = Path(__file__).resolve().parent
COOKIE = "rcm_console"
# No inline script or style anywhere: the pages load /static/console.js and console.css only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
OPEN_PREFIXES = ("/login/", "/static/", "/signed-out")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Console:
    """What the pages need: the store, sites, settings and the templates."""

    store: Store
    sites: Mapping[str, Site]
    settings: Settings
    templates: jinja2.Environment

    @property
    def secure_cookie(self) -> bool:
        return self.settings.console_url.startswith("https://")


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("session", staff_access.Session)
CSRF = web.RequestKey("csrf", str)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def session_of(request: web.Request) -> staff_access.Session:
    return request[SESSION]


def words_of(request: web.Request) -> Words:
    session = request.get(SESSION)
    if session is not None:
        return words(session.lang)
    # Before signing in (the sign-in and signed-out pages), the browser's first language.
    first = request.headers.get("Accept-Language", "").split(",")[0]
    return words(first.split(";")[0].split("-")[0].strip().lower() or None)


async def render(
    request: web.Request, template: str, status: int = 200, **values: Any
) -> web.Response:
    """Render a page in the staff member's language, with navigation and anti-forgery token."""
    con = console_of(request)
    tr = words_of(request)
    session = request.get(SESSION)
    held: set[Role] = set()
    if session is not None:
        held = {g.role for g in await roles.grants(con.store, session.person_id)}
    page = con.templates.get_template(template).render(
        _=tr.gettext,
        ngettext=tr.ngettext,
        tr=tr,
        held={r.value for r in held},
        csrf=request.get(CSRF, ""),
        path=request.path,
        **values,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


async def refuse(request: web.Request, status: int = 403) -> web.Response:
    """Answer the one refusal page that reveals nothing (the relay audited it)."""
    _ = words_of(request).gettext
    return await render(
        request,
        "refused.html",
        status=status,
        title=_("Not allowed"),
        text=_("Your role does not allow this page."),
    )


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Put the security headers on every answer, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # The sign-in URL carries a token: never hand it to another site as a referrer (within
    # the site the browser still names the origin of a POST, which same_origin checks).
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


def same_origin(request: web.Request) -> bool:
    """Refuse a POST another site's page sent (the browser names the origin it came from)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the session; refuse pages without one and POSTs without the anti-forgery token."""
    if request.path.startswith(OPEN_PREFIXES):
        if request.method == "POST" and not same_origin(request):
            return await refuse(request)
        return await handler(request)
    con = console_of(request)
    token = request.cookies.get(COOKIE, "")
    session = await staff_access.session_of(con.store, token=token) if token else None
    if session is None:
        return await render(request, "signed_out.html", status=401)
    request[SESSION] = session
    request[CSRF] = staff_access.csrf_token(con.store, token)
    if request.method == "POST":
        form = await request.post()
        sent = str(form.get("csrf", ""))
        if not same_origin(request) or not hmac.compare_digest(sent, request[CSRF]):
            log.info("console: refused a POST without a valid anti-forgery token")
            return await refuse(request)
    try:
        return await handler(request)
    except NotAllowed:
        return await refuse(request)


def guarded(role: Role, action: str) -> Callable[[Handler], Handler]:
    """Check the role on the routing path, before the page does anything.

    The check runs in its own transaction, so that a refusal stays in the audit log (a
    service that refuses inside its own transaction rolls the audit entry back with it).
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            store, me = console_of(request).store, session_of(request).person_id
            if role == Role.DELEGATE:  # a delegate of any site, or an admin, as in the bot
                await delivery.check_delegate(store, me, None, action=action)
            else:
                await roles.require(store, me, role, action=action)
            return await handler(request)

        return checked

    return wrap


def language_name(code: str) -> str:
    """A language as its readers write its name (a reviewer picks by it, not by code)."""
    return NATIVE_NAMES.get(code, code)


def templates() -> jinja2.Environment:
    """Return the template environment (autoescaped HTML from the package's folder)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["language_name"] = language_name
    return env


def build_app(*, store: Store, sites: Mapping[str, Site], settings: Settings) -> web.Application:
    """Build the console application over an open store."""
    from console import admin, desk, login, reviewing

    app = web.Application(middlewares=[headers, sessions], client_max_size=64 * 1024)
    app[CONSOLE] = Console(store, sites, settings, templates())
    app.router.add_static("/static/", HERE / "static", append_version=False)
    for module in (login, reviewing, desk, admin):
        module.routes(app.router)
    return app
