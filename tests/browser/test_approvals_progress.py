"""Boards that show progress (issue 11, point 2) in a real browser, at desktop (1280 px) and phone (390 px)
widths: an approvals card says which approvals it has and which it still needs, and moves on by itself when
someone else approves; a blocked message page offers no Release button but links to the step to take; nothing
scrolls sideways on a phone; axe-core finds nothing serious. And one journey by keyboard alone: from the
approvals board to an approval recorded, Tab and Enter only. Fixtures: tests/browser/conftest.py.

Each test makes its own people and a restricted incident of its own (unique names, so the shared session
database and the seeded demo data do not matter), by calling the services in a child process against the
servers' database before any page is open. The second approval goes through the API, as another person's
own client would: in the embedded stack only a change the server makes reaches the open boards.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import PASSWORD, run_set_up
from tests.servers import Stack, api_request

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 3000  # ms: a change must reach another person's open board within ~2 s, no reload

# Run by run_set_up, in a child process against the servers' database. Prints one line of JSON.
_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from comms import services as comms
from incidents import services as incidents
from incidents.membership import member_add
from tests.factories import make_user

tag, first_approval = sys.argv[1], sys.argv[2] == "yes"
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
tactical = make_user(f"tactical{tag}", f"Tariq Tactical {tag}", "manager")
officer = make_user(f"comms{tag}", f"Carys Comms {tag}", "comms_officer")
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Death of a young person {tag}", kind="child_death", severity="critical",
    occurred_at=now - dt.timedelta(hours=6), aware_at=now - dt.timedelta(hours=5),
    summary="A young person known to services died.", restricted=True,
)
for user, role in ((tactical, "tactical_lead"), (officer, "comms_lead")):
    member_add(actor=lead, incident_id=incident.pk, user=user, role=role, reason="Runs the response")
message = comms.message_draft(
    actor=lead, incident_id=incident.pk, audience="press_statement", subject=f"Our statement {tag}",
    body="We are deeply saddened. We are working closely with the police and will say more when we can.")
comms.message_submit(actor=lead, message_id=message.pk)
if first_approval:
    comms.message_approve(actor=officer, message_id=message.pk, version=1)
print(json.dumps({"incident": incident.pk, "message": message.pk, "subject": message.subject,
                  "lead": lead.username, "tactical": tactical.username, "tactical_name": tactical.full_name,
                  "comms": officer.username}))
"""


@dataclass
class Story:
    incident: int
    message: int
    subject: str
    lead: str
    tactical: str
    tactical_name: str
    comms: str


def _set_up(harbour: Stack, *, first_approval: bool) -> Story:
    return Story(**run_set_up(harbour, _SET_UP, secrets.token_hex(3), "yes" if first_approval else "no"))



# --- helpers --------------------------------------------------------------------------------------------


def _open_board(page: Page, base: str) -> None:
    page.goto(f"{base}/approvals/")
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    expect(page.locator("#panel-board")).to_be_attached()
    expect(page.locator("#live-status[data-state=live]")).to_be_attached()


def _card(page: Page, message_id: int) -> Locator:
    return page.locator(f'#panel-board article.harbour-card[data-message-id="{message_id}"]')


def _seen(locator: Locator) -> str:
    """The words as they are seen: without what only a screen reader hears."""
    return locator.evaluate("""el => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('.govuk-visually-hidden').forEach(n => n.remove());
        return copy.textContent.replace(/\\s+/g, ' ').trim();
    }""")


def _heard(locator: Locator) -> str:
    """The words as they are heard: without what is marked aria-hidden."""
    return locator.evaluate("""el => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('[aria-hidden="true"]').forEach(n => n.remove());
        return copy.textContent.replace(/\\s+/g, ' ').trim();
    }""")


def _mark_page(page: Page) -> str:
    marker = secrets.token_hex(6)
    page.evaluate("m => { window.__harbourE2E = m; }", marker)
    return marker


def _marker(page: Page) -> str | None:
    return page.evaluate("() => window.__harbourE2E || null")


def _no_horizontal_scroll(page: Page, what: str) -> None:
    width = page.viewport_size["width"]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{what}: the page scrolls sideways at {width}px (scrollWidth {scroll})"


def _token(base: str, username: str) -> str:
    return api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]


