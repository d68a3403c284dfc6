"""Communications in a real browser: the approvals board updating live between people, the editor's
identifier check as the author types, the inbox's content note and acknowledgement, and accessibility
(axe-core) of the communications pages. Fixtures: tests/browser/conftest.py; demo data: seed_demo.

The session shares one seeded database with the other browser tests, so these tests only add: new drafts
with unique subjects (approved, never released, so nobody's inbox changes) and one acknowledgement by
bpatel of the child death briefing, which no other test reads.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.axe import serious_violations

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 3000  # ms: a change must reach another person's open board within ~2 s, no reload
CHILD_DEATH_TITLE = "Death of a child known to the North team"  # restricted, led by dhughes; lbrennan comms lead
VIOLENCE_TITLE = "Disorder in the town centre and attack on the family hub"  # led by mokafor; tadeyemi a member
BRIEFING_SUBJECT = "Sad news about a child known to the team"  # seeded, released to Assessment and Intervention North
BRIEFING_NOTE = "This message is about the death of a child the team worked with."
PRESS_SUBJECT = "Family hub reopens"  # seeded in the violence incident: approved, not released


def _mark_page(page: Page) -> str:
    """Put a marker on the page's window: it survives htmx swaps but not a navigation or reload."""
    marker = secrets.token_hex(6)
    page.evaluate("m => { window.__harbourE2E = m; }", marker)
    return marker


def _marker(page: Page) -> str | None:
    return page.evaluate("() => window.__harbourE2E || null")


def _banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner")


def _open_board(page: Page, base: str) -> None:
    page.goto(f"{base}/approvals/")
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    expect(page.locator("#live-status[data-state=live]")).to_be_attached()
    expect(page.locator("#panel-board")).to_be_attached()


def _card(page: Page, column: str, subject: str) -> Locator:
    return page.locator(f'#panel-board [data-column="{column}"] article.harbour-card').filter(has_text=subject)


def _open_editor(page: Page, base: str, incident_id: int) -> None:
    page.goto(f"{base}/incidents/{incident_id}/comms/")
    expect(page.get_by_role("heading", name="Communications", level=1)).to_be_visible()
    page.get_by_role("link", name="Draft a message").click()
    expect(page.get_by_role("heading", name="Draft a message", level=1)).to_be_visible()


def _warning(page: Page) -> Locator:
    return page.locator('#identifier-check [data-testid="identifier-warning"]')


