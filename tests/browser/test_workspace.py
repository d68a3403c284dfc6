"""The console in a real browser: opening an incident, live updates between people, live loss of access,
accessibility (axe-core) and need-to-know for outsiders. Fixtures: tests/browser/conftest.py."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.axe import serious_violations

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")  # settings.TIME_ZONE: how the server reads datetime-local values
LIVE_TIMEOUT = 3000  # ms: a change must reach another person's open page within ~2 s, no reload
CHILD_DEATH_TITLE = "Death of a child known to the North team"  # seed_demo: restricted, led by dhughes


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def _mark_page(page: Page) -> str:
    """Put a marker on the page's window: it survives htmx swaps but not a navigation or reload."""
    marker = secrets.token_hex(6)
    page.evaluate("m => { window.__harbourE2E = m; }", marker)
    return marker


def _marker(page: Page) -> str | None:
    return page.evaluate("() => window.__harbourE2E || null")


def _tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def _banner(page: Page):
    return page.locator(".govuk-notification-banner")


# --- a. opening an incident --------------------------------------------------------------------------------


def test_senior_leader_opens_an_incident(signed_in, base):
    page = signed_in("dhughes")
    page.get_by_role("button", name="Open an incident").click()
    expect(page.get_by_role("heading", name="Open an incident", level=1)).to_be_visible()

    # Empty: the GOV.UK error summary, one message per missing field, each linked to its input.
    page.get_by_role("button", name="Open incident").click()
    expect(page).to_have_title(re.compile(r"^Error: Open an incident"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary on load
    expected = {
        "Enter a title.": "#id_title",
        "Choose the kind of incident.": "#id_kind",  # nothing chosen for them (issue 11)
        "Choose the severity.": "#id_severity",
        "Enter when it happened.": "#id_occurred_at",
        "Enter when the organisation became aware.": "#id_aware_at",
        "Enter a summary.": "#id_summary",
    }
    links = summary.locator(".govuk-error-summary__list a")
    expect(links).to_have_text(list(expected), ignore_case=False)
    for message, target in expected.items():
        link = summary.get_by_role("link", name=message)
        expect(link).to_have_attribute("href", target)
        field = page.locator(target)
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{target[1:]}_error\b"))
        expect(page.locator(f"{target}_error")).to_contain_text(message)
        link.click()
        expect(field).to_be_focused()

    # Properly filled in (times in the past, awareness after the event): the new incident's workspace.
    now = dt.datetime.now(tz=LONDON)
    title = f"Fire at the Westfield children's home {secrets.token_hex(3)}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind of incident").select_option(label="Other serious incident")
    page.get_by_label("Severity").select_option(label="Major")
    page.locator("#id_occurred_at").fill(_local(now - dt.timedelta(hours=3)))
    page.locator("#id_aware_at").fill(_local(now - dt.timedelta(hours=2)))
    page.get_by_label("Summary").fill("A small fire in the kitchen. Everyone is safe; the home is closed tonight.")
    page.get_by_role("button", name="Open incident").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/incidents/\d+/$"))
    reference = re.compile(rf"INC-{now.year}-\d{{4}}")
    expect(page.locator(".govuk-caption-l")).to_have_text(reference)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(_banner(page)).to_contain_text(reference)
    expect(_banner(page)).to_contain_text("You are its lead")
    _tab(page, "Timeline")
    opened = page.locator('#panel-timeline [data-event-type="incident.opened"]')
    expect(opened).to_have_count(1)
    expect(opened).to_be_visible()
    expect(opened).to_contain_text(title)
    expect(opened).to_contain_text(reference)


# --- b. live updates ------------------------------------------------------------------------------------


def test_decision_appears_live_for_another_member(signed_in, open_workspace, restricted_id):
    lead = signed_in("dhughes")
    member = signed_in("bpatel")
    open_workspace(member, restricted_id)
    open_workspace(lead, restricted_id)
    marker = _mark_page(member)
    _tab(member, "Decision log")
    recorded_before = member.locator('#panel-timeline [data-event-type="decision.recorded"]').count()

    text = f"Hold a team debrief on Friday {secrets.token_hex(3)}"
    _tab(lead, "Decision log")
    lead.get_by_label("Decision", exact=True).fill(text)
    lead.get_by_label("Rationale", exact=True).fill("The team asked for a space to talk together.")
    lead.get_by_role("button", name="Record decision").click()
    expect(_banner(lead)).to_contain_text("is recorded")

    # The member's open page catches up by itself: decision log and timeline, no reload.
    expect(member.locator("#panel-decisions")).to_contain_text(text, timeout=LIVE_TIMEOUT)
    expect(member.locator("#panel-decisions")).to_be_visible()
    new_events = member.locator('#panel-timeline [data-event-type="decision.recorded"]')
    expect(new_events).to_have_count(recorded_before + 1, timeout=LIVE_TIMEOUT)
    expect(member.locator("#panel-timeline")).to_contain_text(text, timeout=LIVE_TIMEOUT)
    assert _marker(member) == marker, "the member's page navigated or reloaded instead of updating live"
    expect(member.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(member.locator("#live-announcer")).to_contain_text(text)


# --- c. live loss of access -----------------------------------------------------------------------------


def test_removed_member_loses_access_live(signed_in, open_workspace, restricted_id, base):
    lead = signed_in("dhughes")
    member = signed_in("bpatel")
    open_workspace(member, restricted_id)
    marker = _mark_page(member)

    open_workspace(lead, restricted_id)
    _tab(lead, "Members")
    lead.locator("#panel-members").get_by_role("link", name="Change Bilal Patel").click()
    expect(lead.get_by_role("heading", name="Bilal Patel", level=1)).to_be_visible()
    lead.get_by_label("Why are they being removed?").fill("Moved to another team this week.")
    lead.get_by_role("button", name="Remove from incident").click()
    expect(_banner(lead)).to_contain_text("has been removed")

    # The member's page reloads itself into "not found": the incident is gone for them.
    expect(member.get_by_role("heading", name="Page not found", level=1)).to_be_visible(timeout=5000)
    expect(member.locator("[data-live-incident]")).to_have_count(0)
    expect(member.get_by_text(CHILD_DEATH_TITLE)).to_have_count(0)
    assert _marker(member) != marker
    response = member.goto(f"{base}/incidents/{restricted_id}/")
    assert response is not None and response.status == 404

    # Put them back, so the tests do not depend on their order.
    open_workspace(lead, restricted_id)
    _tab(lead, "Members")
    lead.locator("#member_user").fill("bpatel")  # the first row of the form; no script needed to type a name
    lead.locator("#member_role").select_option("member")
    lead.get_by_label("Why are they being added?").fill("Back on the case.")
    lead.get_by_role("button", name="Add to incident").click()
    expect(_banner(lead)).to_contain_text("is now a member")


def test_pickers_search_as_you_type(signed_in, open_workspace, restricted_id):
    """The member picker and the decision form's "corrects" offer matches from a search as the person
    types (an organisation's staff and a long decision log are too long to send with the page)."""
    lead = signed_in("dhughes")
    open_workspace(lead, restricted_id)
    _tab(lead, "Members")
    lead.locator("#member_user").press_sequentially("singh", delay=30)  # in no incident
    expect(lead.locator(".autocomplete__option", has_text="Harjit Singh")).to_have_count(1, timeout=LIVE_TIMEOUT)

    _tab(lead, "Decision log")
    lead.get_by_label("Decision", exact=True).fill(f"Search me {secrets.token_hex(3)}")
    lead.get_by_label("Rationale", exact=True).fill("To be found.")
    lead.get_by_role("button", name="Record decision").click()
    expect(_banner(lead)).to_contain_text("is recorded")
    _tab(lead, "Decision log")
    lead.get_by_label("This entry corrects decision number").press_sequentially("Search me", delay=30)
    expect(lead.locator("#decision-choices option").first).to_contain_text("Search me", timeout=LIVE_TIMEOUT)


# --- d. accessibility -----------------------------------------------------------------------------------


def test_pages_have_no_serious_accessibility_violations(make_context, signed_in, open_workspace, restricted_id,
                                                       base):
    problems = []
    anonymous = make_context().new_page()
    anonymous.goto(f"{base}/login/")
    expect(anonymous.get_by_role("heading", name="Sign in to Harbour")).to_be_visible()
    problems += serious_violations(anonymous, "login page")

    page = signed_in("dhughes")
    problems += serious_violations(page, "what needs you now")
    page.goto(f"{base}/incidents/")
    expect(page.get_by_role("table")).to_be_visible()
    problems += serious_violations(page, "incident list")

    open_workspace(page, restricted_id)
    expect(page.get_by_role("tab", name="Overview")).to_be_visible()  # GOV.UK tabs initialised
    problems += serious_violations(page, "workspace (Overview tab)")
    assert not problems, "\n".join(problems)


# --- e. need-to-know ------------------------------------------------------------------------------------


def test_outsider_cannot_see_restricted_incident(signed_in, base, restricted_id):
    page = signed_in("hsingh")
    expect(page.get_by_text(CHILD_DEATH_TITLE)).to_have_count(0)
    expect(page.locator(f'a[href="/incidents/{restricted_id}/"]')).to_have_count(0)
    response = page.goto(f"{base}/incidents/{restricted_id}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_text(CHILD_DEATH_TITLE)).to_have_count(0)
