"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

``playwright install`` cannot download browsers here, so the tests use the system
Chromium and are skipped when it is missing. The live server runs in a thread of its
own on the transactional test database; the test's own thread may still use the ORM
(factories, assertions on stored data).
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000

# Content-Security-Policy violations also reach the console this way, with what was
# blocked, even if Chromium's own "Refused to ..." message ever changes wording.
# Init scripts are injected by the browser itself, so the policy does not block this one.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    """Browser tests run last, so the session's browser never overlaps the other tests.

    While Playwright's sync API is running it keeps an asyncio loop marked as running on
    the main thread, which Django would take for an async context (see ``browser``).
    """
    items.sort(key=lambda item: "browser" in item.keywords)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API leaves an event loop running on this thread, so Django
    # refuses ORM calls from the test itself unless told that this is safe. It is:
    # the loop only drives the browser. Restored when the browser closes.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_problems() -> list[str]:
    """Console errors, uncaught exceptions and CSP violations seen by this test's pages."""
    return []


@pytest.fixture
def new_page(browser, live_server, browser_problems) -> Iterator[Callable[[], Page]]:
    """Opens a page in a fresh browser context: its own cookies, so its own signed-in user."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                browser_problems.append(f"console error on {page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: browser_problems.append(f"page error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.fixture
def page_for(new_page) -> Callable[..., Page]:
    """A page of its own for ``user``, signed in through the real login form."""

    def sign_in(user, password: str = PASSWORD) -> Page:
        page = new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Your teams")).to_be_visible()
        return page

    return sign_in