def _inbox_link(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Inbox"))


def _to_read(page: Page) -> int:
    """How many briefings the header says are waiting to be read (0 when it says nothing)."""
    found = re.search(r"\((\d+) to read\)", " ".join(_inbox_link(page).text_content().split()))
    return int(found.group(1)) if found else 0


# --- 1. the approvals board, live ------------------------------------------------------------------------


def test_approvals_board_updates_live(signed_in, base, incident_ids):
    violence_id = incident_ids[VIOLENCE_TITLE]
    approver = signed_in("tadeyemi")  # comms officer, member of the violence incident
    watcher = signed_in("lbrennan")  # its comms lead
    _open_board(approver, base)
    _open_board(watcher, base)
    approver_marker = _mark_page(approver)
    watcher_marker = _mark_page(watcher)

    # The incident's lead drafts an all-staff message and submits it.
    subject = f"Travel home in pairs this week {secrets.token_hex(3)}"
    author = signed_in("mokafor")
    author.goto(f"{base}/incidents/{violence_id}/")
    author.get_by_role("navigation", name="Incident sections").get_by_role("link", name="Communications").click()
    expect(author.get_by_role("heading", name="Communications", level=1)).to_be_visible()
    author.get_by_role("link", name="Draft a message").click()
    expect(author.get_by_role("heading", name="Draft a message", level=1)).to_be_visible()
    author.get_by_role("radio", name="All staff").check()
    author.get_by_label("Subject", exact=True).fill(subject)
    author.get_by_label("Message", exact=True).fill(
        "Please travel home in pairs or by taxi after evening sessions this week; the cost will be met."
    )
    author.get_by_role("button", name="Save draft").click()
    expect(author).to_have_url(re.compile(rf"^{re.escape(base)}/messages/\d+/$"))
    expect(author.get_by_role("heading", name=subject, level=1)).to_be_visible()
    expect(_banner(author)).to_contain_text("Your draft is saved as version 1")
    message_url = author.url
    author.get_by_role("button", name="Submit for approval").click()
    expect(_banner(author)).to_contain_text("Submitted for approval")

    # Both open boards show the card waiting for approval, by themselves.
    for board in (approver, watcher):
        expect(_card(board, "in_review", subject)).to_be_visible(timeout=LIVE_TIMEOUT)
        expect(board.locator("#live-status")).to_have_attribute("data-state", "live")
    assert _marker(approver) == approver_marker, "the approver's board navigated or reloaded instead of updating live"
    assert _marker(watcher) == watcher_marker, "the comms lead's board navigated or reloaded instead of updating live"

    # The approver opens the card and approves it (internal: one approval is enough).
    _card(approver, "in_review", subject).get_by_role("link", name=subject).click()
    expect(approver).to_have_url(message_url)
    expect(approver.get_by_role("heading", name=subject, level=1)).to_be_visible()
    approver.get_by_role("button", name="Approve version 1").click()
    expect(_banner(approver)).to_contain_text("Approved.")
    expect(approver.locator("#panel-message")).to_contain_text("Approved")

    # The comms lead's board, open since before the draft existed, moves the card on.
    expect(_card(watcher, "approved", subject)).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(_card(watcher, "in_review", subject)).to_have_count(0)
    assert _marker(watcher) == watcher_marker, "the comms lead's board navigated or reloaded instead of updating live"


# --- 2. the identifier check while typing ----------------------------------------------------------------


def test_identifier_warning_appears_while_typing(signed_in, base, restricted_id):
    page = signed_in("lbrennan")  # comms lead of the restricted child death incident: sees identifier values
    _open_editor(page, base, restricted_id)
    page.get_by_role("radio", name="Press statement").check()
    body = page.get_by_label("Message", exact=True)
    expect(_warning(page)).to_have_count(0)

    body.click()
    body.press_sequentially("We are thinking of the hollins' family", delay=15)
    warning = _warning(page)
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("could identify")
    expect(warning).to_contain_text("Hollins")
    expect(warning).to_contain_text("cannot be approved or released to this audience")
    expect(page).to_have_url(re.compile(r"/comms/new/$"))  # nothing was submitted
    expect(page.get_by_role("heading", name="Draft a message", level=1)).to_be_visible()

    # Rewritten without the name: the warning goes away.
    body.press("ControlOrMeta+a")
    body.press("Backspace")
    body.press_sequentially("We are thinking of the family", delay=15)
    expect(warning).to_have_count(0)
    expect(page.locator("#identifier-check")).to_be_empty()

    # The name back, for an internal audience: a warning, but internal messages may go ahead.
    body.press_sequentially(" and of everyone at Brookfield Primary", delay=15)
    expect(warning).to_contain_text("cannot be approved or released")
    page.get_by_role("radio", name="All staff").check()
    expect(warning).to_contain_text("Internal messages may go ahead")
    expect(warning).to_contain_text("Brookfield Primary")
    expect(warning).not_to_contain_text("cannot be approved")
    expect(page).to_have_url(re.compile(r"/comms/new/$"))


def _parts(page: Page) -> Locator:
    return page.locator('#identifier-check [data-testid="identifier-parts"]')


def test_evasions_and_parts_while_typing(signed_in, base, restricted_id):
    """The probe's evasions are caught as they are typed; part of an identifier alone is named as a part,
    for the comms lead to confirm, not as a block."""
    page = signed_in("lbrennan")
    _open_editor(page, base, restricted_id)
    page.get_by_role("radio", name="Social media post").check()
    body = page.get_by_label("Message", exact=True)
    body.click()
    body.press_sequentially("Thinking of you #KaydenHoIIins", delay=15)  # run together, capital I for l
    expect(_warning(page)).to_contain_text("Kayden Hollins")
    expect(_warning(page)).to_contain_text("cannot be approved or released to this audience")

    body.press("ControlOrMeta+a")
    body.press("Backspace")
    body.press_sequentially("A vigil will be held at Brookfield tonight.", delay=15)
    expect(_warning(page)).to_have_count(0)
    parts = _parts(page)
    expect(parts).to_contain_text("“Brookfield” (part of “Brookfield Primary”)")
    expect(parts).to_contain_text("comms lead must confirm")


def test_the_comms_lead_confirms_part_of_an_identifier(signed_in, base, restricted_id):
    page = signed_in("lbrennan")
    _open_editor(page, base, restricted_id)
    subject = f"Vigil at Brookfield {secrets.token_hex(3)}"
    page.get_by_role("radio", name="Website update").check()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=True).fill("A vigil will be held at Brookfield tonight at 7pm.")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    gates = page.get_by_test_id("gates")
    expect(gates.locator('[data-gate="identifier_part_found"]')).to_be_visible()

    form = page.locator("#confirm-parts")
    form.get_by_role("button", name="Confirm for version 1").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why these words do not identify")
    page.locator("#confirm-parts").get_by_label(re.compile("Why do these words")).fill(
        "Brookfield here is the park where the vigil is held, not the school.")
    page.locator("#confirm-parts").get_by_role("button", name="Confirm for version 1").click()
    expect(_banner(page)).to_contain_text("Confirmed")
    expect(page.get_by_test_id("part-confirmations")).to_contain_text("the park where the vigil is held")
    expect(gates.locator('[data-gate="identifier_part_found"]')).to_have_count(0)
    expect(page.locator("#confirm-parts")).to_have_count(0)


