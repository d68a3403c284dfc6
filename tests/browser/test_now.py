"""What needs you now, and the menu, in a real browser (issue 11, points 1, 3 and 9): the list updates by
itself when someone else acts, at desktop and phone widths; it can be worked with the keyboard alone; the
menu never wraps at desktop widths, folds behind "Menu" on a phone, and offers each person only the pages
they use; axe-core finds no serious or critical violation. Fixtures: tests/browser/conftest.py.

Each test makes its own people in a child process (tests/browser/_helpers.py: run_set_up), and changes made
while the page is open go through the API, as another person's client would. People sign in at a width and
wait until the list's socket is up (signed_in(..., live=True)), so that no change is missed.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import PASSWORD, run_set_up, signed_in
from tests.browser.conftest import log_in
from tests.browser.test_support_board import LIVE_TIMEOUT, _mark_page, _marker, _no_horizontal_scroll, _token
from tests.servers import Stack, api_request

pytestmark = pytest.mark.browser

_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from comms import services as comms
from incidents import services as incidents
from incidents.membership import member_add
from clocks.models import Obligation
from tests.factories import make_user

tag = sys.argv[1]
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
tactical = make_user(f"tact{tag}", f"Theo Tactical {tag}", "manager")
comms_officer = make_user(f"comms{tag}", f"Cai Comms {tag}", "comms_officer")
quiet = make_user(f"quiet{tag}", f"Quinn Quiet {tag}")
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Flood at the Riverside home {tag}", kind="other", severity="major",
    occurred_at=now - dt.timedelta(hours=6), aware_at=now - dt.timedelta(hours=5),
    summary="Water came in overnight. Everyone is safe.", restricted=False,
)
member_add(actor=lead, incident_id=incident.pk, user=tactical, role="tactical_lead", reason="r")
member_add(actor=lead, incident_id=incident.pk, user=comms_officer, role="comms_lead", reason="r")
later = now + dt.timedelta(days=30)
Obligation.objects.filter(incident=incident).update(due_at=later, remind_at=later)  # no deadline in the way
message = comms.message_draft(actor=lead, incident_id=incident.pk, audience="press_statement",
                              subject=f"Statement on the flood {tag}", body="Everyone is safe.")
comms.message_submit(actor=lead, message_id=message.pk)
print(json.dumps({"incident": incident.pk, "message": message.pk, "subject": message.subject,
                  "lead": lead.username, "tactical": tactical.username, "comms": comms_officer.username,
                  "quiet": quiet.username}))
"""


@dataclass
class Flood:
    incident: int
    message: int
    subject: str
    lead: str
    tactical: str
    comms: str
    quiet: str


@pytest.fixture
def flood(harbour: Stack) -> Flood:
    return Flood(**run_set_up(harbour, _SET_UP, secrets.token_hex(3)))


def _item(page: Page, title: str):
    return page.locator("#panel-board .harbour-now__item", has=page.get_by_role("link", name=title))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_list_updates_by_itself_when_someone_else_acts(flood, make_context, base, width):
    page = signed_in(make_context, base, flood.comms, width, live=True)
    marker = _mark_page(page)
    item = _item(page, flood.subject)
    expect(item).to_contain_text("Waiting for your approval")
    expect(item).to_contain_text("Communications — · Command —")
    _no_horizontal_scroll(page, f"what needs you now ({width})")

    # The tactical lead approves through the API: the comms lead's open list shows it, without a reload.
    api_request(f"{base}/api/messages/{flood.message}/approve/", token=_token(base, flood.tactical), data={"version": 1})
    expect(item).to_contain_text("Communications — · Command ✓", timeout=LIVE_TIMEOUT)
    expect(page.locator("#live-announcer")).to_contain_text("What needs you has changed")
    assert _marker(page) == marker, "the page reloaded instead of updating live"

    # Someone whose list did not change hears nothing and keeps what they had: the lead, who drafted it.
    assert page.evaluate("() => document.querySelectorAll('#panel-board .harbour-now__item').length") >= 1
    problems = serious_violations(page, f"what needs you now ({width})")
    assert not problems, "\n".join(problems)


