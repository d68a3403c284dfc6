"""Support requests: seen by the person, the incident's wellbeing lead and the organisation's
wellbeing leads, and by nobody else, not even the incident's leads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from core.errors import InvalidInput
from incidents.membership import member_add
from support.models import SupportRequest
from tests.factories import ask_for_support, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_from_bob(cast, incident):
    ask_for_support(cast, incident)
    return SupportRequest.objects.get()


def test_who_sees_a_request(cast, client, incident, request_from_bob):
    ruth = make_user("ruth", "Ruth Wellbeing", "wellbeing_lead")
    member_add(actor=cast.alice, incident_id=incident.pk, user=ruth, role="wellbeing_lead",
                                 reason="Staff support")
    # a line manager made the incident's wellbeing lead would see who asked for support: refused
    wendy = make_user("wendy", "Wendy Line-Manager", "manager")
    with pytest.raises(InvalidInput):
        member_add(actor=cast.alice, incident_id=incident.pk, user=wendy, role="wellbeing_lead",
                                     reason="Staff support")
    for user in (ruth, cast.bob):
        client.force_login(user)
        body = client.get("/support/requests/").content.decode()
        assert "Bob Brown" in body, user.username
    for user in (cast.alice, cast.tom, cast.cora, cast.charlie, wendy):
        client.force_login(user)
        body = client.get("/support/requests/").content.decode()
        assert "Bob Brown" not in body, user.username
        assert 'href="/support/requests/"' not in client.get("/").content.decode()


def test_wellbeing_lead_records_progress(cast, client, request_from_bob):
    ruth = make_user("ruth", "Ruth Wellbeing", "wellbeing_lead")
    client.force_login(ruth)
    assert client.post("/support/requests/", {"request": request_from_bob.pk, "status": "in_touch"}).status_code == 302
    request_from_bob.refresh_from_db()
    assert request_from_bob.status == "in_touch"
    assert request_from_bob.history.latest().history_user == ruth
    client.post("/support/requests/", {"request": request_from_bob.pk, "status": "lost"})
    request_from_bob.refresh_from_db()
    assert request_from_bob.status == "in_touch"


def test_people_cannot_change_their_own_or_others_requests(cast, client, request_from_bob):
    for user in (cast.bob, cast.alice):
        client.force_login(user)
        client.post("/support/requests/", {"request": request_from_bob.pk, "status": "closed"})
    request_from_bob.refresh_from_db()
    assert request_from_bob.status == "open"
    assert Group.objects.filter(name="wellbeing_lead").exists()
