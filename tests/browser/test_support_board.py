"""Staff support in a real browser (issue 9, points 7 and 10): two managers' follow-ups boards updating live,
each showing only their own report; a card moving to "Overdue" by itself while the board is open; a member
of staff declining a check-in on a phone; and accessibility (axe-core) of the board and "My support".
Fixtures: tests/browser/conftest.py.

Each test makes its own people (unique names, so the shared session database and the seeded demo data do
not matter) by calling the services in a child process against the servers' database, before any page is
open. Changes made while pages are open go through the API, as a person's own client would: in the embedded
stack the channel layer lives inside the server process, so only a change made by the server reaches the
open boards.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import urllib.error
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.axe import serious_violations
from tests.browser._helpers import PASSWORD, run_set_up
from tests.servers import Stack, api_request

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 3000  # ms: a change must reach another person's open board within ~2 s, no reload
COLUMNS = ("overdue", "today", "week", "later", "done")
DECLINED_SAID = "Declined. That is your choice; nobody will chase you about it."

# Run by run_set_up, in a child process with the servers' environment (their database), so the test
# process's Django (pytest-django, Playwright's running loop) is never involved. Prints one line of JSON.
_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from incidents import services as incidents
from support import services as support
from tests.factories import make_user

tag = sys.argv[1]
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
wellbeing = make_user(f"wellbeing{tag}", f"Wren Wellbeing {tag}", "wellbeing_lead")
managers, staff = {}, {}
for key, first in (("a", "Asha"), ("b", "Bruno")):
    managers[key] = make_user(f"mgr{key}{tag}", f"{first} Manager {tag}", "manager")
    staff[key] = make_user(f"staff{key}{tag}", f"{first}s Report {tag}")
    staff[key].line_manager = managers[key]
    staff[key].save(update_fields=["line_manager"])
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Fire at the Eastgate day centre {tag}", kind="other", severity="major",
    occurred_at=now - dt.timedelta(hours=6), aware_at=now - dt.timedelta(hours=5),
    summary="A fire in the kitchen. Everyone is safe.", restricted=False,
)
out = {"incident": incident.pk, "lead": lead.username, "wellbeing": wellbeing.username, "people": {}}
for key in ("a", "b"):
    entry = support.register_add(actor=lead, incident_id=incident.pk, user=staff[key].username,
                                 exposure="witnessed", reason="r")
    assert entry.supporter_id == managers[key].pk, (entry.supporter, managers[key])
    out["people"][key] = {
        "manager": managers[key].username, "manager_name": managers[key].full_name,
        "staff": staff[key].username, "staff_name": staff[key].full_name,
        "follow_ups": {f.label: f.pk for f in entry.created_follow_ups},
    }
print(json.dumps(out))
"""


@dataclass
class Pair:
    """A manager and their direct report, who is on the incident's register with the default check-ins."""

    manager: str
    manager_name: str
    staff: str
    staff_name: str
    follow_ups: dict[str, int]  # label -> id: "72-hour check-in", "One-month check-in", "Three-month check-in"

    @property
    def ids(self) -> list[int]:
        return list(self.follow_ups.values())

    @property
    def first(self) -> int:
        return self.follow_ups["72-hour check-in"]


@dataclass
class Cast:
    incident: int
    lead: str
    wellbeing: str
    a: Pair
    b: Pair


@pytest.fixture
def cast(harbour: Stack) -> Cast:
    """A lead opens an incident and puts two managers' reports on its register (fresh people each test)."""
    data = run_set_up(harbour, _SET_UP, secrets.token_hex(3))
    return Cast(incident=data["incident"], lead=data["lead"], wellbeing=data["wellbeing"],
                a=Pair(**data["people"]["a"]), b=Pair(**data["people"]["b"]))


def _token(base: str, username: str) -> str:
    return api_request(f"{base}/api/auth/token/", data={"username": username, "password": PASSWORD})["token"]



# --- helpers --------------------------------------------------------------------------------------------


