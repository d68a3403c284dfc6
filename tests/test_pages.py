"""The web console, page by page: what each person sees, what they may do, and the errors they get."""

from __future__ import annotations

import csv
import io

import pytest

from incidents.models import Decision, Incident, Membership, TimelineEvent
from tests.factories import PASSWORD, open_incident

pytestmark = pytest.mark.django_db

OPEN_FORM = {
    "title": "Assault on a worker",
    "kind": "staff_assault",
    "severity": "major",
    "occurred_at": "2026-01-10T09:00",
    "aware_at": "2026-01-10T09:30",
    "summary": "A worker was assaulted.",
}


def streamed(response) -> list[bytes]:
    """The chunks of a streamed response, as a server sends them (the export streams asynchronously)."""
    from asgiref.sync import async_to_sync

    async def collect():
        return [chunk async for chunk in response.streaming_content]

    return async_to_sync(collect)()


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


class TestSignIn:
    def test_pages_need_sign_in(self, client, db):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_sign_in_and_out(self, cast, client):
        response = client.post("/login/", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        client.post("/logout/")
        assert client.get("/").status_code == 302

    def test_wrong_password_shows_an_error_summary(self, cast, client):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
        assert "There is a problem" in response.content.decode()


class TestIncidentList:
    def test_each_person_sees_only_their_incidents(self, cast, client, incident, restricted):
        body = page(client, cast.alice, "/incidents/").content.decode()
        assert incident.reference in body and restricted.reference in body
        body = page(client, cast.sam, "/incidents/").content.decode()
        assert incident.reference in body and restricted.reference not in body
        assert "Restricted matter" not in body
        body = page(client, cast.charlie, "/incidents/").content.decode()
        assert incident.reference not in body and "no incidents" in body

    def test_filters(self, cast, client, incident):
        riot = open_incident(cast, kind="community_violence", title="Riot", members=False)
        body = page(client, cast.alice, "/incidents/?kind=community_violence").content.decode()
        assert riot.reference in body and incident.reference not in body
        body = page(client, cast.alice, "/incidents/?status=closed").content.decode()
        assert "No incidents match" in body

    def test_open_button_only_for_senior_leaders(self, cast, client):
        assert "Open an incident" in page(client, cast.alice, "/incidents/").content.decode()
        assert "Open an incident" not in page(client, cast.bob, "/incidents/").content.decode()

    def test_query_budget(self, cast, client, django_assert_max_num_queries):
        for n in range(6):
            open_incident(cast, title=f"Incident {n}", members=False)
        client.force_login(cast.alice)
        with django_assert_max_num_queries(10):  # 8, and the header's two: who approves, who uses the API
            client.get("/incidents/")


class TestOpenIncident:
    def test_open_through_the_form(self, cast, client):
        client.force_login(cast.alice)
        response = client.post("/incidents/new/", OPEN_FORM)
        incident = Incident.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
        assert incident.aware_at.hour == 9 and incident.aware_at.minute == 30
        body = client.get(response["Location"]).content.decode()
        assert incident.reference in body and "You are its lead" in body

    def test_errors_are_summarised_and_nothing_is_saved(self, cast, client):
        client.force_login(cast.alice)
        response = client.post("/incidents/new/", {**OPEN_FORM, "title": "", "aware_at": "2026-01-09T09:00"})
        body = response.content.decode()
        assert response.status_code == 400
        assert "There is a problem" in body and "Enter a title." in body
        assert 'href="#id_title"' in body
        assert Incident.objects.count() == 0

    def test_service_rules_show_on_the_field(self, cast, client):
        client.force_login(cast.alice)
        response = client.post("/incidents/new/", {**OPEN_FORM, "aware_at": "2026-01-10T08:00"})
        assert response.status_code == 400
        assert "cannot have become aware before the incident happened" in response.content.decode()

    def test_not_for_other_staff(self, cast, client):
        assert page(client, cast.bob, "/incidents/new/").status_code == 403
        client.force_login(cast.bob)
        assert client.post("/incidents/new/", OPEN_FORM).status_code == 403
        assert Incident.objects.count() == 0


class TestWorkspace:
    def test_members_see_everything(self, cast, client, incident):
        body = page(client, cast.bob, f"/incidents/{incident.pk}/").content.decode()
        for text in (incident.reference, "Members", "Decision log", "Timeline", "History", "Record a decision",
                     f'data-live-incident="{incident.pk}"'):
            assert text in body
        assert "Add someone" not in body and "Change status" not in body

    def test_leads_get_the_controls(self, cast, client, incident):
        body = page(client, cast.tom, f"/incidents/{incident.pk}/").content.decode()
        assert "Change status" in body and "Add someone" in body and "Change the details" in body

    def test_observers_and_senior_leaders_read_only(self, cast, client, incident):
        for who in (cast.olive, cast.sam):
            body = page(client, who, f"/incidents/{incident.pk}/").content.decode()
            assert "can read this incident but not change it" in body
            assert "Record a decision" not in body

    def test_outsiders_get_not_found(self, cast, client, incident, restricted):
        assert page(client, cast.charlie, f"/incidents/{incident.pk}/").status_code == 404
        assert page(client, cast.sam, f"/incidents/{restricted.pk}/").status_code == 404
        for panel in ("summary", "timeline", "history"):
            assert page(client, cast.sam, f"/incidents/{restricted.pk}/panels/{panel}/").status_code == 404
        assert page(client, cast.sam, f"/incidents/{restricted.pk}/timeline.csv").status_code == 404

    def test_panels_render_alone(self, cast, client, incident):
        for panel in ("summary", "members", "decisions", "timeline", "history"):
            response = page(client, cast.bob, f"/incidents/{incident.pk}/panels/{panel}/")
            assert response.status_code == 200
            assert f'id="panel-{panel}"' in response.content.decode()
            assert "<html" not in response.content.decode()
        assert page(client, cast.bob, f"/incidents/{incident.pk}/panels/secrets/").status_code == 404

    def test_workspace_query_budget(self, cast, client, incident, django_assert_max_num_queries):
        client.force_login(cast.alice)
        with django_assert_max_num_queries(34):  # the Clocks tab: obligations, the ladder's steps and records
            client.get(f"/incidents/{incident.pk}/")

    def test_a_live_panel_refresh_is_cheap(self, cast, client, incident, django_assert_max_num_queries):
        client.force_login(cast.bob)
        with django_assert_max_num_queries(9):  # the page of events, and the time line drawn above it
            client.get(f"/incidents/{incident.pk}/panels/timeline/")


class TestChanges:
    def test_transition(self, cast, client, incident):
        client.force_login(cast.tom)
        response = client.post(f"/incidents/{incident.pk}/transition/", {"status": "stabilising", "reason": "Calm"})
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.status == "stabilising"

    def test_transition_refusals_show_plainly(self, cast, client, incident):
        client.force_login(cast.tom)
        response = client.post(f"/incidents/{incident.pk}/transition/", {"status": "closed", "reason": "Done"})
        assert response.status_code == 400
        assert "can only move to stabilising" in response.content.decode()
        response = client.post(f"/incidents/{incident.pk}/transition/", {"status": "stabilising", "reason": ""})
        assert "Enter the reason for the change." in response.content.decode()

    def test_transition_forbidden_for_members(self, cast, client, incident):
        client.force_login(cast.bob)
        assert client.post(f"/incidents/{incident.pk}/transition/",
                           {"status": "stabilising", "reason": "r"}).status_code == 403

    def test_edit_details(self, cast, client, incident):
        client.force_login(cast.alice)
        assert client.get(f"/incidents/{incident.pk}/edit/").status_code == 200
        form = {
            "title": "Renamed", "kind": incident.kind, "severity": "moderate",
            "occurred_at": incident.occurred_at.astimezone().strftime("%Y-%m-%dT%H:%M"),
            "aware_at": incident.aware_at.astimezone().strftime("%Y-%m-%dT%H:%M"),
            "summary": incident.summary,
        }
        response = client.post(f"/incidents/{incident.pk}/edit/", form)
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.title == "Renamed" and incident.severity == "moderate"
        event = TimelineEvent.objects.filter(incident=incident, type="incident.updated").get()
        assert "Renamed" in event.summary and event.data["fields"] == ["title", "severity"]
        assert page(client, cast.bob, f"/incidents/{incident.pk}/edit/").status_code == 403

    def test_add_member(self, cast, client, incident):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/members/add/",
                               {"user": "charlie — Charlie Outsider", "role": "member", "reason": "On duty"})
        assert response.status_code == 302
        assert Membership.objects.active().filter(incident=incident, user=cast.charlie).exists()

    def test_add_member_errors(self, cast, client, incident):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/members/add/",
                               {"user": "bob", "role": "member", "reason": "again"})
        assert response.status_code == 400 and "already a member" in response.content.decode()
        response = client.post(f"/incidents/{incident.pk}/members/add/", {"user": "", "role": "member", "reason": ""})
        body = response.content.decode()
        assert "Choose a member of staff." in body and "Enter why they are being added." in body

    def test_manage_member_change_role_and_remove(self, cast, client, incident):
        client.force_login(cast.alice)
        url = f"/incidents/{incident.pk}/members/bob/"
        assert client.get(url).status_code == 200
        assert client.post(url, {"action": "role", "role": "observer", "reason": "Stepping back"}).status_code == 302
        assert Membership.objects.active().get(incident=incident, user=cast.bob).role == "observer"
        response = client.post(url, {"action": "remove", "reason": ""})
        assert response.status_code == 400 and "Enter why they are being removed." in response.content.decode()
        assert client.post(url, {"action": "remove", "reason": "Off the case"}).status_code == 302
        assert not Membership.objects.active().filter(incident=incident, user=cast.bob).exists()
        assert page(client, cast.bob, f"/incidents/{incident.pk}/").status_code == 404

    def test_manage_member_last_lead(self, cast, client, incident):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/members/alice/", {"action": "remove", "reason": "r"})
        assert response.status_code == 400 and "always has a lead" in response.content.decode()

    def test_manage_member_not_allowed(self, cast, client, incident):
        assert page(client, cast.bob, f"/incidents/{incident.pk}/members/olive/").status_code == 403
        assert page(client, cast.charlie, f"/incidents/{incident.pk}/members/olive/").status_code == 404
        assert page(client, cast.alice, f"/incidents/{incident.pk}/members/charlie/").status_code == 404

    def test_record_decision(self, cast, client, incident):
        client.force_login(cast.bob)
        response = client.post(f"/incidents/{incident.pk}/decisions/new/",
                               {"decision": "Brief the team at 2pm", "rationale": "Before the press"})
        assert response.status_code == 302
        assert Decision.objects.get().decided_by == cast.bob
        body = client.get(f"/incidents/{incident.pk}/panels/decisions/").content.decode()
        assert "Brief the team at 2pm" in body

    def test_record_decision_errors(self, cast, client, incident):
        client.force_login(cast.bob)
        response = client.post(f"/incidents/{incident.pk}/decisions/new/",
                               {"decision": "", "rationale": "r", "decided_at": "2020-01-01T10:00"})
        body = response.content.decode()
        assert response.status_code == 400 and "Enter the decision." in body
        response = client.post(f"/incidents/{incident.pk}/decisions/new/",
                               {"decision": "d", "rationale": "r", "decided_at": "2020-01-01T10:00"})
        assert "Say briefly why it is being recorded late" in response.content.decode()
        assert Decision.objects.count() == 0

    def test_corrected_decisions_are_struck_through(self, cast, client, incident):
        client.force_login(cast.bob)
        client.post(f"/incidents/{incident.pk}/decisions/new/", {"decision": "Old call", "rationale": "r"})
        first = Decision.objects.get()
        client.post(f"/incidents/{incident.pk}/decisions/new/",
                    {"decision": "New call", "rationale": "r", "corrects": str(first.number)})
        body = client.get(f"/incidents/{incident.pk}/panels/decisions/").content.decode()
        assert "<del>Old call</del>" in body and "corrects" in body

    def test_observers_cannot_record(self, cast, client, incident):
        client.force_login(cast.olive)
        assert client.post(f"/incidents/{incident.pk}/decisions/new/",
                           {"decision": "d", "rationale": "r"}).status_code == 403


