"""Search in a real browser (issue 11, point 8): by reference and by words, at desktop and phone widths,
nothing scrolling sideways (a long unbroken word in a message included), axe-core finding no serious or
critical violation; and someone outside a restricted incident finds nothing of it. Fixtures:
tests/browser/conftest.py.

Each test makes its own people and incidents in a child process (tests/browser/_helpers.py), with a
word of its own in every record, so the shared session database and the seeded demo data do not matter.
The servers may be the embedded SQLite stack or PostgreSQL: the words chosen match in both (every word
appears as typed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import run_set_up, signed_in
from tests.browser.test_support_board import _no_horizontal_scroll
from tests.servers import Stack

pytestmark = pytest.mark.browser

_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from comms import services as comms
from incidents import services as incidents
from tests.factories import make_user
from incidents.membership import member_add

tag = sys.argv[1]
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
member = make_user(f"member{tag}", f"Mo Member {tag}")
senior = make_user(f"senior{tag}", f"Sid Senior {tag}", "senior_leader")  # outside both incidents
now = timezone.now()


def incident(title, summary, restricted):
    opened = incidents.incident_open(
        actor=lead, title=title, kind="other", severity="major", occurred_at=now - dt.timedelta(hours=6),
        aware_at=now - dt.timedelta(hours=5), summary=summary, restricted=restricted)
    member_add(actor=lead, incident_id=opened.pk, user=member, role="member", reason="r")
    return opened


flood = incident(f"Flood at the Riverside home {tag}", f"Water came in overnight. Sandbags{tag} are in place.",
                 restricted=False)
incidents.decision_record(actor=lead, incident_id=flood.pk, decision=f"Move the residents upstairs kestrel{tag}",
                          rationale="The ground floor is unsafe until it dries out.")
comms.message_draft(actor=lead, incident_id=flood.pk, audience="people", recipients=[member.username],
                    subject=f"Where everyone is sleeping kestrel{tag}",
                    body="The list is at https://intranet.example.org/" + "riverside-rooms-" * 12 + " for now.")
hidden = incident(f"Fire at the Marlowe hostel {tag}", f"Nobody was hurt. Marlowe{tag} residents are safe.",
                  restricted=True)
incidents.decision_record(actor=lead, incident_id=hidden.pk, decision=f"Rehouse the Marlowe{tag} residents",
                          rationale="The hostel is closed.")
print(json.dumps({"tag": tag, "flood": flood.pk, "flood_reference": flood.reference, "hidden": hidden.pk,
                  "hidden_reference": hidden.reference, "lead": lead.username, "member": member.username,
                  "senior": senior.username}))
"""


@dataclass
class Searchable:
    tag: str
    flood: int
    flood_reference: str
    hidden: int
    hidden_reference: str
    lead: str
    member: str
    senior: str


@pytest.fixture
def searchable(harbour: Stack) -> Searchable:
    return Searchable(**run_set_up(harbour, _SET_UP, secrets.token_hex(3)))


def _search(page: Page, base: str, query: str) -> None:
    """Type the query into the search page's box and press the button, as a person would."""
    if not page.url.startswith(f"{base}/search/"):
        page.goto(f"{base}/search/")
    box = page.get_by_label("Search incidents, decisions and messages")
    box.fill(query)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_title(f"Search results for ‘{query}’ – Harbour")


def _hits(page: Page):
    return page.locator(".harbour-search__hit")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_search_by_reference_and_by_words(searchable, make_context, base, width):
    page = signed_in(make_context, base, searchable.member, width, live=True)

    _search(page, base, searchable.flood_reference.lower())
    first = _hits(page).first
    expect(first).to_contain_text("Incident")
    expect(first.get_by_role("link")).to_have_text(f"Flood at the Riverside home {searchable.tag}")
    expect(first).to_contain_text(searchable.flood_reference)
    _no_horizontal_scroll(page, f"a search by reference ({width})")
    problems = serious_violations(page, f"search by reference ({width})")
    assert not problems, "\n".join(problems)

    _search(page, base, f"kestrel{searchable.tag}")
    expect(_hits(page)).to_have_count(2)
    expect(page.get_by_test_id("search-count")).to_have_text(f"2 results for ‘kestrel{searchable.tag}’.")
    message = page.locator(".harbour-search__hit[data-kind=message]")
    expect(message).to_contain_text("intranet.example.org/riverside-rooms-")  # the long word, wrapped
    expect(page.locator(".harbour-search__hit[data-kind=decision]").get_by_role("link")).to_contain_text(
        "Decision 1: Move the residents upstairs")
    _no_horizontal_scroll(page, f"search results with a long word ({width})")
    problems = serious_violations(page, f"search results ({width})")
    assert not problems, "\n".join(problems)

    message.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Where everyone is sleeping kestrel{searchable.tag}")


def test_outsiders_find_nothing_of_a_restricted_incident(searchable, make_context, base):
    hidden_word = f"Marlowe{searchable.tag}"
    senior = signed_in(make_context, base, searchable.senior, "phone", live=True)
    for query in (hidden_word, searchable.hidden_reference, f"Fire at the Marlowe hostel {searchable.tag}"):
        _search(senior, base, query)
        expect(senior.get_by_test_id("search-nothing")).to_have_text(f"Nothing you can see matches ‘{query}’.")
        expect(_hits(senior)).to_have_count(0)
    _no_horizontal_scroll(senior, "nothing found on a phone")
    problems = serious_violations(senior, "nothing found")
    assert not problems, "\n".join(problems)

    # He does find the incident that is not restricted (read only), and its members find the hidden one.
    _search(senior, base, f"Sandbags{searchable.tag}")
    expect(_hits(senior)).to_have_count(1)
    member = signed_in(make_context, base, searchable.member, live=True)
    _search(member, base, hidden_word)
    expect(_hits(member)).to_have_count(2)
    expect(member.locator(".harbour-search__hit[data-kind=incident]")).to_contain_text("Restricted")


def test_an_empty_search_gives_a_hint_and_a_long_one_an_error_summary(searchable, make_context, base):
    page = signed_in(make_context, base, searchable.member, "phone", live=True)
    page.goto(f"{base}/search/")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("search-hint")).to_be_visible()
    page.goto(f"{base}/search/?q={'x' * 201}")  # the box stops at 200; a link need not
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Search for 200 characters or fewer")
    _no_horizontal_scroll(page, "the error summary on a phone")
    problems = serious_violations(page, "a search too long")
    assert not problems, "\n".join(problems)
