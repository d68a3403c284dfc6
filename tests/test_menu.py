"""The header's menu, as the wings declare it (core/wings.py): each person is offered the pages they use,
in the same order as ever, with their counts; and it is read only when a page draws it."""

from __future__ import annotations

import re
from unittest import mock

import pytest

from core import wings
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def menu_of(client, person) -> list[str]:
    client.force_login(person)
    page = client.get("/incidents/").content.decode()
    block = page[page.index('id="navigation"'):page.index("</ul>", page.index('id="navigation"'))]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li.*?</li>", block, re.S)]


def test_everyone_has_now_incidents_inbox_and_search(client, cast):
    assert menu_of(client, cast.charlie) == ["Now", "Incidents", "Inbox", "Search"]


def test_a_senior_leader_has_the_clocks_board(client, cast):
    assert menu_of(client, cast.alice) == ["Now", "Incidents", "Clocks", "Inbox", "Search"]


def test_a_wellbeing_lead_has_the_follow_ups_board_and_the_requests(client, cast):
    wendy = make_user("wendy", "Wendy Wellbeing", "wellbeing_lead")
    assert menu_of(client, wendy) == ["Now", "Incidents", "Inbox", "Follow-ups", "Support requests", "Search"]


def test_an_approver_has_the_approvals_board_and_unread_briefings_are_counted(client, cast, incident):
    from comms import releases as comms_releases
    from comms import services as comms

    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, subject="Update", body="Facts.",
                                  audience="people", recipients=["cora"])
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    items = menu_of(client, cast.cora)
    assert items[:4] == ["Now", "Incidents", "Approvals", "Inbox (1 to read)"]


def test_an_administrator_has_the_api(client, cast):
    cast.charlie.is_staff = True
    cast.charlie.save()
    assert menu_of(client, cast.charlie)[-1] == "API"


def test_a_panel_drawn_alone_reads_no_menu(client, cast, incident):
    client.force_login(cast.alice)
    with mock.patch.object(wings, "menu", wraps=wings.menu) as read:
        assert client.get(f"/incidents/{incident.pk}/panels/decisions/").status_code == 200
        assert read.call_count == 0
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        assert read.call_count == 1


def test_a_menu_item_declared_twice_differently_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        wings.menu_items(wings.MenuItem("now", "Something else", "now", order=10))
