"""A real console over a real store, served on loopback from a thread of its own.

The browser tests drive Playwright's synchronous API, which cannot run inside an event loop,
so the server (and every call into the store) runs on a loop in a background thread. Only
the clock is ours: it moves when a test says so.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from PIL import Image

from bot.transport import address_of
from console.i18n import label_gettext
from console.server import build_app
from relay import messages, people, roles, staff_access
from relay.clock import FakeClock
from relay.crypto import KeyRing
from relay.export.worker import set_label_translator_factory
from relay.models import Profile, Role
from relay.rules import RuleEngine
from relay.settings import Settings
from relay.sites import load_sites
from relay.store import Store

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).with_name("screens")
T = TypeVar("T")
_keys = itertools.count(1)

ADMIN_TG, REVIEWER_TG, DELEGATE_TG, STRANGER_TG = 910_001, 910_002, 910_003, 910_004
PHONE_TEXT = "We are all well. Call Omar on +41 79 123 45 67 when you can. Mother sends love."
ARABIC_TEXT = "نحن بخير والحمد لله. الأطفال في المدرسة ويسلمون عليك كثيرا."


@dataclass
class Desk:
    """The running console and a handle on its store."""

    url: str
    store: Store
    clock: FakeClock
    loop: asyncio.AbstractEventLoop
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the server's loop and return its result."""

        async def run() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=60)

    def link(self, who: str) -> str:
        """Return a fresh sign-in link for a staff member (as the bot's /console would)."""
        token = self.call(lambda: staff_access.create_link(self.store, person_id=self.ids[who]))
        return f"{self.url}/login/{token}"

    def audit_refusals(self, actor: str) -> list[str]:
        """Return the objects of the audited refusals of an actor."""

        async def read() -> list[str]:
            async with self.store.tx() as tx:
                rows = await tx.all(
                    "SELECT object FROM audit WHERE actor = ? AND action = 'refused' ORDER BY seq",
                    (actor,),
                )
            return [r["object"] for r in rows]

        return self.call(read)


def _png() -> bytes:
    image = Image.new("RGB", (160, 110), (210, 190, 150))
    for x in range(40, 120):
        for y in range(30, 80):
            image.putpixel((x, y), (90, 120, 160))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def _seed(store: Store, desk: Desk) -> None:
    sites = load_sites(None)
    engine = RuleEngine.load(None)

    async def staff(tg: int, role: Role, site: str = "", langs: tuple[str, ...] = ()) -> str:
        return await roles.grant(
            store,
            actor_id="config",
            target=address_of(tg),
            role=role,
            site_code=site,
            languages=langs,
            bootstrap=True,
        )

    desk.ids["admin"] = await staff(ADMIN_TG, Role.ADMIN)
    desk.ids["reviewer"] = await staff(REVIEWER_TG, Role.REVIEWER, langs=("en", "ar"))
    desk.ids["delegate"] = await staff(DELEGATE_TG, Role.DELEGATE, "ALP")
    for lang_tg, lang in ((ADMIN_TG, "en"), (REVIEWER_TG, "en"), (DELEGATE_TG, "en")):
        await people.set_language(
            store, (await people.ensure(store, address_of(lang_tg), lang)).id, lang
        )
    texts = [(PHONE_TEXT, "en", _png()), (ARABIC_TEXT, "ar", None)]
    texts += [(f"Message number {i}: the harvest was good.", "en", None) for i in range(3)]
    for n, (text, lang, photo) in enumerate(texts):
        person = await people.ensure(store, address_of(920_000 + n), lang)
        await people.record_consent(store, person.id, str(920_000 + n))
        await people.save_profile(
            store,
            person.id,
            Profile(full_name="Leila Haddad", latin_name="Leila Haddad"),
        )
        addressee = await messages.add_addressee(
            store,
            person.id,
            messages.NewAddressee(
                full_name="Karim Haddad",
                latin_name="Karim Haddad",
                father_name=None,
                birth_date=None,
                detainee_number=f"D-{100 + n}",
                site_code="ALP",
                relationship="brother",
            ),
        )
        await messages.submit(
            store,
            person_id=person.id,
            addressee_id=addressee,
            text=text,
            lang=lang,
            submit_key=f"console-{next(_keys)}",
            checker=engine,
            sites=sites,
            photo=photo,
        )
        desk.clock.advance(minutes=7)


@pytest.fixture
def desk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Desk]:
    """Serve a seeded console on a free loopback port for one test.

    Parametrized indirectly, the parameter is the console's public URL (RCM_CONSOLE_URL):
    an https one stands for a console behind a TLS proxy.
    """
    set_label_translator_factory(label_gettext)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    clock = FakeClock()
    public = str(getattr(request, "param", "")) or Settings().console_url
    settings = Settings(data_dir=tmp_path / "data", console_url=public)

    async def start() -> tuple[Store, web.AppRunner, str]:
        keys = KeyRing.load_or_create(settings.resolved_key_file)
        store = await Store.open(settings.db_path, keys, clock=clock)
        app = build_app(store=store, sites=load_sites(None), settings=settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return store, runner, f"http://127.0.0.1:{port}"

    store, runner, url = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
    made = Desk(url, store, clock, loop)
    made.call(lambda: _seed(store, made))
    try:
        yield made
    finally:

        async def stop() -> None:
            await runner.cleanup()
            await store.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (scripts/setup installs it when root)."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("no /usr/bin/chromium: run scripts/setup as root (it installs chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()