@pytest.mark.ui
def test_an_empty_list_says_nothing_needs_you(flood, make_context, base):
    page = signed_in(make_context, base, flood.quiet, "phone", live=True)
    expect(page.get_by_role("heading", name="Nothing needs you now")).to_be_visible()
    _no_horizontal_scroll(page, "an empty list on a phone")
    problems = serious_violations(page, "nothing needs you now")
    assert not problems, "\n".join(problems)


def _tab_until(page: Page, description: str, test: str, limit: int = 60) -> None:
    """Press Tab until the focused element passes the test (a JavaScript function of it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {description}")


@pytest.mark.ui
def test_keyboard_only_from_the_list_to_the_place_to_act(flood, make_context, base):
    page = signed_in(make_context, base, flood.comms, live=True)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    _tab_until(page, "the statement in the list",
               f"el => el.matches('#panel-board a') && el.textContent.includes({json.dumps(flood.subject)})")
    focused = page.locator(":focus")
    outline = focused.evaluate("el => getComputedStyle(el).outlineStyle + getComputedStyle(el).boxShadow")
    assert outline != "none" + "none", "the focused link shows no focus"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/messages/{flood.message}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(flood.subject)


# --- the menu ---------------------------------------------------------------------------------------------


def _menu_lines(page: Page) -> int:
    tops = page.locator(".govuk-service-navigation__item:visible").evaluate_all(
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
    return len(set(tops))


@pytest.mark.ui
@pytest.mark.parametrize("username", ["dhughes", "lbrennan", "rcollins", "aobrien", "admin"])
def test_the_menu_never_wraps_at_desktop_widths(make_context, base, username):
    for width in (1024, 1280):
        page = make_context(viewport={"width": width, "height": 800}).new_page()
        log_in(page, base, username)  # a demo person: harbour-demo
        assert _menu_lines(page) == 1, f"{username}'s menu wraps at {width}px"
        page.close()


@pytest.mark.ui
def test_each_person_is_offered_the_pages_they_use(make_context, base, flood):
    def menu(username: str, password: str = PASSWORD) -> list[str]:
        page = signed_in(make_context, base, username, password=password, live=True)
        return [t.split(" (")[0] for t in page.locator(".govuk-service-navigation__link:visible").all_inner_texts()]

    assert menu(flood.comms) == ["Now", "Incidents", "Approvals", "Inbox"]
    assert menu(flood.tactical) == ["Now", "Incidents", "Clocks", "Approvals", "Inbox"]
    assert "Approvals" not in menu(flood.quiet) and "API" not in menu(flood.quiet)
    assert "Clocks" not in menu(flood.quiet) and "Support requests" not in menu(flood.quiet)
    assert "API" in menu("admin", "harbour-demo")
    assert "Support requests" in menu("rcollins", "harbour-demo")


@pytest.mark.ui
def test_on_a_phone_the_menu_folds_behind_a_button(flood, make_context, base):
    page = signed_in(make_context, base, flood.comms, "phone", live=True)
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    menu = page.locator("#navigation")
    expect(menu.get_by_role("link", name="Incidents")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
    _no_horizontal_scroll(page, "the incident list on a phone")


@pytest.mark.ui
def test_the_items_stack_one_below_another(make_context, base):
    """A comms officer of the demo organisation has several things waiting: each is its own row, full width,
    one below the other (a date field's "Now" button once shared the list's class and laid it out in a row)."""
    page = signed_in(make_context, base, "lbrennan", password="harbour-demo", live=True)
    boxes = page.locator("#panel-board .harbour-now__item").evaluate_all(
        "items => items.map(i => { const r = i.getBoundingClientRect(); return [r.left, r.top, r.bottom]; })")
    assert len(boxes) >= 2, boxes
    assert len({round(left) for left, _, _ in boxes}) == 1, boxes
    assert all(later[1] >= earlier[2] for earlier, later in zip(boxes, boxes[1:], strict=False)), boxes
