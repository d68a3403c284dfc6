"""Forms that fit the task (issue 11, point 6) in a real browser, at desktop and phone widths: the message
editor reveals only the chosen audience's fields; people are chosen by name with the keyboard, listed and
removed; the message saves with them; "Now" fills a date; the open-incident form chooses nothing for you;
nothing scrolls sideways; axe-core finds no serious or critical violation with the autocomplete open.
Server side: tests/test_forms_fit.py. Each test makes its own people in a child process."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.axe import serious_violations
from tests.browser._helpers import run_set_up, signed_in
from tests.browser.test_support_board import _no_horizontal_scroll
from tests.servers import Stack

pytestmark = [pytest.mark.browser, pytest.mark.ui]
OPTIONS = ".autocomplete__option:not(.autocomplete__option--no-results)"


def _answered(page) -> None:
    """Wait until every autocomplete shows the answer to its latest question: an answer arriving after the
    arrow key redraws the menu and drops the highlight."""
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)

_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from incidents import services as incidents
from tests.factories import make_user

tag = sys.argv[1]
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
pick = make_user(f"pick{tag}", f"Petra Zanzibar{tag}")
other = make_user(f"othr{tag}", f"Oscar Zanzibar{tag}")
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Flood at the Riverside home {tag}", kind="other", severity="major",
    occurred_at=now - dt.timedelta(hours=6), aware_at=now - dt.timedelta(hours=5),
    summary="Water came in overnight. Everyone is safe.", restricted=False,
)
print(json.dumps({"incident": incident.pk, "lead": lead.username, "pick": pick.username, "pick_name": pick.full_name,
                  "other": other.username, "other_name": other.full_name, "tag": tag}))
"""


@dataclass
class Flood:
    incident: int
    lead: str
    pick: str
    pick_name: str
    other: str
    other_name: str
    tag: str


