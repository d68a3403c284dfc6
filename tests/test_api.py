"""The REST API contract: happy path, bad input (400), not allowed (403), not visible (404), state
conflicts (409) and what each change leaves behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import Decision, Incident, Membership, TimelineEvent
from tests.factories import PASSWORD, open_incident

pytestmark = pytest.mark.django_db


def _iso(delta_hours: float) -> str:
    return (timezone.now() + dt.timedelta(hours=delta_hours)).isoformat()


NEW_INCIDENT = {
    "title": "Worker assaulted on a home visit",
    "kind": "staff_assault",
    "severity": "major",
    "summary": "A social worker was assaulted during a home visit.",
    "restricted": False,
}


class TestToken:
    def test_exchange_password_for_token_then_use_it(self, cast, client):
        response = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD},
                               content_type="application/json")
        assert response.status_code == 200
        token = response.json()["token"]
        listed = client.get("/api/incidents/", HTTP_AUTHORIZATION=f"Token {token}")
        assert listed.status_code == 200

    def test_bad_password_is_a_400_with_a_message(self, cast, client):
        response = client.post("/api/auth/token/", {"username": "alice", "password": "nope"},
                               content_type="application/json")
        assert response.status_code == 400
        assert response.json()["non_field_errors"]

    def test_missing_fields(self, client, db):
        response = client.post("/api/auth/token/", {}, content_type="application/json")
        assert response.status_code == 400
        assert set(response.json()) == {"username", "password"}

    def test_anonymous_requests_are_refused(self, client, db):
        assert client.get("/api/incidents/").status_code in (401, 403)


class TestIncidents:
    def test_open_answers_201_with_the_incident(self, cast, api):
        body = {**NEW_INCIDENT, "occurred_at": _iso(-3), "aware_at": _iso(-2)}
        response = api(cast.alice).post("/api/incidents/", body, format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        for field in ("id", "reference", "title", "kind", "severity", "status", "restricted", "occurred_at",
                      "aware_at", "summary"):
            assert field in data
        assert data["status"] == "open" and data["lead"] == "alice"
        assert TimelineEvent.objects.filter(incident_id=data["id"], type="incident.opened").exists()

    def test_bad_input_is_400_with_field_errors_and_nothing_written(self, cast, api):
        body = {**NEW_INCIDENT, "kind": "flood", "occurred_at": "not a date", "aware_at": _iso(-2)}
        response = api(cast.alice).post("/api/incidents/", body, format="json")
        assert response.status_code == 400
        assert {"kind", "occurred_at"} <= set(response.json())
        assert Incident.objects.count() == 0

    def test_domain_rules_come_back_as_field_errors(self, cast, api):
        body = {**NEW_INCIDENT, "occurred_at": _iso(-1), "aware_at": _iso(+5)}
        response = api(cast.alice).post("/api/incidents/", body, format="json")
        assert response.status_code == 400
        assert "future" in response.json()["aware_at"][0]

    def test_only_senior_leaders_open(self, cast, api):
        body = {**NEW_INCIDENT, "occurred_at": _iso(-3), "aware_at": _iso(-2)}
        assert api(cast.bob).post("/api/incidents/", body, format="json").status_code == 403

    def test_list_shows_only_what_each_person_may_see(self, cast, api, incident, restricted):
        def refs(user):
            return {i["reference"] for i in api(user).get("/api/incidents/").json()["results"]}

        assert refs(cast.alice) == {incident.reference, restricted.reference}
        assert refs(cast.sam) == {incident.reference}  # senior leader: unrestricted only
        assert refs(cast.charlie) == set()
        assert api(cast.charlie).get("/api/incidents/").json()["results"] == []

    def test_list_filters(self, cast, api, incident):
        other = open_incident(cast, kind="community_violence", title="Riots", members=False)
        data = api(cast.alice).get("/api/incidents/?kind=community_violence").json()
        assert [i["id"] for i in data["results"]] == [other.pk]
        assert api(cast.alice).get("/api/incidents/?status=closed").json()["results"] == []
        assert api(cast.alice).get("/api/incidents/?status=burning").status_code == 400

    def test_list_costs_a_fixed_number_of_queries(self, cast, api):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        costs = []
        for total in (5, 15):
            while Incident.objects.count() < total:
                open_incident(cast, title=f"Incident {Incident.objects.count()}")
            with CaptureQueriesContext(connection) as queries:
                body = api(cast.alice).get("/api/incidents/").json()
            assert len(body["results"]) == total and all("edit" in i["allowed_actions"] for i in body["results"])
            costs.append(len(queries))
        # the same whatever the length: the page's leads and the person's memberships in a query each
        assert costs[0] == costs[1] <= 9, costs

    def test_detail_and_patch(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/"
        assert api(cast.olive).get(url).json()["reference"] == incident.reference
        response = api(cast.tom).patch(url, {"severity": "moderate"}, format="json")
        assert response.status_code == 200 and response.json()["severity"] == "moderate"
        history = api(cast.alice).get(f"{url}history/").json()["results"]
        changed = [h for h in history if h["model"] == "Incident" and h["action"] == "changed"]
        assert changed[0]["user"] == "tom"
        assert {"field": "severity", "label": "severity", "old": "Critical", "new": "Moderate"} in changed[0]["changes"]

    @pytest.mark.parametrize("body", [{"reference": "INC-0"}, {}, {"severity": "apocalyptic"}])
    def test_patch_bad_input(self, cast, api, incident, body):
        assert api(cast.alice).patch(f"/api/incidents/{incident.pk}/", body, format="json").status_code == 400

    def test_patch_not_allowed_and_not_visible(self, cast, api, incident, restricted):
        assert api(cast.bob).patch(f"/api/incidents/{incident.pk}/", {"title": "x"}, format="json").status_code == 403
        assert api(cast.sam).patch(f"/api/incidents/{incident.pk}/", {"title": "x"}, format="json").status_code == 403
        assert api(cast.sam).patch(f"/api/incidents/{restricted.pk}/", {"title": "x"}, format="json").status_code == 404
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/").status_code == 404

    def test_restricted_and_missing_are_indistinguishable(self, cast, api, restricted):
        hidden = api(cast.charlie).get(f"/api/incidents/{restricted.pk}/")
        missing = api(cast.charlie).get("/api/incidents/999999/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()


class TestTransition:
    def test_allowed_move_answers_200_with_the_incident(self, cast, api, incident):
        response = api(cast.tom).post(f"/api/incidents/{incident.pk}/transition/",
                                      {"status": "stabilising", "reason": "Calmer"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "stabilising"

    def test_disallowed_move_is_409_with_a_message(self, cast, api, incident):
        response = api(cast.alice).post(f"/api/incidents/{incident.pk}/transition/",
                                        {"status": "closed", "reason": "Done"}, format="json")
        assert response.status_code == 409
        assert "stabilising" in response.json()["detail"]

    def test_bad_input_and_permissions(self, cast, api, incident, restricted):
        url = f"/api/incidents/{incident.pk}/transition/"
        assert api(cast.alice).post(url, {"status": "stabilising"}, format="json").status_code == 400
        assert api(cast.alice).post(url, {"status": "nope", "reason": "r"}, format="json").status_code == 400
        assert api(cast.olive).post(url, {"status": "stabilising", "reason": "r"}, format="json").status_code == 403
        assert api(cast.sam).post(f"/api/incidents/{restricted.pk}/transition/",
                                  {"status": "stabilising", "reason": "r"}, format="json").status_code == 404


class TestMembers:
    def test_list_add_and_remove(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/"
        listed = api(cast.olive).get(url).json()["results"]
        assert {m["user"] for m in listed} == {"alice", "tom", "bob", "olive", "cora"}
        response = api(cast.tom).post(url, {"user": "charlie", "role": "member", "reason": "Duty worker"},
                                      format="json")
        assert response.status_code == 201 and response.json()["added_by"] == "tom"
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/").status_code == 200
        removed = api(cast.tom).delete(f"{url}charlie/", {"reason": "Shift ended"}, format="json")
        assert removed.status_code == 204
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/").status_code == 404
        types = list(TimelineEvent.objects.filter(incident=incident).values_list("type", flat=True))
        assert "member.added" in types and "member.removed" in types

    def test_remove_reason_may_come_in_the_query(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/bob/?reason=Moved%20team"
        assert api(cast.alice).delete(url).status_code == 204
        assert Membership.objects.get(incident=incident, user=cast.bob).removed_reason == "Moved team"

    def test_remove_needs_a_reason(self, cast, api, incident):
        assert api(cast.alice).delete(f"/api/incidents/{incident.pk}/members/bob/").status_code == 400

    def test_bad_input(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/"
        response = api(cast.alice).post(url, {"user": "ghost", "role": "captain"}, format="json")
        assert response.status_code == 400
        assert {"role", "reason"} <= set(response.json())
        unknown = api(cast.alice).post(url, {"user": "ghost", "role": "member", "reason": "r"}, format="json")
        assert unknown.status_code == 400 and "ghost" in unknown.json()["user"][0]

    def test_conflicts(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/"
        again = api(cast.alice).post(url, {"user": "bob", "role": "member", "reason": "r"}, format="json")
        assert again.status_code == 409
        last_lead = api(cast.alice).delete(f"{url}alice/", {"reason": "r"}, format="json")
        assert last_lead.status_code == 409 and last_lead.json()["code"] == "last_lead"

    def test_a_tactical_lead_cannot_take_over_the_incident(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/"
        assert api(cast.tom).patch(f"{url}tom/", {"role": "lead", "reason": "r"}, format="json").status_code == 403
        assert api(cast.tom).delete(f"{url}alice/", {"reason": "r"}, format="json").status_code == 403
        assert api(cast.tom).post(url, {"user": "sam", "role": "lead", "reason": "r"}, format="json").status_code == 403
        # the lead may hand over, but only to a senior leader
        refused = api(cast.alice).patch(f"{url}bob/", {"role": "lead", "reason": "r"}, format="json")
        assert refused.status_code == 400 and "senior leader" in refused.json()["role"][0]
        assert api(cast.alice).post(url, {"user": "sam", "role": "lead", "reason": "Gold handover"},
                                    format="json").status_code == 201

    def test_only_wellbeing_leads_can_be_an_incidents_wellbeing_lead(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/members/"
        refused = api(cast.alice).patch(f"{url}tom/", {"role": "wellbeing_lead", "reason": "r"}, format="json")
        assert refused.status_code == 400 and "wellbeing leads" in refused.json()["role"][0]

    def test_change_role(self, cast, api, incident):
        response = api(cast.alice).patch(f"/api/incidents/{incident.pk}/members/olive/",
                                         {"role": "member", "reason": "Now active"}, format="json")
        assert response.status_code == 200 and response.json()["role"] == "member"

    def test_permissions(self, cast, api, incident, restricted):
        body = {"user": "charlie", "role": "member", "reason": "r"}
        assert api(cast.bob).post(f"/api/incidents/{incident.pk}/members/", body, format="json").status_code == 403
        assert api(cast.sam).post(f"/api/incidents/{incident.pk}/members/", body, format="json").status_code == 403
        assert api(cast.charlie).get(f"/api/incidents/{incident.pk}/members/").status_code == 404
        assert api(cast.sam).get(f"/api/incidents/{restricted.pk}/members/").status_code == 404
        assert api(cast.charlie).delete(f"/api/incidents/{incident.pk}/members/bob/",
                                        {"reason": "r"}, format="json").status_code == 404


class TestDecisions:
    def test_record_answers_201_and_appears_in_the_log(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/decisions/"
        response = api(cast.bob).post(url, {"decision": "Tell staff first", "rationale": "Order of telling",
                                            "options_considered": "Press first (rejected)"}, format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["number"] == 1 and data["decided_by"] == "bob" and data["corrected"] is False
        assert api(cast.olive).get(url).json()["results"][0]["decision"] == "Tell staff first"

    def test_late_entry_without_reason_is_400(self, cast, api, incident):
        body = {"decision": "d", "rationale": "r", "decided_at": _iso(-1)}
        response = api(cast.bob).post(f"/api/incidents/{incident.pk}/decisions/", body, format="json")
        assert response.status_code == 400 and "late_entry_reason" in response.json()
        assert Decision.objects.count() == 0

    def test_correction_strikes_the_old_entry(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/decisions/"
        first = api(cast.bob).post(url, {"decision": "Wrong", "rationale": "r"}, format="json").json()
        api(cast.bob).post(url, {"decision": "Right", "rationale": "r", "corrects": first["id"]}, format="json")
        log = {d["id"]: d for d in api(cast.bob).get(url).json()["results"]}
        assert log[first["id"]]["corrected"] is True

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_entries_cannot_be_changed(self, cast, api, incident, method):
        entry = api(cast.bob).post(f"/api/incidents/{incident.pk}/decisions/",
                                   {"decision": "d", "rationale": "r"}, format="json").json()
        detail = f"/api/incidents/{incident.pk}/decisions/{entry['id']}/"
        assert getattr(api(cast.alice), method)(detail, {"decision": "x"}, format="json").status_code == 405
        assert getattr(api(cast.alice), method)(f"/api/incidents/{incident.pk}/decisions/", {},
                                                format="json").status_code == 405
        assert Decision.objects.get().decision == "d"

    def test_permissions(self, cast, api, incident, restricted):
        body = {"decision": "d", "rationale": "r"}
        assert api(cast.olive).post(f"/api/incidents/{incident.pk}/decisions/", body, format="json").status_code == 403
        assert api(cast.sam).post(f"/api/incidents/{incident.pk}/decisions/", body, format="json").status_code == 403
        assert api(cast.charlie).post(f"/api/incidents/{incident.pk}/decisions/", body,
                                      format="json").status_code == 404
        assert api(cast.sam).get(f"/api/incidents/{restricted.pk}/decisions/").status_code == 404


class TestTimelineAndHistory:
    def test_timeline_items_newest_first(self, cast, api, incident):
        data = api(cast.olive).get(f"/api/incidents/{incident.pk}/timeline/").json()
        items = data["results"]
        assert set(items[0]) >= {"id", "at", "actor", "type", "summary"}
        assert items[-1]["type"] == "incident.opened" and items[-1]["actor"] == "alice"
        assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)

    def test_timeline_after_catches_up_oldest_first(self, cast, api, incident):
        last = TimelineEvent.objects.filter(incident=incident).order_by("-id").first().pk
        api(cast.bob).post(f"/api/incidents/{incident.pk}/decisions/", {"decision": "d", "rationale": "r"},
                           format="json")
        data = api(cast.bob).get(f"/api/incidents/{incident.pk}/timeline/?after={last}").json()
        assert [i["type"] for i in data["results"]] == ["decision.recorded"]
        assert api(cast.bob).get(f"/api/incidents/{incident.pk}/timeline/?after=x").status_code == 400

    def test_history_covers_memberships_and_decisions(self, cast, api, incident):
        api(cast.bob).post(f"/api/incidents/{incident.pk}/decisions/", {"decision": "d", "rationale": "r"},
                           format="json")
        api(cast.alice).delete(f"/api/incidents/{incident.pk}/members/olive/?reason=Left")
        history = api(cast.alice).get(f"/api/incidents/{incident.pk}/history/").json()["results"]
        models = {h["model"] for h in history}
        assert models == {"Incident", "Membership", "Decision"}
        removal = next(h for h in history if h["object"] == "Membership of Olive Observer" and h["action"] == "changed")
        assert removal["user"] == "alice" and removal["reason"] == "Left"
        assert any(c["field"] == "removed_reason" and c["new"] == "Left" for c in removal["changes"])

    def test_outsiders_see_neither(self, cast, api, restricted):
        assert api(cast.sam).get(f"/api/incidents/{restricted.pk}/timeline/").status_code == 404
        assert api(cast.charlie).get(f"/api/incidents/{restricted.pk}/history/").status_code == 404


class TestSchema:
    def test_openapi_schema_and_offline_docs(self, cast, client):
        client.force_login(cast.alice)
        schema = client.get("/api/schema/")
        assert schema.status_code == 200
        body = schema.content.decode()
        for path in ("/api/incidents/{incident_id}/transition/", "/api/incidents/{incident_id}/decisions/",
                     "/api/auth/token/"):
            assert path in body
        docs = client.get("/api/docs/")
        assert docs.status_code == 200
        # served from our own static files (drf-spectacular-sidecar), not a CDN
        assert "cdn" not in docs.content.decode().lower()
