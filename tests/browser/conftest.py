"""Real Chromium against real Harbour servers (tests/servers.py), through the Playwright sync API.

Run on their own: `DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser -p no:cacheprovider tests/browser`.
Playwright's sync API keeps an event loop running in the main thread, which trips Django's async-safety
guard in anything else in the same session (stack-notes, gotcha 9). The servers are separate processes:
the embedded default (`manage.py serve`) unless DATABASE_URL is PostgreSQL and REDIS_URL is set, in which
case plain daphne plus a separate `db_worker`, as in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.servers import Stack, api_request, harbour_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "harbour-demo"
CHILD_DEATH_TITLE = "Death of a child known to the North team"
VIOLENCE_TITLE = "Disorder in the town centre and attack on the family hub"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def harbour() -> Iterator[Stack]:
    with harbour_stack() as stack:
        yield stack


@pytest.fixture(autouse=True)
def _server_logs_on_failure(request, harbour: Stack):
    """When a browser test fails, show what the servers said (and whether one of them died)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\n===== Harbour server logs ({harbour.mode}) =====\n{harbour.logs()}")


@pytest.fixture(scope="session")
def base(harbour: Stack) -> str:
    return harbour.url


@pytest.fixture(scope="session")
def incident_ids(base: str) -> dict[str, int]:
    """The seeded incidents' ids by title, read through the API as their leads see them."""
    ids: dict[str, int] = {}
    for username in ("dhughes", "mokafor"):
        token = api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]
        for incident in api_request(f"{base}/api/incidents/", token=token)["results"]:
            ids[incident["title"]] = incident["id"]
    assert CHILD_DEATH_TITLE in ids and VIOLENCE_TITLE in ids, ids
    return ids


@pytest.fixture(scope="session")
def restricted_id(incident_ids) -> int:
    return incident_ids[CHILD_DEATH_TITLE]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def make_context(chromium: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh, isolated browser contexts (separate cookie jars: one per person), closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        """Options as Playwright's new_context takes them: a viewport, is_mobile, has_touch."""
        context = chromium.new_context(locale="en-GB", timezone_id="Europe/London", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would; ends on "What needs you now"."""
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="What needs you now", level=1)).to_be_visible()


@pytest.fixture
def signed_in(make_context, base: str) -> Callable[[str], Page]:
    """`signed_in("dhughes")` -> a page in its own context, signed in and on "What needs you now"."""

    def make(username: str) -> Page:
        page = make_context().new_page()
        log_in(page, base, username)
        return page

    return make


@pytest.fixture
def person_at(make_context, base: str) -> Callable[..., Page]:
    """`person_at("mgra1234", "phone")` -> a page in its own context at that width (a phone: mobile, touch,
    twice the pixels), signed in as one of a test's own people (tests/factories.py's password)."""
    from tests.browser._helpers import PASSWORD as FACTORY_PASSWORD
    from tests.browser._helpers import VIEWPORTS

    def make(username: str, width: str = "desktop") -> Page:
        phone = width == "phone"
        page = make_context(viewport=VIEWPORTS[width], is_mobile=phone, has_touch=phone,
                            device_scale_factor=2 if phone else 1).new_page()
        log_in(page, base, username, FACTORY_PASSWORD)
        return page

    return make


@pytest.fixture
def open_workspace(base: str) -> Callable[[Page, int], None]:
    """`open_workspace(page, incident_id)`: go to the incident's workspace and wait until its socket is up."""

    def go(page: Page, incident_id: int) -> None:
        page.goto(f"{base}/incidents/{incident_id}/")
        expect(page.locator("[data-live-incident]")).to_be_attached()
        expect(page.locator("#live-status[data-state=live]")).to_be_attached()

    return go