@pytest.fixture
def flood(harbour: Stack) -> Flood:
    return Flood(**run_set_up(harbour, _SET_UP, secrets.token_hex(3)))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_message_to_people_chosen_by_name(flood, make_context, base, width):
    page = signed_in(make_context, base, flood.lead, width)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/incidents/{flood.incident}/comms/new/")
    expect(page.locator('input[name="audience"]:checked')).to_have_count(0)
    people = page.locator("#conditional-message_recipients")
    teams_or_addresses = page.get_by_label("Email addresses")
    expect(people).to_be_hidden()
    expect(teams_or_addresses).to_be_hidden()

    page.get_by_label("Chosen staff").check()
    expect(people).to_be_visible()
    expect(teams_or_addresses).to_be_hidden()
    expect(page.get_by_label("Content note")).to_be_visible()  # an internal briefing

    # Type part of a name, choose with the keyboard: two people share the surname; the first is chosen.
    chooser = page.locator("#message_recipients")
    chooser.click()
    chooser.press_sequentially(f"zanzibar{flood.tag}")
    expect(page.locator(OPTIONS)).to_have_count(2)
    problems = serious_violations(page, f"the message editor, autocomplete open ({width})")
    assert not problems, "\n".join(problems)
    chooser.fill("")  # axe's run takes focus away, which closes the menu: type again
    chooser.press_sequentially(f"zanzibar{flood.tag}")
    expect(page.locator(OPTIONS)).to_have_count(2)
    _answered(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    chosen = page.locator(".harbour-chosen__item")
    assert not errors, errors
    expect(chosen).to_have_count(1)
    expect(chosen.first).to_contain_text(flood.other_name)  # names sort Oscar before Petra
    # And Petra, by her whole name; then Oscar is removed again.
    chooser.press_sequentially(flood.pick_name.lower())
    expect(page.get_by_role("option", name=flood.pick_name)).to_be_visible()
    expect(page.locator(OPTIONS)).to_have_count(1)
    _answered(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(chosen).to_have_count(2)
    expect(page.locator(".harbour-choose ~ [aria-live]")).to_contain_text("added")
    chosen.filter(has_text=flood.other_name).get_by_role("button").click()
    expect(chosen).to_have_count(1)
    expect(page.locator(".harbour-choose ~ [aria-live]")).to_contain_text("removed")

    # "Now" fills the embargo, to the minute.
    page.get_by_role("button", name=re.compile("^Now")).click()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page.locator("#message_release_at").input_value())
    page.locator("#message_release_at").fill("")

    page.get_by_label("Subject").fill(f"For one person {width}")
    page.get_by_label("Message", exact=True).fill("A short briefing.")
    _no_horizontal_scroll(page, f"the message editor ({width})")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft is saved as version 1.")).to_be_visible()
    expect(page.locator("main")).to_contain_text(flood.pick_name)
    expect(page.locator("main")).not_to_contain_text(flood.other_name)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_adding_members_with_the_autocomplete(flood, make_context, base, width):
    page = signed_in(make_context, base, flood.lead, width)
    page.goto(f"{base}/incidents/{flood.incident}/#members")
    if width == "phone":
        page.locator('.govuk-tabs__list a[href="#members"]').click()
    field = page.locator("#member_user")
    field.click()
    field.press_sequentially(flood.pick_name.lower())
    expect(page.get_by_role("option", name=flood.pick_name)).to_be_visible()
    expect(page.locator(OPTIONS)).to_have_count(1)
    problems = serious_violations(page, f"the member form, autocomplete open ({width})")
    assert not problems, "\n".join(problems)
    field.fill("")
    field.press_sequentially(flood.pick_name.lower())
    expect(page.get_by_role("option", name=flood.pick_name)).to_be_visible()
    expect(page.locator(OPTIONS)).to_have_count(1)
    _answered(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator("#member_role").select_option("observer")
    page.get_by_label("Why are they being added?").fill("Needs to know")
    _no_horizontal_scroll(page, f"the member form ({width})")
    page.get_by_role("button", name="Add to incident").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{flood.pick_name} is now a member")


def test_the_open_incident_form_chooses_nothing_and_offers_now(flood, make_context, base):
    page = signed_in(make_context, base, flood.lead, "phone")
    page.goto(f"{base}/incidents/new/")
    expect(page.locator("#id_kind")).to_have_value("")
    expect(page.locator("#id_severity")).to_have_value("")
    page.get_by_role("button", name="Now for when it happened").click()
    assert page.locator("#id_occurred_at").input_value()
    expect(page.locator(".harbour-now-button [aria-live]").first).to_contain_text("set to now")
    _no_horizontal_scroll(page, "the open-incident form (phone)")
    page.get_by_role("button", name="Open incident").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the kind of incident.")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the severity.")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_debrief_arranged_with_people_chosen_by_name(flood, make_context, base, width):
    page = signed_in(make_context, base, flood.lead, width)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/incidents/{flood.incident}/support/#arrange")
    expect(page.get_by_label("Kind of debrief")).to_have_value("")  # nobody's kind chosen for them

    # The facilitator: one person, by name.
    facilitator = page.locator("#debrief_facilitator")
    facilitator.click()
    facilitator.press_sequentially(flood.pick_name.lower())
    expect(page.locator(f"[data-choose-person] {OPTIONS}")).to_have_count(1)
    _answered(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(facilitator).to_have_value(f"{flood.pick} — {flood.pick_name}")

    # The invitees: two people who share a surname, each chosen in turn; one removed, chosen again.
    invitees = page.locator("#debrief_invitees")
    chosen = page.locator("#arrange ~ form .harbour-chosen__item")
    for name in (flood.pick_name, flood.other_name):
        invitees.click()
        invitees.press_sequentially(name.lower())
        expect(page.get_by_role("option", name=name)).to_be_visible()
        expect(page.locator(f"[data-choose-people] {OPTIONS}")).to_have_count(1)  # the facilitator's menu keeps its own
        _answered(page)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    expect(chosen).to_have_count(2)
    chosen.filter(has_text=flood.other_name).get_by_role("button").click()
    expect(chosen).to_have_count(1)
    problems = serious_violations(page, f"arranging a debrief ({width})")
    assert not problems, "\n".join(problems)

    page.get_by_label("Kind of debrief").select_option("hot")
    page.get_by_role("button", name=re.compile("^Now")).first.click()  # this minute has begun: the past
    page.get_by_label("Where").fill("Room 2")
    _no_horizontal_scroll(page, f"arranging a debrief ({width})")
    assert not errors, errors
    page.get_by_role("button", name="Arrange and invite").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    errors.clear()  # the browser logs the form's 400, which is the page working as it should
    expect(page.get_by_text("A debrief cannot start in the past").first).to_be_visible()
    # The people chosen are still there, by name.
    expect(chosen).to_have_count(1)
    expect(chosen.first).to_contain_text(flood.pick_name)
    expect(facilitator).to_have_value(f"{flood.pick} — {flood.pick_name}")
    page.get_by_label("Starts").fill("2030-06-03T10:00")  # a Monday morning
    page.get_by_role("button", name="Arrange and invite").click()
    expect(page.get_by_text("arranged: the invitations go out in office hours")).to_be_visible()
    expect(page.locator("main")).to_contain_text(flood.pick_name)
    expect(page.locator("main")).not_to_contain_text(flood.other_name)
    assert not errors, errors