def _record_frames(page: Page) -> list[str]:
    """Every WebSocket message the page receives from now on (call before it opens its socket)."""
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on(
        "framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode())))
    return frames


def _ids_in(frame: str) -> set[int]:
    """The follow-up ids a socket message names (`follow_up.updated` or `follow_up.removed`)."""
    try:
        data = json.loads(frame)
    except ValueError:
        return set()
    found = {data.get("id"), (data.get("follow_up") or {}).get("id")} if isinstance(data, dict) else set()
    return {i for i in found if isinstance(i, int)}


def _open_board(page: Page, base: str) -> None:
    page.goto(f"{base}/support/board/")
    expect(page.get_by_role("heading", name="Follow-ups", level=1)).to_be_visible()
    expect(page.locator("#panel-board")).to_be_attached()
    expect(page.locator("#live-status[data-state=live]")).to_be_attached()


def _card(page: Page, follow_up_id: int, column: str | None = None) -> Locator:
    scope = f'#panel-board [data-column="{column}"]' if column else "#panel-board"
    return page.locator(f'{scope} article[data-follow-up-id="{follow_up_id}"]')


def _column_of(page: Page, follow_up_id: int) -> str | None:
    return page.evaluate(
        """id => {
            const card = document.querySelector(`#panel-board article[data-follow-up-id="${id}"]`);
            const column = card && card.closest("[data-column]");
            return column ? column.getAttribute("data-column") : null;
        }""",
        follow_up_id,
    )


def _card_ids(page: Page) -> set[int]:
    return {int(i) for i in page.locator("#panel-board article[data-follow-up-id]").evaluate_all(
        "cards => cards.map(c => c.getAttribute('data-follow-up-id'))")}


def _mark_page(page: Page) -> str:
    """Put a marker on the page's window: it survives htmx swaps but not a navigation or reload."""
    marker = secrets.token_hex(6)
    page.evaluate("m => { window.__harbourE2E = m; }", marker)
    return marker


def _marker(page: Page) -> str | None:
    return page.evaluate("() => window.__harbourE2E || null")


def _banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner")


def _no_horizontal_scroll(page: Page, what: str) -> None:
    width = page.viewport_size["width"]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{what}: the page scrolls sideways at {width}px (scrollWidth {scroll})"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


# --- 1. two managers' boards, live and private ----------------------------------------------------------


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_two_managers_boards_update_live_and_stay_private(cast, person_at, base, width):
    a, b = cast.a, cast.b
    board_a = person_at(a.manager, width)
    board_b = person_at(b.manager, width)
    frames_b = _record_frames(board_b)
    _open_board(board_a, base)
    _open_board(board_b, base)
    marker_a, marker_b = _mark_page(board_a), _mark_page(board_b)

    # Each manager sees their own report's three check-ins, offered by them, and nothing of the other's.
    assert _card_ids(board_a) == set(a.ids)
    assert _card_ids(board_b) == set(b.ids)
    expect(_card(board_a, a.first, "week")).to_contain_text(a.staff_name)
    expect(_card(board_a, a.first, "week")).to_contain_text("offered by you")
    expect(board_a.locator("#panel-board")).not_to_contain_text(b.staff_name)
    expect(board_b.locator("#panel-board")).not_to_contain_text(a.staff_name)
    expect(board_a.locator('#panel-board [data-column="done"]')).to_contain_text("Nothing here.")
    _no_horizontal_scroll(board_a, f"follow-ups board ({width})")

    # Manager A records their report's 72-hour check-in through the API: the card moves to "Done" on A's
    # open board by itself.
    token_a = _token(base, a.manager)
    api_request(f"{base}/api/follow-ups/{a.first}/complete/", token=token_a, data={"outcome": "ok"})
    done = _card(board_a, a.first, "done")
    expect(done).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(done).to_contain_text(a.staff_name)
    expect(done).to_contain_text("Completed")
    expect(_card(board_a, a.first, "week")).to_have_count(0)
    expect(board_a.locator("#live-announcer")).to_contain_text(f"72-hour check-in for {a.staff_name} has changed")
    assert _marker(board_a) == marker_a, "manager A's board navigated or reloaded instead of updating live"
    expect(board_a.locator("#live-status")).to_have_attribute("data-state", "live")

    # Manager B moves their report's one-month check-in to the day after tomorrow: B's board follows.
    token_b = _token(base, b.manager)
    moved = b.follow_ups["One-month check-in"]
    expect(_card(board_b, moved, "later")).to_be_visible()
    api_request(f"{base}/api/follow-ups/{moved}/", token=token_b, method="PATCH",
                data={"due_at": _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)), "reason": "r"})
    expect(_card(board_b, moved, "week")).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(_card(board_b, moved, "later")).to_have_count(0)
    assert _marker(board_b) == marker_b, "manager B's board navigated or reloaded instead of updating live"

    # B's board has redrawn since A's change, and still shows nothing of A's report; nor did B's socket ever
    # carry a word about them. A's board never learned of B's move either.
    assert _card_ids(board_b) == set(b.ids)
    expect(board_b.locator("body")).not_to_contain_text(a.staff_name)
    assert frames_b, "manager B's socket received nothing"
    leaked = [f for f in frames_b if a.staff_name in f or _ids_in(f) & set(a.ids)]
    assert not leaked, f"manager B's socket was told about manager A's report: {leaked}"
    assert _card_ids(board_a) == set(a.ids)
    expect(board_a.locator("body")).not_to_contain_text(b.staff_name)
    _no_horizontal_scroll(board_b, f"follow-ups board after live updates ({width})")

    # The other manager may not act on, or even see, A's report's check-ins.
    for path in (f"{a.first}/", f"{a.first}/complete/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            api_request(f"{base}/api/follow-ups/{path}", token=token_b,
                        data={"outcome": "ok"} if path.endswith("complete/") else None)
        assert refused.value.code == 404


