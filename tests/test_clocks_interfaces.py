"""Statutory clocks through every interface (issue 10, points 3, 4, 6 and 7): the API, the workspace's Clocks
tab, the Clocks board and its socket. Happy path, bad input, outsider (404, byte for byte), not allowed
(403), and the side effects: history, timeline, live event."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from clocks import services
from clocks.models import Notification, Obligation
from config.asgi import application
from incidents.models import Decision, TimelineEvent
from tests.test_not_found import CSRF
from tests.test_sockets import HOST, ORIGIN, session_headers


def obligation(incident, code: str = "panel_notification") -> Obligation:
    return Obligation.objects.get(incident=incident, code=code)


# --- API ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestObligationsApi:
    def test_lists_the_incidents_obligations_in_playbook_order(self, cast, api, incident):
        response = api(cast.bob).get(f"/api/incidents/{incident.pk}/obligations/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [r["code"] for r in rows][:3] == ["director_informed", "panel_notification",
                                                 "safeguarding_partners_notified"]
        panel = rows[1]
        assert {"id", "code", "title", "basis", "due_at", "status", "overdue"} <= set(panel)
        assert panel["status"] == "pending" and panel["overdue"] is False and panel["allowed_actions"] == []
        holding = next(r for r in rows if r["code"] == "holding_statement_ready")
        assert holding["due_at"] is None
        lead_view = api(cast.alice).get(f"/api/incidents/{incident.pk}/obligations/").json()["results"][1]
        assert lead_view["allowed_actions"] == ["mark_done", "mark_not_applicable"]

    def test_outsiders_find_nothing_and_restricted_ones_do_not_exist(self, cast, api, incident, restricted):
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/obligations/").status_code == 404
        hidden = api(cast.sam).get(f"/api/incidents/{restricted.pk}/obligations/")
        absent = api(cast.sam).get("/api/incidents/999999/obligations/")
        assert hidden.status_code == absent.status_code == 404 and hidden.content == absent.content
        hidden = api(cast.sam).post(f"/api/obligations/{obligation(restricted).pk}/done/", {"reference": "x"},
                                    format="json")
        absent = api(cast.sam).post("/api/obligations/999999/done/", {"reference": "x"}, format="json")
        assert hidden.status_code == absent.status_code == 404 and hidden.content == absent.content

    def test_done_records_it_with_history_and_timeline(self, cast, api, incident):
        panel = obligation(incident)
        done_at = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
        response = api(cast.tom).post(f"/api/obligations/{panel.pk}/done/",
                                      {"reference": "CSPRP-0042", "done_at": done_at}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["status"], body["reference"], body["done_by"]) == ("done", "CSPRP-0042", "tom")
        assert panel.history.first().history_user == cast.tom
        assert TimelineEvent.objects.filter(incident=incident, type="obligation.done").exists()
        again = api(cast.tom).post(f"/api/obligations/{panel.pk}/done/", {"reference": "x"}, format="json")
        assert again.status_code == 409 and again.json()["code"] == "not_pending"

    @pytest.mark.parametrize("body", [{}, {"reference": ""}, {"reference": 5}, {"reference": "x" * 201},
                                      {"reference": "ok", "done_at": "tomorrow"},
                                      {"reference": "ok", "done_at": "2999-01-01T10:00:00Z"}])
    def test_bad_input_is_a_400_and_changes_nothing(self, cast, api, incident, body):
        panel = obligation(incident)
        response = api(cast.alice).post(f"/api/obligations/{panel.pk}/done/", body, format="json")
        assert response.status_code == 400 and response.json()
        assert obligation(incident).status == "pending"

    def test_members_and_observers_may_not(self, cast, api, incident):
        panel = obligation(incident)
        for person in (cast.bob, cast.olive, cast.sam):
            response = api(person).post(f"/api/obligations/{panel.pk}/done/", {"reference": "x"}, format="json")
            assert response.status_code == 403, person
        response = api(cast.cora).post(f"/api/obligations/{panel.pk}/not-applicable/", {"reason": "x"}, format="json")
        assert response.status_code == 403

    def test_not_applicable_goes_to_the_decision_log(self, cast, api, incident):
        looked_after = obligation(incident, "looked_after_child_notification")
        response = api(cast.alice).post(f"/api/obligations/{looked_after.pk}/not-applicable/",
                                        {"reason": "Not a looked-after child."}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "not_applicable" and response.json()["decision"] == 1
        assert Decision.objects.get(incident=incident).rationale == "Not a looked-after child."
        empty = api(cast.alice).post(f"/api/obligations/{obligation(incident, 'rapid_review').pk}/not-applicable/",
                                     {"reason": ""}, format="json")
        assert empty.status_code == 400 and "reason" in empty.json()


@pytest.mark.django_db
class TestClocksApi:
    @pytest.mark.across_the_week
    def test_every_pending_started_obligation_you_may_see_soonest_first(self, cast, api, incident, restricted):
        rows = api(cast.sam).get("/api/clocks/").json()["results"]
        assert rows and {r["incident"] for r in rows} == {incident.pk}  # the restricted one is not there
        assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)
        assert {"incident", "code", "due_at", "overdue"} <= set(rows[0])
        assert "holding_statement_ready" not in {r["code"] for r in rows}  # its clock has not started
        assert api(cast.charlie).get("/api/clocks/").json()["results"] == []
        services.obligation_done(actor=cast.alice, obligation_id=obligation(incident).pk, reference="x")
        assert "panel_notification" not in {r["code"] for r in api(cast.sam).get("/api/clocks/").json()["results"]}

    def test_bad_paging_is_a_400(self, cast, api):
        assert api(cast.sam).get("/api/clocks/?page_size=").status_code == 400
        assert api(cast.sam).get("/api/clocks/?cursor=nonsense").status_code in (400, 404)

    def test_the_playbooks_are_there_for_every_member_of_staff(self, cast, api):
        rows = api(cast.charlie).get("/api/playbooks/").json()["results"]
        child = next(r for r in rows if r["kind"] == "child_death")
        assert "panel_notification" in {o["code"] for o in child["obligations"]}
        assert [s["code"] for s in child["ladder"]][:3] == ["director", "chief_executive", "lead_member"]
        assert api(None).get("/api/playbooks/").status_code in (401, 403)


@pytest.mark.django_db
class TestNotificationsApi:
    def url(self, incident):
        return f"/api/incidents/{incident.pk}/notifications/"

    def test_record_and_list_the_ladder(self, cast, api, incident):
        response = api(cast.alice).post(self.url(incident), {"step": "director", "person": "Dana Director",
                                                             "method": "phone"}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["told_by"] == "alice" and response.json()["step_title"] == "Director"
        assert obligation(incident, "director_informed").status == "done"
        listed = api(cast.olive).get(self.url(incident)).json()["results"]
        assert [r["step"] for r in listed] == ["director"]
        again = api(cast.tom).post(self.url(incident), {"step": "director", "person": "x", "method": "email"},
                                   format="json")
        assert again.status_code == 409

    def test_bad_input_not_allowed_and_outsiders(self, cast, api, incident, restricted):
        bad = api(cast.alice).post(self.url(incident), {"step": "pope", "person": "", "method": "owl"}, format="json")
        assert bad.status_code == 400 and {"person", "method"} <= set(bad.json())
        unknown_step = api(cast.alice).post(self.url(incident), {"step": "pope", "person": "x", "method": "phone"},
                                            format="json")
        assert unknown_step.status_code == 400 and "step" in unknown_step.json()
        assert api(cast.bob).post(self.url(incident), {"step": "director", "person": "x", "method": "phone"},
                                  format="json").status_code == 403
        hidden = api(cast.sam).get(self.url(restricted))
        absent = api(cast.sam).get("/api/incidents/999999/notifications/")
        assert hidden.status_code == absent.status_code == 404 and hidden.content == absent.content
        assert not Notification.objects.exists()


# --- pages -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestClocksPages:
    @pytest.mark.across_the_week
    def test_the_workspace_shows_the_clocks_with_countdowns_and_the_ladder(self, cast, client, incident):
        client.force_login(cast.alice)
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
        assert "Statutory clocks" in page and "Notify the Child Safeguarding Practice Review Panel" in page
        assert "working day" in page and "data-due=" in page and "harbour-bank-holidays" in page
        assert "Record it as done" in page and "Record who was told" in page
        client.force_login(cast.bob)
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
        assert "Statutory clocks" in page and "Record it as done" not in page and "Record who was told" not in page

    def test_a_clocks_panel_refreshes_alone(self, cast, client, incident, django_assert_max_num_queries):
        client.force_login(cast.alice)
        with django_assert_max_num_queries(12):
            response = client.get(f"/incidents/{incident.pk}/panels/clocks/")
        assert response.status_code == 200 and b"panel-clocks" in response.content

    def test_recording_done_from_the_page(self, cast, client, incident):
        client.force_login(cast.alice)
        panel = obligation(incident)
        response = client.post(f"/obligations/{panel.pk}/done/", {"reference": "CSPRP-7", "done_at": ""})
        assert response.status_code == 302 and response.url.endswith("#clocks")
        assert obligation(incident).reference == "CSPRP-7"

    def test_bad_input_shows_the_error_in_place_and_changes_nothing(self, cast, client, incident):
        client.force_login(cast.alice)
        panel = obligation(incident)
        response = client.post(f"/obligations/{panel.pk}/done/", {"reference": ""})
        assert response.status_code == 400
        page = response.content.decode()
        assert "govuk-error-summary" in page and f'id="ob{panel.pk}_done_reference"' in page
        assert obligation(incident).status == "pending"
        response = client.post(f"/obligations/{panel.pk}/not-applicable/", {"reason": ""})
        assert response.status_code == 400 and obligation(incident).status == "pending"

    def test_not_allowed_is_403_and_hidden_is_404(self, cast, client, incident, restricted):
        client.force_login(cast.bob)
        assert client.post(f"/obligations/{obligation(incident).pk}/done/", {"reference": "x"}).status_code == 403
        client.force_login(cast.sam)
        hidden = client.post(f"/obligations/{obligation(restricted).pk}/done/", {"reference": "x"})
        absent = client.post("/obligations/999999/done/", {"reference": "x"})
        assert hidden.status_code == absent.status_code == 404
        assert CSRF.sub(b"", hidden.content) == CSRF.sub(b"", absent.content)  # the token is fresh each time

    def test_recording_the_ladder_from_the_page(self, cast, client, incident):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/ladder/", {"step": "chief_executive",
                                                                     "person": "Chris Chief", "method": "in_person"})
        assert response.status_code == 302
        response = client.post(f"/incidents/{incident.pk}/ladder/", {"step": "chief_executive",
                                                                     "person": "Again", "method": "phone"})
        assert response.status_code == 400 and "already recorded" in response.content.decode()
        client.force_login(cast.bob)
        assert client.post(f"/incidents/{incident.pk}/ladder/", {"step": "director", "person": "x",
                                                                 "method": "phone"}).status_code == 403

    @pytest.mark.across_the_week
    def test_the_clocks_board_lists_soonest_first_and_hides_what_you_may_not_see(
            self, cast, client, incident, restricted, django_assert_max_num_queries):
        client.force_login(cast.sam)
        with django_assert_max_num_queries(10):
            page = client.get("/clocks/").content.decode()
        assert incident.reference in page and restricted.reference not in page
        assert page.index("Tell the Director") < page.index("Complete the rapid review")
        assert 'data-live-socket="/ws/boards/clocks/"' in page
        client.force_login(cast.charlie)
        assert "No open deadlines" in client.get("/clocks/panel/").content.decode()

    def test_the_header_offers_clocks_to_leaders_only(self, cast, client, incident):
        client.force_login(cast.tom)  # tactical lead
        assert 'href="/clocks/"' in client.get("/").content.decode()
        client.force_login(cast.bob)
        assert 'href="/clocks/"' not in client.get("/").content.decode()


# --- the board's socket ------------------------------------------------------------------------------------


async def clocks_board(user) -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, "/ws/boards/clocks/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_board_socket_hears_only_of_incidents_its_person_may_see(cast, incident, restricted):
    sam, alice, charlie = await clocks_board(cast.sam), await clocks_board(cast.alice), await clocks_board(cast.charlie)
    panel = await database_sync_to_async(obligation)(incident)
    await database_sync_to_async(services.obligation_done)(actor=cast.alice, obligation_id=panel.pk, reference="x")
    for communicator in (sam, alice):
        assert await communicator.receive_json_from(timeout=5) == {"type": "panels.changed", "panels": ["board"]}
    assert await charlie.receive_nothing(timeout=0.3)
    hidden = await database_sync_to_async(obligation)(restricted)
    await database_sync_to_async(services.obligation_done)(actor=cast.alice, obligation_id=hidden.pk, reference="x")
    assert await alice.receive_json_from(timeout=5) == {"type": "panels.changed", "panels": ["board"]}
    assert await sam.receive_nothing(timeout=0.3)  # a restricted incident: not even that something changed
    for communicator in (sam, alice, charlie):
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_anonymous_board_sockets_are_refused(cast):
    communicator = WebsocketCommunicator(application, "/ws/boards/clocks/", headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
