"""The admin site goes through the services: audited, on the timeline, live. Records stay append-only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Decision, Incident, TimelineEvent
from people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-admin-tests", full_name="Root Admin")
    client.force_login(admin)
    client.admin = admin
    return client


def _form(incident, **changes):
    local = timezone.localtime
    data = {
        "title": incident.title, "kind": incident.kind, "severity": incident.severity,
        "restricted": "on" if incident.restricted else "",
        "occurred_at_0": local(incident.occurred_at).strftime("%d/%m/%Y"),
        "occurred_at_1": local(incident.occurred_at).strftime("%H:%M:%S"),
        "aware_at_0": local(incident.aware_at).strftime("%d/%m/%Y"),
        "aware_at_1": local(incident.aware_at).strftime("%H:%M:%S"),
        "summary": incident.summary,
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_admin_edit_goes_through_the_service(admin_client, incident):
    response = admin_client.post(f"/admin/incidents/incident/{incident.pk}/change/", _form(incident, severity="moderate"))
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.severity == "moderate"
    event = TimelineEvent.objects.filter(incident=incident, type="incident.updated").get()
    assert event.actor == admin_client.admin and event.data["fields"] == ["severity"]
    assert incident.history.latest().history_user == admin_client.admin


def test_admin_bad_input_changes_nothing(admin_client, incident):
    response = admin_client.post(f"/admin/incidents/incident/{incident.pk}/change/", _form(incident, title=""))
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not TimelineEvent.objects.filter(incident=incident, type="incident.updated").exists()


def test_decisions_and_timeline_are_read_only_in_the_admin(admin_client, cast, incident):
    entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r")
    assert admin_client.get(f"/admin/incidents/decision/{entry.pk}/change/").status_code == 200  # viewable
    admin_client.post(f"/admin/incidents/decision/{entry.pk}/change/", {"decision": "rewritten"})
    assert Decision.objects.get(pk=entry.pk).decision == "d"
    assert admin_client.post(f"/admin/incidents/decision/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Decision.objects.filter(pk=entry.pk).exists()
    event = TimelineEvent.objects.filter(incident=incident).first()
    assert admin_client.post(f"/admin/incidents/timelineevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/incidents/decision/add/").status_code == 403


def test_incidents_cannot_be_deleted_in_the_admin(admin_client, incident):
    assert admin_client.post(f"/admin/incidents/incident/{incident.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_staff_without_admin_rights_are_kept_out(client, cast):
    client.force_login(cast.alice)
    assert client.get("/admin/").status_code == 302


def test_deactivating_or_changing_roles_in_the_admin_rechecks_open_pages(admin_client, cast):
    from unittest import mock

    form = {"username": "sam", "full_name": "Sam Senior", "email": "sam@example.org", "is_active": "",
            "groups": [g.pk for g in cast.sam.groups.all()], "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00"}
    with mock.patch("incidents.membership.person_access_changed") as rechecked:
        response = admin_client.post(f"/admin/people/user/{cast.sam.pk}/change/", form)
    assert response.status_code == 302
    rechecked.assert_called_once()
    assert rechecked.call_args.kwargs["person"] == cast.sam
    assert rechecked.call_args.kwargs["actor"].user == admin_client.admin  # the admin site, in their name