# --- 2. a card falls overdue while the board is open ----------------------------------------------------


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_card_moves_to_overdue_while_the_board_is_open(cast, person_at, base, width):
    a = cast.a
    board = person_at(a.manager, width)
    frames = _record_frames(board)
    _open_board(board, base)
    marker = _mark_page(board)
    target = a.first
    expect(_card(board, target, "week")).to_be_visible()

    # Its supporter moves it to a few seconds from now (the API: the board hears of it once, now).
    due = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=10)
    api_request(f"{base}/api/follow-ups/{target}/", token=_token(base, a.manager), method="PATCH",
                data={"due_at": _iso(due), "reason": "r"})
    due_ms = int(due.timestamp() * 1000)
    board.wait_for_function(
        "ms => Date.parse(document.getElementById('panel-board').getAttribute('data-next-due') || '') === ms",
        arg=due_ms, timeout=LIVE_TIMEOUT)
    assert _column_of(board, target) in ("today", "week"), "not yet due: it must not be overdue yet"
    assert time.time() < due.timestamp(), "the test was too slow to see the card before it fell due"
    expect(_card(board, target, "overdue")).to_have_count(0)
    heard = len(frames)

    # Nothing else happens: no reload, no message on the socket. When its time passes, the board redraws
    # itself and the card is overdue.
    expect(_card(board, target, "overdue")).to_be_visible(timeout=30_000)
    assert time.time() >= due.timestamp()
    expect(_card(board, target, "today")).to_have_count(0)
    expect(_card(board, target, "week")).to_have_count(0)
    expect(_card(board, target, "overdue")).to_contain_text(a.staff_name)
    assert frames[heard:] == [], f"the board was told something instead of keeping time itself: {frames[heard:]}"
    assert _marker(board) == marker, "the board navigated or reloaded instead of redrawing its panel"
    expect(board.locator('#panel-board [data-column="overdue"] h2')).to_have_text("Overdue (1)")
    # The next card due is now the one-month check-in: the panel says so, for the next redraw.
    next_due = board.locator("#panel-board").get_attribute("data-next-due")
    assert next_due and dt.datetime.fromisoformat(next_due) > dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    parsed = board.evaluate("s => Date.parse(s)", next_due)  # as live.js reads it (microseconds and all)
    assert parsed == pytest.approx(dt.datetime.fromisoformat(next_due).timestamp() * 1000, abs=1)


# --- 3. the person's choice, on a phone -----------------------------------------------------------------


