"""Browser tests: a real Chromium driven by Playwright against pytest-django's live server.

One browser is shared by the whole session; each test gets fresh contexts (cookies, storage),
so tests stay independent without paying for a browser start each time. Map tiles come
from the internet, which these tests never need: the pages must work without them.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

# Playwright's sync API runs an event loop in the main thread from the moment the shared
# browser starts until the session ends; Django would otherwise refuse database access from
# this and every later test ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from openlocal.requests.models import Request
from openlocal.requests.services import request_create, request_note_add

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    "Chromium is not installed: apt-get install chromium (make test installs it when run as root)"
)
#: The county inspector from the ``place`` fixture.
STAFF_EMAIL = "inspector@testshire.example"
STAFF_PASSWORD = "pw"
#: How long a single Playwright action or expectation may wait before the test fails.
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What a visitor's browser complained about: uncaught errors and blocked resources."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught: {exc}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        # Tiles cannot load on a closed network, which is expected and harmless; a script or
        # style the page's own Content Security Policy blocks is a bug.
        if message.type == "error" and "Content Security Policy" in message.text:
            where = message.location
            self.errors.append(f"{where['url']} line {where['lineNumber']}: {message.text}")


@dataclass
class Browsing:
    """Opens pages in fresh browser contexts, with or without JavaScript."""

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: PageProblems = field(default_factory=PageProblems)

    def new_page(self, *, javascript: bool = True) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, java_script_enabled=javascript, locale="en-GB"
        )
        context.set_default_timeout(TIMEOUT_MS)
        # Nothing outside the site may be fetched: tiles and anything else fail at once.
        context.route(
            lambda url: not url.startswith(self.base_url),
            lambda route: route.abort("internetdisconnected"),
        )
        self.contexts.append(context)
        page = context.new_page()
        self.problems.watch(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, live_server, transactional_db) -> Iterator[Browsing]:
    browsing = Browsing(browser=browser, base_url=live_server.url)
    yield browsing
    browsing.close()
    # A blocked or crashing script breaks the page for visitors even when the test's own
    # assertions passed.
    assert not browsing.problems.errors, "\n".join(browsing.problems.errors)


@pytest.fixture
def page(browsing: Browsing) -> Page:
    """A page with JavaScript on, as most visitors have it."""
    return browsing.new_page(javascript=True)


@dataclass
class Site:
    """The data the browser tests look at, on top of the ``place`` fixture."""

    #: The ``Place`` from the root conftest (Testshire).
    place: Any
    requests: list[Request]
    #: A request with an internal note, which must never show in public.
    noted: Request
    note_text: str


@pytest.fixture
def site(place, transactional_db) -> Site:
    """Testshire with a few public requests, one of them carrying an internal note."""
    requests = [
        request_create(
            category=place.pothole,
            latitude=50.71,
            longitude=-3.56,
            title="Deep pothole outside the bakery",
            description="Cars swerve round it every morning.",
            answers={"depth": "deep"},
            reporter_email="baker@example.org",
            reporter_name="Bea Baker",
            reporter_name_public=True,
            notify=False,
        ),
        request_create(
            category=place.missed_bin,
            latitude=50.72,
            longitude=-3.45,
            title="Green bin not emptied on Elm Road",
            description="Missed twice this month.",
            reporter_email="elm@example.org",
            notify=False,
        ),
        request_create(
            category=place.fly_tipping,
            latitude=50.69,
            longitude=-3.52,
            title="Mattress dumped in the lay-by",
            description="A double mattress and some bin bags.",
            notify=False,
        ),
    ]
    note_text = "Internal: crew booked for Thursday, do not tell the reporter yet"
    request_note_add(request=requests[0], actor=place.county_inspector, text=note_text)
    return Site(place=place, requests=requests, noted=requests[0], note_text=note_text)


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    """A small real JPEG photo, as a phone would upload."""
    path = tmp_path / "pothole.jpg"
    image = Image.new("RGB", (640, 480), (90, 90, 95))
    for x in range(200, 440):
        for y in range(180, 300):
            image.putpixel((x, y), (30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def staff_login(browsing: Browsing) -> Callable[..., None]:
    """Sign in through the staff login form, as a member of staff would."""

    def login(page: Page, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> None:
        page.goto("/staff/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return login
