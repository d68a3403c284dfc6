"""The communications API contract: 201 on create, 200 with the message on every action, 400 field
errors, 403 visible-but-not-allowed, 404 invisible, 409 with {"gate", "detail"} on a gate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from comms.models import Message, ProtectedIdentifier
from incidents.models import TimelineEvent
from support.models import SupportRequest

pytestmark = pytest.mark.django_db


def create(api, user, incident, **body):
    payload = {"audience": "all_staff", "subject": "Briefing", "body": "What we know.", **body}
    return api(user).post(f"/api/incidents/{incident.pk}/messages/", payload, format="json")


def approved(api, cast, incident, **body):
    message = create(api, cast.alice, incident, **body).json()
    api(cast.alice).post(f"/api/messages/{message['id']}/submit/")
    api(cast.cora).post(f"/api/messages/{message['id']}/approve/", {"version": 1}, format="json")
    data = api(cast.tom).get(f"/api/messages/{message['id']}/").json()
    if data["status"] != "approved":
        data = api(cast.tom).post(f"/api/messages/{message['id']}/approve/", {"version": 1}, format="json").json()
    return data


class TestMessages:
    def test_create_answers_201_with_the_message(self, cast, api, incident):
        response = create(api, cast.cora, incident, content_note="About a child's death")
        assert response.status_code == 201, response.json()
        data = response.json()
        for field in ("id", "incident", "audience", "subject", "body", "content_note", "status", "version",
                      "approvals", "release_at", "released_at"):
            assert field in data
        assert (data["status"], data["version"], data["approvals"]) == ("draft", 1, [])
        assert data["blocking_gates"][0]["gate"] == "approval_required"

    def test_create_bad_input(self, cast, api, incident):
        response = create(api, cast.cora, incident, audience="carrier_pigeon", subject="")
        assert response.status_code == 400 and {"audience", "subject"} <= set(response.json())
        response = create(api, cast.cora, incident, audience="partners")
        assert response.status_code == 400 and "external_recipients" in response.json()
        assert Message.objects.count() == 0

    def test_create_permissions(self, cast, api, incident, restricted):
        assert create(api, cast.bob, incident).status_code == 403
        assert create(api, cast.sam, incident).status_code == 403
        assert create(api, cast.charlie, incident).status_code == 404
        assert create(api, cast.sam, restricted).status_code == 404

    def test_list_and_detail_visibility(self, cast, api, incident, restricted):
        mine = create(api, cast.alice, restricted).json()
        assert api(cast.olive).get(f"/api/incidents/{restricted.pk}/messages/").status_code == 200
        for who in (cast.sam, cast.charlie):
            assert api(who).get(f"/api/incidents/{restricted.pk}/messages/").status_code == 404
            assert api(who).get(f"/api/messages/{mine['id']}/").status_code == 404
            assert api(who).get(f"/api/messages/{mine['id']}/versions/").status_code == 404
            assert api(who).post(f"/api/messages/{mine['id']}/approve/", {"version": 1},
                                 format="json").status_code == 404
        assert api(cast.alice).get("/api/messages/999999/").status_code == 404

    def test_patch_makes_a_version_and_diff_reads_well(self, cast, api, incident):
        message = create(api, cast.alice, incident, body="The team will meet on Monday.").json()
        response = api(cast.alice).patch(f"/api/messages/{message['id']}/",
                                         {"body": "The team will meet on Tuesday."}, format="json")
        assert response.status_code == 200 and response.json()["version"] == 2
        versions = api(cast.olive).get(f"/api/messages/{message['id']}/versions/").json()
        assert [v["number"] for v in versions] == [1, 2]
        diff = api(cast.olive).get(f"/api/messages/{message['id']}/diff/?from=1&to=2").json()
        body = diff["fields"]["body"]
        assert {"op": "delete", "text": "Monday."} in body and {"op": "insert", "text": "Tuesday."} in body
        assert api(cast.olive).get(f"/api/messages/{message['id']}/diff/?from=1&to=9").status_code == 400
        assert api(cast.olive).get(f"/api/messages/{message['id']}/diff/").status_code == 400

    def test_patch_errors(self, cast, api, incident):
        message = create(api, cast.alice, incident).json()
        url = f"/api/messages/{message['id']}/"
        assert api(cast.alice).patch(url, {"status": "released"}, format="json").status_code == 400
        assert api(cast.alice).patch(url, {}, format="json").status_code == 400
        assert api(cast.bob).patch(url, {"body": "x"}, format="json").status_code == 403


class TestWorkflow:
    def test_submit_approve_release_each_answer_200_with_the_message(self, cast, api, incident):
        message = create(api, cast.alice, incident).json()
        url = f"/api/messages/{message['id']}"
        submitted = api(cast.alice).post(f"{url}/submit/")
        assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
        approved_ = api(cast.cora).post(f"{url}/approve/", {"version": 1}, format="json")
        assert approved_.status_code == 200 and approved_.json()["status"] == "approved"
        assert approved_.json()["approvals"][0]["approver"] == "cora"
        released = api(cast.cora).post(f"{url}/release/", {}, format="json")
        assert released.status_code == 200 and released.json()["status"] == "released"
        assert released.json()["delivered_count"] == 7
        # nobody has read it yet: a group of seven, none of them picked out
        assert released.json()["acknowledged"] == {"count": 0, "suppressed": False, "words": "0"}

    def test_stale_version_and_own_draft(self, cast, api, incident):
        message = create(api, cast.cora, incident).json()
        url = f"/api/messages/{message['id']}"
        api(cast.cora).patch(f"{url}/", {"subject": "Briefing (updated)"}, format="json")
        api(cast.cora).post(f"{url}/submit/")
        stale = api(cast.tom).post(f"{url}/approve/", {"version": 1}, format="json")
        assert stale.status_code == 409 and stale.json()["current_version"] == 2
        assert api(cast.cora).post(f"{url}/approve/", {"version": 2}, format="json").status_code == 403
        assert api(cast.tom).post(f"{url}/approve/", {}, format="json").status_code == 400

    def test_gate_refusal_shape(self, cast, api, incident):
        statement = approved(api, cast, incident, audience="press_statement")
        response = api(cast.cora).post(f"/api/messages/{statement['id']}/release/", {}, format="json")
        assert response.status_code == 409
        assert response.json()["gate"] == "staff_not_briefed" and response.json()["detail"]

    def test_identifier_gate_shape(self, cast, api, incident):
        api(cast.cora).post(f"/api/incidents/{incident.pk}/protected-identifiers/",
                            {"value": "Hollins", "kind": "name"}, format="json")
        message = create(api, cast.alice, incident, audience="website", body="The HOLLINS' home.").json()
        api(cast.alice).post(f"/api/messages/{message['id']}/submit/")
        response = api(cast.cora).post(f"/api/messages/{message['id']}/approve/", {"version": 1}, format="json")
        assert response.status_code == 409 and response.json()["gate"] == "identifier_found"

    def test_override_by_lead(self, cast, api, incident):
        statement = approved(api, cast, incident, audience="press_statement")
        response = api(cast.tom).post(f"/api/messages/{statement['id']}/release/",
                                      {"override_reason": "Already reported nationally"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "released"
        log = api(cast.bob).get(f"/api/incidents/{incident.pk}/decisions/").json()["results"]
        assert log[0]["rationale"] == "Already reported nationally"

    def test_request_changes_and_withdraw(self, cast, api, incident):
        message = create(api, cast.alice, incident).json()
        url = f"/api/messages/{message['id']}"
        api(cast.alice).post(f"{url}/submit/")
        assert api(cast.cora).post(f"{url}/request-changes/", {}, format="json").status_code == 400
        response = api(cast.cora).post(f"{url}/request-changes/", {"comment": "Softer opening"}, format="json")
        assert response.status_code == 200 and response.json()["change_request"] == "Softer opening"
        assert api(cast.bob).post(f"{url}/withdraw/", {"reason": "x"}, format="json").status_code == 403
        withdrawn = api(cast.alice).post(f"{url}/withdraw/", {"reason": "Not needed"}, format="json")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        assert api(cast.alice).post(f"{url}/submit/").status_code == 409

    def test_scheduled_release(self, cast, api, incident):
        when = (timezone.now() + dt.timedelta(hours=3)).isoformat()
        message = approved(api, cast, incident, release_at=when)
        response = api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "scheduled"

    def test_timeline_tells_the_story(self, cast, api, incident):
        message = approved(api, cast, incident)
        api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
        types = list(TimelineEvent.objects.filter(incident=incident, type__startswith="message.")
                     .order_by("id").values_list("type", flat=True))
        assert types == ["message.drafted", "message.submitted", "message.approved", "message.released"]

    def test_deliveries_for_approvers_only(self, cast, api, incident):
        message = approved(api, cast, incident, audience="people", recipients=["bob"])
        api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
        deliveries = api(cast.cora).get(f"/api/messages/{message['id']}/deliveries/").json()["results"]
        assert [d["to"] for d in deliveries] == ["bob@example.org"]
        assert "acknowledged" not in deliveries[0]
        assert api(cast.bob).get(f"/api/messages/{message['id']}/deliveries/").status_code == 403


class TestInbox:
    def test_inbox_and_acknowledge(self, cast, api, incident):
        message = approved(api, cast, incident, audience="people", recipients=["charlie"],
                           content_note="Mentions a death")
        api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
        inbox = api(cast.charlie).get("/api/inbox/").json()["results"]
        assert [(i["id"], i["acknowledged"], i["content_note"]) for i in inbox] == [
            (message["id"], False, "Mentions a death")]
        # Charlie is not a member: the inbox shows the briefing, the incident stays need-to-know
        assert api(cast.charlie).get(f"/api/messages/{message['id']}/").status_code == 404
        response = api(cast.charlie).post(f"/api/messages/{message['id']}/acknowledge/",
                                          {"wants_support": True}, format="json")
        assert response.status_code == 200 and response.json()["acknowledged"] is True
        assert SupportRequest.objects.get().person == cast.charlie
        counted = api(cast.cora).get(f"/api/messages/{message['id']}/").json()
        # sent to one person: how many of them have read it would say whether Charlie has
        assert counted["delivered_count"] == 1
        assert counted["acknowledged"] == {"count": None, "suppressed": True, "words": "fewer than 5"}
        assert api(cast.bob).get(f"/api/messages/{message['id']}/").json()["acknowledged"] is None

    def test_acknowledge_errors(self, cast, api, incident):
        message = approved(api, cast, incident, audience="people", recipients=["charlie"])
        api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
        assert api(cast.bob).post(f"/api/messages/{message['id']}/acknowledge/", {}, format="json").status_code == 404
        assert api(cast.charlie).post(f"/api/messages/{message['id']}/acknowledge/", {"wants_support": "perhaps"},
                                      format="json").status_code == 400


class TestIdentifiers:
    def test_add_list_remove(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/protected-identifiers/"
        response = api(cast.cora).post(url, {"value": "Meadow Primary", "kind": "school"}, format="json")
        assert response.status_code == 201
        assert [i["value"] for i in api(cast.tom).get(url).json()] == ["Meadow Primary"]
        assert api(cast.alice).delete(f"{url}{response.json()['id']}/").status_code == 204
        assert not ProtectedIdentifier.objects.exists()

    def test_never_shown_to_members_without_the_role_or_to_other_incidents(self, cast, api, incident, restricted):
        url = f"/api/incidents/{incident.pk}/protected-identifiers/"
        api(cast.cora).post(url, {"value": "Hollins", "kind": "name"}, format="json")
        for who in (cast.bob, cast.olive, cast.sam):
            assert api(who).get(url).status_code == 403
        assert api(cast.charlie).get(url).status_code == 404
        other = api(cast.alice).get(f"/api/incidents/{restricted.pk}/protected-identifiers/").json()
        assert other == []
        # nor in the incident's timeline or history
        timeline = api(cast.bob).get(f"/api/incidents/{incident.pk}/timeline/").content.decode()
        assert "Hollins" not in timeline
        history = api(cast.bob).get(f"/api/incidents/{incident.pk}/history/").content.decode()
        assert "Hollins" not in history

    def test_bad_input(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/protected-identifiers/"
        assert api(cast.cora).post(url, {"value": "", "kind": "colour"}, format="json").status_code == 400
        api(cast.cora).post(url, {"value": "Hollins", "kind": "name"}, format="json")
        assert api(cast.cora).post(url, {"value": "hollins", "kind": "name"}, format="json").status_code == 409


class TestFamilyInformed:
    def test_record(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/family-informed/"
        body = {"informed_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "informed_by": "Police FLO",
                "note": "Told at home"}
        assert api(cast.cora).post(url, body, format="json").status_code == 403
        response = api(cast.tom).post(url, body, format="json")
        assert response.status_code == 201 and response.json()["recorded_by"] == "tom"
        assert api(cast.tom).post(url, {"informed_by": ""}, format="json").status_code == 400
        future = {**body, "informed_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}
        assert api(cast.tom).post(url, future, format="json").status_code == 400
        assert api(cast.charlie).post(url, body, format="json").status_code == 404


class TestMediaEnquiries:
    def test_log_list_and_update(self, cast, api, incident):
        url = f"/api/incidents/{incident.pk}/media-enquiries/"
        body = {"outlet": "Evening Post", "journalist": "J. Reporter", "contact": "07700 900000",
                "received_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
                "deadline": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "question": "Is it true that…"}
        response = api(cast.cora).post(url, body, format="json")
        assert response.status_code == 201 and response.json()["owner"] == "cora"
        listed = api(cast.olive).get(url).json()
        assert listed[0]["overdue"] is True
        enquiry = f"/api/media-enquiries/{response.json()['id']}/"
        updated = api(cast.tom).patch(enquiry, {"status": "declined"}, format="json")
        assert updated.status_code == 200 and updated.json()["overdue"] is False
        assert api(cast.tom).patch(enquiry, {"status": "lost"}, format="json").status_code == 400
        assert api(cast.bob).patch(enquiry, {"status": "open"}, format="json").status_code == 403
        assert api(cast.charlie).get(enquiry).status_code == 404
        assert api(cast.bob).post(url, body, format="json").status_code == 403


def test_holding_templates_are_filled_in(cast, api, incident):
    templates = api(cast.cora).get(f"/api/incidents/{incident.pk}/holding-templates/").json()
    names = [t["name"] for t in templates]
    assert "Death of a child: first holding statement" in names and "General holding statement" in names
    assert all("{date}" not in t["body"] and "{service_area}" not in t["subject"] for t in templates)
    assert api(cast.bob).get(f"/api/incidents/{incident.pk}/holding-templates/").status_code == 403


def test_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/messages/{message_id}/approve/" in schema and "/api/inbox/" in schema


def test_holding_templates_are_edited_in_the_admin(client, db):
    from comms.models import HoldingTemplate
    from people.models import User

    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-admin-tests", full_name="Root")
    client.force_login(admin)
    template = HoldingTemplate.objects.get(name="General holding statement")
    response = client.post(f"/admin/comms/holdingtemplate/{template.pk}/change/", {
        "name": template.name, "kind": "", "active": "on", "subject": template.subject,
        "body": "We are aware of an incident. Statement issued {date}.",
    })
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body.startswith("We are aware") and template.history.latest().history_user == admin
    assert client.post("/admin/comms/message/add/", {}).status_code == 403


def test_history_shows_the_communication_steps(cast, api, incident):
    message = approved(api, cast, incident)
    api(cast.cora).post(f"/api/messages/{message['id']}/release/", {}, format="json")
    history = api(cast.olive).get(f"/api/incidents/{incident.pk}/history/").json()["results"]
    kinds = {(h["model"], h["action"]) for h in history}
    assert ("Message", "created") in kinds and ("Message", "changed") in kinds and ("Approval", "created") in kinds
    released = next(h for h in history if h["model"] == "Message" and any(
        c["field"] == "status" and c["new"] == "Released" for c in h["changes"]))
    assert released["user"] == "cora"


@pytest.mark.parametrize("count", [2, 8])
def test_message_list_costs_the_same_whatever_its_length(cast, api, incident, count, django_assert_max_num_queries):
    for n in range(count):
        create(api, cast.alice, incident, subject=f"Message {n}", audience="press_statement" if n % 2 else "all_staff")
    with django_assert_max_num_queries(14):
        assert len(api(cast.cora).get(f"/api/incidents/{incident.pk}/messages/").json()["results"]) == count


def test_odd_ids_and_numbers_are_not_found_or_bad_requests(cast, api, client, incident):
    huge = "9" * 25
    message = create(api, cast.alice, incident).json()
    assert api(cast.alice).get(f"/api/messages/{message['id']}/diff/?from={huge}&to=1").status_code == 400
    assert api(cast.alice).post(f"/api/messages/{huge}/acknowledge/", {}, format="json").status_code == 404
    assert api(cast.alice).get(f"/api/messages/{huge}/").status_code == 404
    assert api(cast.alice).get(f"/api/incidents/{huge}/").status_code == 404
    client.force_login(cast.alice)
    assert client.get(f"/inbox/{huge}/").status_code == 404
    assert client.get(f"/incidents/{incident.pk}/comms/new/?template=abc").status_code == 200
    assert client.get(f"/messages/{message['id']}/diff/?from=abc&to={huge}").status_code == 200


def test_an_address_too_long_for_mail_servers_is_refused(cast, api, incident):
    address = "a" * 250 + "@example.org"
    response = create(api, cast.alice, incident, audience="partners", external_recipients=[address])
    assert response.status_code == 400 and "external_recipients" in response.json()


def _timed_diff(api, cast, message_id):
    import time

    started = time.monotonic()
    response = api(cast.alice).get(f"/api/messages/{message_id}/diff/?from=1&to=2")
    return time.monotonic() - started, response.json()


@pytest.mark.parametrize("shape", ["repeated lines, edits far apart", "a long statement edited throughout"])
def test_any_diff_is_quick_whoever_asks(cast, api, client, incident, shape):
    import random

    random.seed(7)
    if shape.startswith("repeated"):
        # The text that made the old diff quadratic: thousands of short, repeated lines, two edits apart.
        lines = [random.choice("ab") for _ in range(9_900)]
        old, changed = "\n".join(lines), list(lines)
        changed[100], changed[9_000] = "changed", "also changed"
        new = "\n".join(changed)
    else:
        words = [random.choice(["staff", "the", "family", "police", "council", "we", "support"]) for _ in range(3_000)]
        old = " ".join(words)
        new = " ".join(w.upper() if n % 40 == 0 else w for n, w in enumerate(words))
    assert len(old) <= 20_000 and len(new) <= 20_000
    message = create(api, cast.alice, incident, body=old).json()
    assert api(cast.alice).patch(f"/api/messages/{message['id']}/", {"body": new}, format="json").status_code == 200
    elapsed, diff = _timed_diff(api, cast, message["id"])
    assert elapsed < 1.5, elapsed
    ops = diff["fields"]["body"]
    assert any(op["op"] == "insert" for op in ops) and diff["precision"]["body"] in ("words", "lines", "whole")
    # Put back together, the diff is the two texts exactly.
    assert "".join(op["text"] for op in ops if op["op"] != "insert") == old
    assert "".join(op["text"] for op in ops if op["op"] != "delete") == new
    client.force_login(cast.olive)  # an observer, reading the page
    page = client.get(f"/messages/{message['id']}/diff/?from=1&to=2")
    assert page.status_code == 200


def test_a_message_longer_than_any_statement_is_refused_plainly(cast, api, incident):
    response = create(api, cast.alice, incident, body="word " * 4_001)
    assert response.status_code == 400 and "20000" in response.json()["body"][0].replace(",", "")