# --- 3. the inbox and a content note ---------------------------------------------------------------------


def test_inbox_briefing_with_content_note(signed_in, base):
    page = signed_in("bpatel")  # Assessment and Intervention North: the seeded briefing was sent to his team
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Inbox")).click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(_inbox_link(page)).to_contain_text("to read")
    unread = _to_read(page)
    assert unread >= 1

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=BRIEFING_SUBJECT, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("To read")
    expect(row).to_contain_text(BRIEFING_NOTE)
    row.get_by_role("link", name=BRIEFING_SUBJECT).click()

    # The content note comes first; the message waits, closed, until he chooses to open it.
    expect(page.get_by_role("heading", name=BRIEFING_SUBJECT, level=1)).to_be_visible()
    note = page.get_by_test_id("content-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text(BRIEFING_NOTE)
    details = page.locator("details").filter(has=page.get_by_test_id("message-body"))
    expect(details).to_have_count(1)
    expect(details).not_to_have_attribute("open", re.compile(".*"))
    body = page.get_by_test_id("message-body")
    expect(body).to_be_hidden()
    note_first = page.evaluate(
        """() => {
            const note = document.querySelector('[data-testid="content-note"]');
            const body = document.querySelector('[data-testid="message-body"]');
            return Boolean(note.compareDocumentPosition(body) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert note_first, "the content note must come before the message"

    page.get_by_text("Read the message when you are ready").click()
    expect(details).to_have_attribute("open", "")
    expect(body).to_be_visible()
    expect(body).to_contain_text("a child the team has been working with has died")

    page.get_by_label("I would like to talk to someone").check()
    page.get_by_role("button", name="I have read this").click()
    expect(_banner(page)).to_contain_text("Thank you. A wellbeing lead will be in touch.")
    expect(page.get_by_text("You asked to talk to someone")).to_be_visible()
    if unread == 1:
        expect(_inbox_link(page)).not_to_contain_text("to read")
    else:
        expect(_inbox_link(page)).to_contain_text(f"({unread - 1} to read)")

    page.get_by_role("link", name="Inbox", exact=True).first.click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=BRIEFING_SUBJECT, exact=True))
    expect(row).not_to_contain_text("To read")
    expect(row.get_by_role("cell").last).to_have_text("Yes")


# --- 4. accessibility ------------------------------------------------------------------------------------


def test_comms_pages_have_no_serious_accessibility_violations(signed_in, base, incident_ids, restricted_id):
    problems: list[str] = []
    violence_id = incident_ids[VIOLENCE_TITLE]

    comms = signed_in("lbrennan")
    comms.goto(f"{base}/incidents/{violence_id}/comms/")
    expect(comms.get_by_role("heading", name="Communications", level=1)).to_be_visible()
    expect(comms.get_by_role("link", name=PRESS_SUBJECT)).to_be_visible()
    problems += serious_violations(comms, "communications page")

    _open_editor(comms, base, restricted_id)
    comms.get_by_role("radio", name="Press statement").check()
    body = comms.get_by_label("Message", exact=True)
    body.click()
    body.press_sequentially("Our thoughts are with the Hollins family", delay=10)
    expect(_warning(comms)).to_be_visible()
    problems += serious_violations(comms, "message editor (identifier warning showing)")
    body.press("ControlOrMeta+a")
    body.press("Backspace")
    body.press_sequentially("Our thoughts are with everyone at Brookfield", delay=10)
    expect(_parts(comms)).to_be_visible()
    problems += serious_violations(comms, "message editor (part of an identifier showing)")

    comms.goto(f"{base}/incidents/{violence_id}/comms/")
    comms.get_by_role("link", name=PRESS_SUBJECT).click()
    expect(comms.get_by_role("heading", name=PRESS_SUBJECT, level=1)).to_be_visible()
    expect(comms.get_by_role("button", name=re.compile(r"^Release"))).to_be_visible()
    problems += serious_violations(comms, "message page (approved press statement)")

    _open_board(comms, base)
    expect(comms.locator("#panel-board article.harbour-card").first).to_be_visible()
    problems += serious_violations(comms, "approvals board")

    reader = signed_in("bpatel")  # reads only: acknowledging is test 3's
    reader.goto(f"{base}/inbox/")
    expect(reader.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(reader.get_by_role("link", name=BRIEFING_SUBJECT)).to_be_visible()
    problems += serious_violations(reader, "inbox")

    reader.get_by_role("link", name=BRIEFING_SUBJECT).click()
    expect(reader.get_by_role("heading", name=BRIEFING_SUBJECT, level=1)).to_be_visible()
    expect(reader.get_by_test_id("content-note")).to_be_visible()
    problems += serious_violations(reader, "inbox item (content note)")

    assert not problems, "\n".join(problems)


# --- 5. a live refresh never wipes what someone is typing -------------------------------------------------


def test_live_refresh_waits_while_someone_is_typing(signed_in, base, incident_ids):
    violence_id = incident_ids[VIOLENCE_TITLE]
    reviewer = signed_in("lbrennan")
    reviewer.goto(f"{base}/incidents/{violence_id}/comms/")
    reviewer.get_by_role("link", name=PRESS_SUBJECT).click()
    expect(reviewer.locator("[data-live-socket]")).to_be_attached()
    reviewer.get_by_text("Ask for changes").click()
    words = "Please add the helpline number and soften the opening"
    reviewer.get_by_label("What needs to change?").fill(words)

    # Someone else changes the incident's communications: the message page hears of it.
    lead = signed_in("mokafor")
    _open_editor(lead, base, violence_id)
    lead.get_by_label("All staff").check()
    lead.get_by_label("Subject").fill(f"Rota note {secrets.token_hex(3)}")
    lead.get_by_label("Message", exact=True).fill("Evening sessions move to the library this week.")
    lead.get_by_role("button", name="Save draft").click()
    expect(_banner(lead)).to_contain_text("version 1")

    # The panel is marked stale but not swapped: the words and the place are kept.
    expect(reviewer.locator("#panel-message[data-stale]")).to_be_attached(timeout=LIVE_TIMEOUT)
    expect(reviewer.get_by_label("What needs to change?")).to_have_value(words)
    expect(reviewer.get_by_label("What needs to change?")).to_be_focused()