def test_person_declines_a_check_in_on_a_phone(cast, person_at, base):
    a = cast.a
    manager = person_at(a.manager, "desktop")
    _open_board(manager, base)
    marker = _mark_page(manager)
    expect(_card(manager, a.first, "week")).to_be_visible()

    phone = person_at(a.staff, "phone")
    # The header's links sit behind "Menu" on a phone.
    menu = phone.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    phone.get_by_role("navigation", name="Menu").get_by_role("link", name="My support").click()
    expect(phone.get_by_role("heading", name="My support", level=1)).to_be_visible()
    expect(phone).to_have_url(f"{base}/support/me/")
    _no_horizontal_scroll(phone, "My support (phone)")
    rows = phone.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has=phone.get_by_role("link", name="72-hour check-in"))
    expect(row).to_contain_text(a.manager_name)
    expect(row).to_contain_text("Offered")

    row.get_by_role("link", name="72-hour check-in").click()
    expect(phone).to_have_url(f"{base}/support/follow-ups/{a.first}/")
    expect(phone.get_by_role("heading", name="72-hour check-in", level=1)).to_be_visible()
    expect(phone.get_by_role("heading", name="Your choice", level=2)).to_be_visible()
    expect(phone.get_by_text("You do not need to give a reason.")).to_be_visible()
    _no_horizontal_scroll(phone, "a check-in (phone)")

    phone.get_by_role("button", name="No thank you").click()
    expect(phone).to_have_url(f"{base}/support/follow-ups/{a.first}/")
    expect(_banner(phone)).to_contain_text(DECLINED_SAID)
    expect(phone.locator("#follow-up-status")).to_contain_text("Declined (your choice) on")
    expect(phone.get_by_role("button", name="No thank you")).to_have_count(0)
    expect(phone.get_by_role("heading", name="Your choice")).to_have_count(0)
    _no_horizontal_scroll(phone, "a declined check-in (phone)")

    phone.goto(f"{base}/support/me/")
    row = phone.locator("table.govuk-table tbody tr").filter(has=phone.get_by_role("link", name="72-hour check-in"))
    expect(row).to_contain_text("Declined (your choice)")
    _no_horizontal_scroll(phone, "My support after declining (phone)")

    # Their manager's open board shows the choice by itself, as a choice (not as something to chase).
    done = _card(manager, a.first, "done")
    expect(done).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(done).to_contain_text("Declined (their choice)")
    expect(done).to_have_class("harbour-card harbour-card--choice")
    expect(_card(manager, a.first, "overdue")).to_have_count(0)
    assert _marker(manager) == marker, "the manager's board navigated or reloaded instead of updating live"


# --- 4. accessibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_support_pages_have_no_serious_accessibility_violations(cast, person_at, base, width):
    a = cast.a
    api_request(f"{base}/api/follow-ups/{a.first}/complete/", token=_token(base, a.manager),
                data={"outcome": "support_offered"})  # a card in every kind of column: open and done
    problems: list[str] = []

    manager = person_at(a.manager, width)
    _open_board(manager, base)
    expect(_card(manager, a.first, "done")).to_be_visible()
    problems += serious_violations(manager, f"follow-ups board ({width})")
    manager.goto(f"{base}/support/follow-ups/{a.first}/")
    expect(manager.get_by_role("heading", name=f"72-hour check-in: {a.staff_name}", level=1)).to_be_visible()
    problems += serious_violations(manager, f"a completed check-in, as its supporter ({width})")

    staff = person_at(a.staff, width)
    staff.goto(f"{base}/support/me/")
    expect(staff.get_by_role("heading", name="My support", level=1)).to_be_visible()
    expect(staff.locator("table.govuk-table tbody tr")).to_have_count(3)
    problems += serious_violations(staff, f"My support ({width})")
    staff.goto(f"{base}/support/follow-ups/{a.follow_ups['One-month check-in']}/")
    expect(staff.get_by_role("button", name="No thank you")).to_be_visible()
    problems += serious_violations(staff, f"an open check-in, as the person ({width})")
    assert not problems, "\n".join(problems)