# --- 1. the card shows progress and moves on by itself; the blocked page links to the step ----------------


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_card_shows_progress_live_and_the_blocked_page_links_to_the_step(person_at, base, harbour, width):
    story = _set_up(harbour, first_approval=True)
    problems: list[str] = []
    page = person_at(story.comms, width)  # the comms lead, who gave the first approval
    _open_board(page, base)
    card = _card(page, story.message)
    expect(card).to_be_visible()
    approvals = card.get_by_test_id("approvals")
    assert "Communications ✓ · Command —" in _seen(approvals)
    assert _heard(approvals) == "Approvals: Communications approved, Command still needed"
    marker = _mark_page(page)
    _no_horizontal_scroll(page, f"approvals board ({width})")
    problems += serious_violations(page, f"approvals board, one approval of two ({width})")

    # The tactical lead approves from elsewhere: the open card moves on by itself, no reload.
    api_request(f"{base}/api/messages/{story.message}/approve/", token=_token(base, story.tactical),
                data={"version": 1})
    expect(approvals.locator('[data-held="true"]')).to_have_count(2, timeout=LIVE_TIMEOUT)
    assert "Communications ✓ · Command ✓" in _seen(card.get_by_test_id("approvals"))
    assert _marker(page) == marker, "the board navigated or reloaded instead of updating live"
    # Approved, and still it cannot go: it says what it waits for, who can override, and where to act.
    staff = card.locator('[data-gate="staff_not_briefed"]')
    expect(staff).to_contain_text("Waiting for the staff briefing.")
    expect(staff).to_contain_text(f"{story.tactical_name} (tactical lead) can release it anyway")
    expect(staff.get_by_role("link", name="Draft the staff briefing")).to_be_visible()
    expect(card.locator('[data-gate="family_not_informed"]')).to_contain_text(
        "Waiting for a record that the family has been told.")
    _no_horizontal_scroll(page, f"approvals board, a blocked card ({width})")
    problems += serious_violations(page, f"approvals board, a blocked card ({width})")

    # The message page offers no Release that would only be refused: it lists what must happen first.
    card.get_by_role("link", name=story.subject).click()
    expect(page.get_by_role("heading", name=story.subject, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Before it can be released", level=2)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Release"))).to_have_count(0)
    steps = page.get_by_test_id("gates")
    expect(steps).to_contain_text("Staff must hear before the press")
    expect(steps).to_contain_text("can record that the family has been told")  # not hers to record: who can
    expect(page.get_by_test_id("release-waiting")).to_contain_text("It can be released once the steps above are done")
    _no_horizontal_scroll(page, f"blocked message page ({width})")
    problems += serious_violations(page, f"blocked message page ({width})")

    # The step is a link that works: the editor, with all staff chosen.
    steps.get_by_role("link", name="Draft the staff briefing").click()
    expect(page.get_by_role("heading", name="Draft a message", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="All staff")).to_be_checked()
    assert not problems, "\n".join(problems)


# --- 2. the tactical lead is taken to the family record, and may override ---------------------------------


def test_the_tactical_lead_records_the_family_told_from_the_step(person_at, base, harbour):
    story = _set_up(harbour, first_approval=True)
    api_request(f"{base}/api/messages/{story.message}/approve/", token=_token(base, story.tactical),
                data={"version": 1})
    page = person_at(story.tactical)
    page.goto(f"{base}/messages/{story.message}/")
    expect(page.get_by_role("heading", name=story.subject, level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Release anyway")).to_be_visible()  # his to override, with a reason
    expect(page.get_by_role("button", name=re.compile(r"^Release now"))).to_have_count(0)

    page.get_by_test_id("gates").get_by_role("link", name="Record that the family has been told").click()
    expect(page).to_have_url(re.compile(rf"/incidents/{story.incident}/comms/#family_informed_at$"))
    told = page.get_by_label("When were they told?")
    expect(told).to_be_in_viewport()
    told.fill("2026-01-01T09:30")
    page.get_by_label("Who told them?").fill("Police family liaison officer")
    page.get_by_role("button", name="Record that the family was informed").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Recorded that the family has been informed")

    page.goto(f"{base}/messages/{story.message}/")
    steps = page.get_by_test_id("gates")
    expect(steps.locator('[data-gate="family_not_informed"]')).to_have_count(0)
    expect(steps.locator('[data-gate="staff_not_briefed"]')).to_have_count(1)


# --- 3. by keyboard alone: from the board to an approval recorded ------------------------------------------


def _tab_to(page: Page, name: str, *, limit: int = 120) -> None:
    """Press Tab until the focus is on the control whose words are `name`, and check it shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) { return null; }
            const style = getComputedStyle(el);
            return {text: (el.innerText || el.value || '').replace(/\\s+/g, ' ').trim(),
                    visible: style.outlineStyle !== 'none' || style.boxShadow !== 'none'
                             || style.backgroundColor === 'rgb(255, 221, 0)'};
        }""")
        if focused and focused["text"] == name:
            assert focused["visible"], f"“{name}” has the focus but does not show it"
            return
    raise AssertionError(f"“{name}” could not be reached with Tab")


def test_an_approval_by_keyboard_alone(person_at, base, harbour):
    story = _set_up(harbour, first_approval=False)
    page = person_at(story.comms)
    _open_board(page, base)
    expect(_card(page, story.message)).to_be_visible()
    assert "Communications — · Command —" in _seen(_card(page, story.message).get_by_test_id("approvals"))

    _tab_to(page, story.subject)  # the card's link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=story.subject, level=1)).to_be_visible()
    _tab_to(page, "Approve version 1")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved.")
    expect(page.get_by_test_id("approvals").first).to_contain_text("Communications")
    assert "Communications ✓ · Command —" in _seen(page.get_by_test_id("approvals").first)

    recorded = api_request(f"{base}/api/messages/{story.message}/", token=_token(base, story.comms))
    assert [(a["approver"], a["version"], a["as_comms"]) for a in recorded["approvals"]] == [(story.comms, 1, True)]
    assert recorded["release"]["approvals"][0]["by"] == story.comms
