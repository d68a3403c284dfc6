"""Pictures and the one-page summary in a real browser (issue 11, point 7): the incident's summary and the
workspace's time line at desktop and phone widths, with nothing scrolling sideways and no serious or
critical axe-core violation; and the summary printed (print media emulated): the menu, header and footer
left out, the tables shown. Each test makes its own people and incident in a child process, as
tests/browser/test_now.py does. (PDF output is not tested: a visual check of paper is not automated.)"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import VIEWPORTS, run_set_up, signed_in
from tests.browser.test_support_board import _no_horizontal_scroll
from tests.servers import Stack

pytestmark = [pytest.mark.browser, pytest.mark.ui]

_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from comms import services as comms
from comms import releases as comms_releases
from incidents import services as incidents
from incidents.membership import member_add
from tests.factories import make_user

tag = sys.argv[1]
lead = make_user(f"plead{tag}", f"Lena Lead {tag}", "senior_leader")
comms_officer = make_user(f"pcomms{tag}", f"Cai Comms {tag}", "comms_officer")
# Five readers: a briefing to fewer than HARBOUR_SMALL_COUNT is not drawn over time (comms/selectors.py).
readers = [make_user(f"pread{i}{tag}", f"Rhian Reader{i} {tag}") for i in range(5)]
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Fire at the Hillside children's home {tag}", kind="other", severity="major",
    occurred_at=now - dt.timedelta(days=2), aware_at=now - dt.timedelta(days=2, hours=-1),
    summary="Everyone got out safely.", restricted=False,
)
member_add(actor=lead, incident_id=incident.pk, user=comms_officer, role="comms_lead", reason="r")
for reader in readers:
    member_add(actor=lead, incident_id=incident.pk, user=reader, role="member", reason="r")
for text in ("Move the children to the Orchard home tonight", "Brief every member of staff before the press"):
    incidents.decision_record(actor=lead, incident_id=incident.pk, decision=text, rationale="Their safety first.")
message = comms.message_draft(actor=lead, incident_id=incident.pk, audience="people", recipients=[r.username for r in readers],
                              subject=f"What happened at Hillside {tag}", body="Everyone is safe.")
comms.message_submit(actor=lead, message_id=message.pk)
comms.message_approve(actor=comms_officer, message_id=message.pk, version=1)
comms_releases.message_release(actor=comms_officer, message_id=message.pk)
comms_releases.message_acknowledge(actor=readers[0], message_id=message.pk)
incidents.incident_transition(actor=lead, incident_id=incident.pk, status="stabilising", reason="All are housed.")
print(json.dumps({"incident": incident.pk, "message": message.pk, "lead": lead.username,
                  "comms": comms_officer.username, "title": incident.title}))
"""


@dataclass
class Fire:
    incident: int
    message: int
    lead: str
    comms: str
    title: str


@pytest.fixture
def fire(harbour: Stack) -> Fire:
    return Fire(**run_set_up(harbour, _SET_UP, secrets.token_hex(3)))


def _no_serious_violations(page: Page, what: str) -> None:
    problems = serious_violations(page, what)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_summary_reads_on_a_screen(fire, make_context, base, width):
    page = signed_in(make_context, base, fire.lead, width)
    page.goto(f"{base}/incidents/{fire.incident}/summary/")
    expect(page.get_by_role("heading", level=1)).to_have_text(fire.title)
    expect(page.get_by_test_id("marking-top")).to_have_text("Official – Sensitive")
    expect(page.get_by_test_id("summary-decisions")).to_contain_text("Brief every member of staff before the press")
    expect(page.get_by_test_id("summary-released")).to_contain_text("What happened at Hillside")
    expect(page.get_by_test_id("status")).to_contain_text("Stabilising")
    _no_horizontal_scroll(page, f"the summary ({width})")
    _no_serious_violations(page, f"the summary ({width})")


def test_the_summary_prints_without_the_menu_and_with_its_tables(fire, make_context, base):
    page = signed_in(make_context, base, fire.lead, "desktop")
    page.goto(f"{base}/incidents/{fire.incident}/summary/")
    expect(page.locator(".harbour-nav")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in (".govuk-header", ".harbour-nav", ".govuk-footer", ".harbour-subnav"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.get_by_test_id("marking-top")).to_be_visible()
    expect(page.get_by_test_id("marking-bottom")).to_be_visible()
    for table in page.locator(".harbour-summary table").all():
        expect(table).to_be_visible()
    assert page.locator(".harbour-summary table").count() >= 2  # what has gone out, and open actions


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_timeline_is_drawn_above_the_list(fire, make_context, base, width):
    page = signed_in(make_context, base, fire.lead, width)
    page.goto(f"{base}/incidents/{fire.incident}/#timeline")
    chart = page.locator(f"#timeline-chart-{fire.incident} svg[role=img]")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= VIEWPORTS[width]["width"] and box["height"] > 60
    expect(page.locator(f"#timeline-chart-{fire.incident}")).to_contain_text("Decisions (2)")
    table = page.locator(f"#timeline-chart-{fire.incident} table")
    expect(table).to_be_hidden()  # folded on screen, beneath "Show the numbers as a table"
    page.locator(f"#timeline-chart-{fire.incident} summary").click()
    expect(table).to_contain_text("Messages released")
    _no_horizontal_scroll(page, f"the time line ({width})")
    _no_serious_violations(page, f"the workspace's time line ({width})")


def test_a_folded_table_is_printed_open(fire, make_context, base):
    page = signed_in(make_context, base, fire.comms, "desktop")
    page.goto(f"{base}/messages/{fire.message}/")
    table = page.locator(f"#reads-chart-{fire.message} table")
    expect(table).to_be_hidden()
    page.emulate_media(media="print")
    expect(table).to_be_visible()
    expect(table).to_contain_text("fewer than 5 of 5")  # one of five read it: a number would point to them


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_withheld_count_is_a_band_on_the_picture(fire, make_context, base, width):
    page = signed_in(make_context, base, fire.comms, width)
    page.goto(f"{base}/messages/{fire.message}/")
    expect(page.get_by_test_id("ack-count")).to_have_text(
        "Fewer than 5 of the 5 people it went to have said they have read it")
    band = page.locator(f"#reads-chart-{fire.message} svg rect[stroke-dasharray]")
    expect(band).to_have_count(1)
    assert band.bounding_box()["width"] > 20  # from the release to now: when the one read it is not drawn
    _no_horizontal_scroll(page, f"a briefing's reads ({width})")
    _no_serious_violations(page, f"a briefing's reads ({width})")
