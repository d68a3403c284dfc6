"""Every page, as the demo organisation's people reach it, on a phone (issue 11, point 3, and the issue's
"axe-core on every page"): following the links a person can follow from "What needs you now", no page
scrolls sideways at 390 px, every tab of an incident's workspace fits too, and axe-core finds no serious or
critical violation on any kind of page. Fixtures: tests/browser/conftest.py (the seeded demo data)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.ui]

# Who walks the site: a Director who leads an incident, a comms officer, the wellbeing lead, a team
# manager, and a youth worker with a check-in of her own.
WALKERS = ("dhughes", "lbrennan", "rcollins", "aobrien", "fhussain")
PAGES_EACH = 30
SKIP = re.compile(r"^/(logout|api|admin|static)/|\.csv$|\.ics$|/panel/")
TABS = ("overview", "clocks", "members", "decisions", "timeline", "history")


def _kind_of(path: str) -> str:
    """One axe run per kind of page: /incidents/2/ and /incidents/1/ are the same page."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def _wide(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def _walk(page: Page, base: str, checked: set[str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < PAGES_EACH:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
        if _wide(page) > VIEWPORTS["phone"]["width"] + 1:
            problems.append(f"{path} scrolls sideways ({_wide(page)}px wide)")
        if re.fullmatch(r"/incidents/\d+/", path):
            for tab in TABS:
                page.evaluate("id => { window.location.hash = id; }", tab)
                expect(page.locator(f"#{tab}")).to_be_visible()
                if _wide(page) > VIEWPORTS["phone"]["width"] + 1:
                    problems.append(f"{path}#{tab} scrolls sideways ({_wide(page)}px wide)")
        kind = _kind_of(path)
        if kind not in checked:
            checked.add(kind)
            problems += serious_violations(page, f"{kind} on a phone")
        for href in page.locator("a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            href = href.split("#")[0]
            if href and not SKIP.search(href) and href not in seen and href not in queue:
                queue.append(href)
    return problems


def test_no_page_scrolls_sideways_on_a_phone_and_axe_finds_nothing_serious(make_context, base):
    checked: set[str] = set()
    problems: list[str] = []
    for username in WALKERS:
        page = make_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True).new_page()
        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("harbour-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="What needs you now", level=1)).to_be_visible()
        problems += [f"{username}: {p}" for p in _walk(page, base, checked)]
        page.close()
    assert len(checked) >= 15, sorted(checked)
    assert not problems, "\n".join(problems)
