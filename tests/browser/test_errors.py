"""Errors people can read, in a real browser against a real server running as Harbour runs by default
(debugging off): a missing page is Harbour's 404, in its layout, with the way back, on a desktop and on a
phone, with nothing scrolling sideways and no serious accessibility problems (axe-core); a form sent after
its session moved on is Harbour's page saying so, with the way back to the form.
Fixtures: tests/browser/conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import VIEWPORTS
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.ui]

DEBUG_MARKERS = ("Traceback", "Using the URLconf", "DEBUG = True", "Request Method", "Page not found (404)")


@pytest.fixture
def person_at(chromium: Browser) -> Iterator[Callable[[str], Page]]:
    """`person_at("phone")`: a fresh page in its own context at that width, not signed in."""
    contexts: list[BrowserContext] = []

    def make(width: str) -> Page:
        phone = width == "phone"
        context = chromium.new_context(locale="en-GB", timezone_id="Europe/London", viewport=VIEWPORTS[width],
                                       is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _sign_in(page: Page, base: str, username: str = "dhughes") -> None:
    """Through the form, as a person does; wherever Harbour lands them, they are no longer on it."""
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def _readable(page: Page, what: str) -> list[str]:
    """Harbour's layout, no debug content, nothing sideways; returns axe's serious findings."""
    expect(page.locator("header .harbour-wordmark")).to_have_text("Harbour")
    expect(page.locator("footer.govuk-footer")).to_be_visible()
    text = page.content()
    for marker in DEBUG_MARKERS:
        assert marker not in text, f"{what}: {marker!r} on the page"
    width = page.viewport_size["width"]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{what}: the page scrolls sideways at {width}px (scrollWidth {scroll})"
    return serious_violations(page, what)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_missing_page_is_harbours_with_the_way_back(person_at, base: str, width: str):
    page = person_at(width)
    response = page.goto(f"{base}/incidents/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    problems = _readable(page, f"404, not signed in ({width})")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()

    _sign_in(page, base)
    response = page.goto(f"{base}/incidents/987654321/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    problems += _readable(page, f"404, signed in ({width})")
    page.get_by_role("link", name="Back to incidents").click()
    expect(page.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_form_sent_after_its_session_moved_on_says_so(person_at, base: str, width: str):
    page = person_at(width)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("dhughes")
    page.get_by_label("Password").fill(PASSWORD)
    page.context.clear_cookies()  # as when the form was open too long, or the browser was restarted
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your form could not be sent", level=1)).to_be_visible()
    expect(page.get_by_text("Go back, reload the page and try again.")).to_be_visible()
    problems = _readable(page, f"form expired ({width})")
    page.get_by_role("link", name="Go back to the page you were on").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert not problems, "\n".join(problems)
