"""Issue 11, point 5, in a real browser: the workspace's history and timeline read as people read, at a
desktop and at a phone's width: "Restricted: no → yes", names, UK times; never True, usernames or ISO
strings. Fixtures: tests/browser/conftest.py."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.axe import serious_violations
from tests.browser._helpers import VIEWPORTS
from tests.browser.conftest import PASSWORD
from tests.servers import api_request

pytestmark = [pytest.mark.browser, pytest.mark.ui]

ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _show(page, name: str, width: str) -> None:
    """Open a tab; at a phone's width GOV.UK tabs are a list of links to panels shown one after another."""
    if width == "desktop":
        page.get_by_role("tab", name=name).click()
    else:
        page.locator(".govuk-tabs__list").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize("width", VIEWPORTS)
def test_history_and_timeline_show_human_values(make_context, base, open_workspace, width):
    # A fresh incident, opened and then restricted through the API by Dana Hughes (seed_demo's director),
    # with summer times: 07:00 and 08:15 UTC are 08:00 and 09:15 in London.
    token = api_request(f"{base}/api/auth/token/", data={"username": "dhughes", "password": PASSWORD})["token"]
    title = f"Flood at the respite centre {secrets.token_hex(3)}"
    incident = api_request(f"{base}/api/incidents/", token=token, data={
        "title": title, "kind": "other", "severity": "moderate", "summary": "Water in the ground floor.",
        "occurred_at": "2025-07-01T07:00:00Z", "aware_at": "2025-07-01T08:15:00Z",
    })
    api_request(f"{base}/api/incidents/{incident['id']}/", token=token, method="PATCH", data={"restricted": True})

    context = make_context()
    page = context.new_page()
    page.set_viewport_size(VIEWPORTS[width])
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("dhughes")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    open_workspace(page, incident["id"])

    _show(page, "History", width)
    history = page.locator("#panel-history")
    expect(history).to_be_visible()
    expect(history).to_contain_text("Restricted: no → yes")
    expect(history).to_contain_text("Restricted: no")
    expect(history).to_contain_text("Dana Hughes")
    expect(history).to_contain_text("Severity: Moderate")
    expect(history).to_contain_text("Kind: Other serious incident")
    expect(history).to_contain_text("Aware at: 1 Jul 2025, 09:15")  # British Summer Time, with the year
    text = history.inner_text()
    assert not ISO.search(text), ISO.search(text)
    assert "True" not in text and "False" not in text and "dhughes" not in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no field names (aware_at, opened_by)
    problems = serious_violations(page, f"the history tab ({width})")

    _show(page, "Timeline", width)
    timeline = page.locator("#panel-timeline")
    expect(timeline).to_be_visible()
    expect(timeline).to_contain_text("Dana Hughes opened")
    times = timeline.locator("time").all_inner_texts()
    assert times and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", t) for t in times), times
    text = timeline.inner_text()
    assert not ISO.search(text) and "True" not in text and "dhughes" not in text, text
    problems += serious_violations(page, f"the timeline tab ({width})")
    assert problems == [], "\n".join(problems)
