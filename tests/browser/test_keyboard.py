"""Keyboard only (issue 11): a supporter, tired, on a laptop with no mouse, goes from "What needs you now"
to the check-in that is due, records how it went, and is back to a list without it, with every step reached
by Tab and taken with Enter or typing. (Approving with the keyboard alone is in
tests/browser/test_approvals_progress.py; reaching the place to act from the list, in tests/browser/test_now.py.)
Fixtures: tests/browser/conftest.py."""

from __future__ import annotations

import json
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import run_set_up, signed_in
from tests.browser.test_now import _tab_until
from tests.servers import Stack

pytestmark = [pytest.mark.browser, pytest.mark.ui]

_SET_UP = """
import datetime as dt, json, sys
from django.utils import timezone
from incidents import services as incidents
from support import services as support
from support.models import FollowUp
from tests.factories import make_user

tag = sys.argv[1]
lead = make_user(f"lead{tag}", f"Lena Lead {tag}", "senior_leader")
supporter = make_user(f"peer{tag}", f"Pat Peer {tag}")
worker = make_user(f"worker{tag}", f"Wes Worker {tag}")
now = timezone.now()
incident = incidents.incident_open(
    actor=lead, title=f"Assault at the Northgate office {tag}", kind="staff_assault", severity="major",
    occurred_at=now - dt.timedelta(days=4), aware_at=now - dt.timedelta(days=4),
    summary="A visitor hit a member of staff.", restricted=False,
)
entry = support.register_add(actor=lead, incident_id=incident.pk, user=worker.username, exposure="directly_involved",
                             reason="Was hit", supporter=supporter.username)
first = entry.created_follow_ups[0]
FollowUp.objects.filter(pk=first.pk).update(due_at=now - dt.timedelta(hours=1))
print(json.dumps({"supporter": supporter.username, "worker": worker.full_name, "follow_up": first.pk,
                  "label": first.label}))
"""


@pytest.fixture
def check_in(harbour: Stack) -> dict:
    return run_set_up(harbour, _SET_UP, secrets.token_hex(3))


def test_completing_a_follow_up_with_the_keyboard_alone(check_in, make_context, base):
    page = signed_in(make_context, base, check_in["supporter"], live=True)
    title = f"{check_in['label']} with {check_in['worker']}"
    expect(page.locator("#panel-board")).to_contain_text(title)

    _tab_until(page, "the check-in in the list",
               f"el => el.matches('#panel-board a') && el.textContent.includes({json.dumps(title)})")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/support/follow-ups/{check_in['follow_up']}/")

    _tab_until(page, "the outcome", "el => el.name === 'outcome'")
    page.keyboard.type("Doing")  # a closed select jumps to the option typed, as it does for anyone
    expect(page.locator(":focus")).to_have_value("ok")
    _tab_until(page, "the Record button", "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Record'")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_be_visible()

    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="What needs you now", level=1)).to_be_visible()
    expect(page.locator("#panel-board")).not_to_contain_text(title)