class TestTimelineExport:
    def test_csv_has_every_event(self, cast, client, incident):
        response = page(client, cast.olive, f"/incidents/{incident.pk}/timeline.csv")
        assert response["Content-Type"].startswith("text/csv")
        assert incident.reference in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))
        assert len(rows) == TimelineEvent.objects.filter(incident=incident).count()
        assert rows[0]["What happened"] == "Incident opened"  # oldest first

    def test_a_long_timeline_streams_every_event_once(self, cast, client, incident):
        from django.utils import timezone

        from incidents.views import CSV_CHUNK
        TimelineEvent.objects.bulk_create([
            TimelineEvent(incident=incident, at=timezone.now(), type="decision.recorded", summary=f"Event {n}")
            for n in range(2 * CSV_CHUNK + 5)
        ])
        response = page(client, cast.olive, f"/incidents/{incident.pk}/timeline.csv")
        chunks = streamed(response)
        assert len(chunks) >= 4  # the header, then a thousand events at a time
        details = [row["Details"] for row in csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8-sig")))]
        bulk = [d for d in details if d.startswith("Event ")]
        assert bulk == [f"Event {n}" for n in range(2 * CSV_CHUNK + 5)]  # each once, oldest first
        assert len(details) == TimelineEvent.objects.filter(incident=incident).count()

    def test_formula_like_text_is_neutralised(self, cast, client, incident):
        cast.bob.full_name = "=HYPERLINK(1)"
        cast.bob.save()
        client.force_login(cast.bob)
        client.post(f"/incidents/{incident.pk}/decisions/new/", {"decision": "d", "rationale": "r"})
        response = client.get(f"/incidents/{incident.pk}/timeline.csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))
        assert rows[-1]["By"] == "'=HYPERLINK(1)"


class TestPageStructure:
    def test_element_ids_are_unique_on_every_page(self, cast, client, incident):
        import re
        from collections import Counter

        client.force_login(cast.alice)
        for url in (f"/incidents/{incident.pk}/", f"/incidents/{incident.pk}/members/bob/", "/incidents/new/", "/"):
            ids = Counter(re.findall(r'\sid="([^"]+)"', client.get(url).content.decode()))
            assert [i for i, n in ids.items() if n > 1] == [], url

    def test_error_summary_links_reach_the_field_on_its_tab(self, cast, client, incident):
        client.force_login(cast.alice)
        body = client.get(f"/incidents/{incident.pk}/").content.decode()
        assert f'action="/incidents/{incident.pk}/members/add/#members"' in body
        assert f'action="/incidents/{incident.pk}/decisions/new/#decisions"' in body
        response = client.post(f"/incidents/{incident.pk}/members/add/", {"user": "", "role": "member", "reason": ""})
        body = response.content.decode()
        assert 'href="#member_user"' in body and 'id="member_user"' in body
        assert 'href="#member_reason"' in body and 'id="member_reason"' in body
