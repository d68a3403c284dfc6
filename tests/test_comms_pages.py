"""The communications console, page by page: who sees what, what they can do, the errors they get."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from comms import releases as comms_releases
from comms import services
from comms.models import HoldingTemplate, InboxItem, MediaEnquiry, Message, ProtectedIdentifier
from support.models import SupportRequest

pytestmark = pytest.mark.django_db

DRAFT = {"audience": "all_staff", "subject": "Briefing for staff", "body": "What we know so far.", "content_note": ""}


def login(client, user):
    client.force_login(user)
    return client


def new_message(cast, incident, **extra):
    values = {**DRAFT, **extra}
    return services.message_draft(actor=cast.alice, incident_id=incident.pk, **values)


def release(cast, message):
    services.message_submit(actor=cast.alice, message_id=message.pk)
    services.message_approve(actor=cast.cora, message_id=message.pk, version=message.version)
    return comms_releases.message_release(actor=cast.cora, message_id=message.pk)


class TestCommsHome:
    def test_members_see_messages_by_state(self, cast, client, incident):
        new_message(cast, incident, subject="A draft")
        body = login(client, cast.olive).get(f"/incidents/{incident.pk}/comms/").content.decode()
        assert "A draft" in body and "Draft a message" not in body
        body = login(client, cast.cora).get(f"/incidents/{incident.pk}/comms/").content.decode()
        assert "Draft a message" in body and "Start from a holding statement" in body

    def test_outsiders_and_restricted(self, cast, client, incident, restricted):
        assert login(client, cast.charlie).get(f"/incidents/{incident.pk}/comms/").status_code == 404
        assert login(client, cast.sam).get(f"/incidents/{restricted.pk}/comms/").status_code == 404
        assert login(client, cast.sam).get(f"/incidents/{incident.pk}/comms/").status_code == 200

    def test_family_informed_form(self, cast, client, incident):
        login(client, cast.tom)
        response = client.post(f"/incidents/{incident.pk}/comms/family-informed/",
                               {"informed_at": "", "informed_by": ""})
        assert response.status_code == 400 and "Say who told the family." in response.content.decode()
        response = client.post(f"/incidents/{incident.pk}/comms/family-informed/",
                               {"informed_at": "2026-01-01T10:00", "informed_by": "Police FLO"})
        assert response.status_code == 302 and incident.family_informed.count() == 1
        login(client, cast.cora)
        assert client.post(f"/incidents/{incident.pk}/comms/family-informed/",
                           {"informed_at": "2026-01-01T10:00", "informed_by": "x"}).status_code == 403


class TestEditor:
    def test_draft_through_the_form(self, cast, client, incident):
        login(client, cast.cora)
        response = client.post(f"/incidents/{incident.pk}/comms/new/", DRAFT)
        message = Message.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/messages/{message.pk}/"
        assert message.author == cast.cora

    def test_errors_are_summarised(self, cast, client, incident):
        login(client, cast.cora)
        response = client.post(f"/incidents/{incident.pk}/comms/new/",
                               {"audience": "partners", "subject": "", "body": "x", "external_recipients": "nope"})
        body = response.content.decode()
        assert response.status_code == 400 and "There is a problem" in body and "Enter a subject." in body
        assert "“nope” is not a valid email address." in body
        assert not Message.objects.exists()

    def test_start_from_a_template(self, cast, client, incident):
        template = HoldingTemplate.objects.get(name="Death of a child: first holding statement")
        body = login(client, cast.cora).get(f"/incidents/{incident.pk}/comms/new/?template={template.pk}").content.decode()
        assert "deeply saddened" in body and "{date}" not in body and "children&#x27;s and families&#x27; services" in body

    def test_editor_permissions(self, cast, client, incident):
        assert login(client, cast.bob).get(f"/incidents/{incident.pk}/comms/new/").status_code == 403
        assert login(client, cast.charlie).get(f"/incidents/{incident.pk}/comms/new/").status_code == 404

    def test_live_identifier_check(self, cast, client, incident):
        ProtectedIdentifier.objects.create(incident=incident, value="Hollins", kind="name", added_by=cast.alice)
        login(client, cast.cora)
        url = f"/incidents/{incident.pk}/comms/check/"
        public = client.post(url, {"audience": "press_statement", "subject": "", "body": "the HOLLINS' home"})
        assert "cannot be approved or released" in public.content.decode() and "Hollins" in public.content.decode()
        internal = client.post(url, {"audience": "all_staff", "subject": "", "body": "Hollins"})
        assert "Internal messages may go ahead" in internal.content.decode()
        clean = client.post(url, {"audience": "press_statement", "subject": "", "body": "Nothing identifying"})
        assert clean.content.decode().strip() == ""
        disguised = client.post(url, {"audience": "press_statement", "subject": "", "body": "the H\u043ell\u200bins home"})
        assert "cannot be approved or released" in disguised.content.decode()

    def test_the_check_does_not_reveal_identifiers_to_those_who_may_not_see_them(self, cast, client, incident):
        from incidents.membership import member_change_role

        ProtectedIdentifier.objects.create(incident=incident, value="Hollins", kind="name", added_by=cast.alice)
        # A comms officer who is a plain member may draft, but not see the identifier list.
        member_change_role(actor=cast.alice, incident_id=incident.pk, username="cora", role="member", reason="r")
        body = login(client, cast.cora).post(f"/incidents/{incident.pk}/comms/check/",
                                             {"audience": "website", "body": "the Hollins"}).content.decode()
        assert "a protected name" in body and "Hollins" not in body

    def test_edit_after_submission_warns_and_voids(self, cast, client, incident):
        message = new_message(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        login(client, cast.alice)
        assert "every approval so far will no longer count" in client.get(f"/messages/{message.pk}/edit/").content.decode()
        response = client.post(f"/messages/{message.pk}/edit/", {**DRAFT, "body": "Changed."})
        assert response.status_code == 302
        message.refresh_from_db()
        assert (message.status, message.version) == ("draft", 2)


class TestMessagePage:
    def test_actions_follow_the_workflow(self, cast, client, incident):
        message = new_message(cast, incident)
        login(client, cast.alice)
        assert "Submit for approval" in client.get(f"/messages/{message.pk}/").content.decode()
        assert client.post(f"/messages/{message.pk}/submit/").status_code == 302
        body = client.get(f"/messages/{message.pk}/").content.decode()
        assert "someone else must approve it" in body  # Alice wrote it
        login(client, cast.cora)
        body = client.get(f"/messages/{message.pk}/").content.decode()
        assert "Approve version 1" in body
        assert client.post(f"/messages/{message.pk}/approve/", {"version": "1"}).status_code == 302
        assert client.post(f"/messages/{message.pk}/release/", {}).status_code == 302
        message.refresh_from_db()
        assert message.status == "released"
        assert "0 of the 7 people it went to" in client.get(f"/messages/{message.pk}/").content.decode()

    def test_gates_are_explained_in_plain_words(self, cast, client, incident):
        message = new_message(cast, incident, audience="press_statement")
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        services.message_approve(actor=cast.tom, message_id=message.pk, version=1)
        login(client, cast.cora)
        body = client.get(f"/messages/{message.pk}/").content.decode()
        assert "Staff must hear before the press" in body and "The family must be told first" in body
        response = client.post(f"/messages/{message.pk}/release/", {})
        assert response.status_code == 409 and "This cannot happen yet" in response.content.decode()
        # the tactical lead sees the override
        assert "Reason to release anyway" in login(client, cast.tom).get(f"/messages/{message.pk}/").content.decode()
        response = client.post(f"/messages/{message.pk}/release/", {"override_reason": "Already public"})
        assert response.status_code == 302
        message.refresh_from_db()
        assert message.status == "released"

    def test_internal_message_with_an_identifier_warns_but_may_proceed(self, cast, client, incident):
        ProtectedIdentifier.objects.create(incident=incident, value="Hollins", kind="name", added_by=cast.alice)
        message = new_message(cast, incident, body="The Hollins family's key worker is off.")
        body = login(client, cast.cora).get(f"/messages/{message.pk}/").content.decode()
        assert "could identify the child or family" in body and "Internal messages may go ahead" in body
        body = login(client, cast.bob).get(f"/messages/{message.pk}/").content.decode()
        assert "a protected name" in body and "“Hollins”" not in body

    def test_stale_approval_is_explained(self, cast, client, incident):
        message = new_message(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        login(client, cast.cora)
        response = client.post(f"/messages/{message.pk}/approve/", {"version": "7"})
        assert response.status_code == 409 and "now at version 1" in response.content.decode()

    def test_request_changes_and_withdraw_need_words(self, cast, client, incident):
        message = new_message(cast, incident)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        login(client, cast.cora)
        response = client.post(f"/messages/{message.pk}/request-changes/", {"comment": ""})
        assert response.status_code == 400 and "Say what needs to change" in response.content.decode()
        client.post(f"/messages/{message.pk}/request-changes/", {"comment": "Add the helpline number"})
        body = login(client, cast.alice).get(f"/messages/{message.pk}/").content.decode()
        assert "Add the helpline number" in body
        response = client.post(f"/messages/{message.pk}/withdraw/", {"reason": ""})
        assert response.status_code == 400
        assert client.post(f"/messages/{message.pk}/withdraw/", {"reason": "No longer needed"}).status_code == 302

    def test_permissions(self, cast, client, incident, restricted):
        message = new_message(cast, incident)
        hidden = services.message_draft(actor=cast.alice, incident_id=restricted.pk, **DRAFT)
        assert login(client, cast.bob).post(f"/messages/{message.pk}/submit/").status_code == 403
        assert login(client, cast.charlie).get(f"/messages/{message.pk}/").status_code == 404
        assert login(client, cast.sam).get(f"/messages/{hidden.pk}/").status_code == 404
        assert login(client, cast.sam).get(f"/messages/{message.pk}/").status_code == 200
        assert login(client, cast.alice).post(f"/messages/{message.pk}/explode/").status_code == 404

    def test_diff_and_print(self, cast, client, incident):
        message = new_message(cast, incident, audience="website", body="Open on Monday.")
        services.message_edit(actor=cast.alice, message_id=message.pk, changes={"body": "Open on Tuesday."})
        body = login(client, cast.olive).get(f"/messages/{message.pk}/diff/?from=1&to=2").content.decode()
        assert "<del>Monday.</del>" in body and "<ins>Tuesday.</ins>" in body
        printable = client.get(f"/messages/{message.pk}/print/").content.decode()
        assert "Open on Tuesday." in printable and "Not yet released" in printable
        internal = new_message(cast, incident)
        assert client.get(f"/messages/{internal.pk}/print/").status_code == 404


class TestBoardAndInbox:
    def test_board_shows_only_what_the_person_approves(self, cast, client, incident, restricted):
        shown = new_message(cast, incident, subject="Visible to Cora")
        services.message_submit(actor=cast.alice, message_id=shown.pk)
        other = services.message_draft(actor=cast.alice, incident_id=restricted.pk, **{**DRAFT, "subject": "Elsewhere"})
        services.message_submit(actor=cast.alice, message_id=other.pk)
        from incidents.membership import member_remove

        member_remove(actor=cast.alice, incident_id=restricted.pk, username="cora", reason="Not needed")
        body = login(client, cast.cora).get("/approvals/").content.decode()
        assert "Visible to Cora" in body and "Elsewhere" not in body
        assert "Nothing is waiting for you" in login(client, cast.bob).get("/approvals/").content.decode()

    def test_board_query_budget(self, cast, client, incident, django_assert_max_num_queries):
        for n in range(5):
            message = new_message(cast, incident, subject=f"Message {n}")
            services.message_submit(actor=cast.alice, message_id=message.pk)
        login(client, cast.cora)
        with django_assert_max_num_queries(25):
            client.get("/approvals/panel/")

    def test_inbox_content_note_and_acknowledge(self, cast, client, incident):
        message = release(cast, new_message(cast, incident, content_note="About a child's death"))
        login(client, cast.charlie)
        assert "Inbox <span class=\"harbour-count\">(1<span class=\"govuk-visually-hidden\"> to read</span>)" in client.get("/").content.decode()
        body = client.get(f"/inbox/{message.pk}/").content.decode()
        assert body.index("About a child") < body.index("What we know so far.")
        assert "<details" in body
        response = client.post(f"/inbox/{message.pk}/", {"wants_support": "on"})
        assert response.status_code == 302
        item = InboxItem.objects.get(message=message, recipient=cast.charlie)
        assert item.acknowledged_at and item.wants_support
        assert SupportRequest.objects.filter(person=cast.charlie).exists()
        assert "to read" not in client.get("/").content.decode()

    def test_inbox_is_private(self, cast, client, incident):
        message = release(cast, new_message(cast, incident, audience="people", recipients=["bob"]))
        assert login(client, cast.olive).get(f"/inbox/{message.pk}/").status_code == 404
        assert "Nothing has been sent to you" in client.get("/inbox/").content.decode()


class TestIdentifiersAndMedia:
    def test_identifiers_page(self, cast, client, incident):
        login(client, cast.cora)
        response = client.post(f"/incidents/{incident.pk}/comms/identifiers/", {"value": "", "kind": "name"})
        assert response.status_code == 400
        client.post(f"/incidents/{incident.pk}/comms/identifiers/", {"value": "Hollins", "kind": "name"})
        identifier = ProtectedIdentifier.objects.get()
        assert "Hollins" in client.get(f"/incidents/{incident.pk}/comms/identifiers/").content.decode()
        client.post(f"/incidents/{incident.pk}/comms/identifiers/", {"remove": str(identifier.pk)})
        assert not ProtectedIdentifier.objects.exists()
        assert login(client, cast.bob).get(f"/incidents/{incident.pk}/comms/identifiers/").status_code == 403
        # and the link to it is not offered to those who cannot use it
        assert "Protected identifiers" not in client.get(f"/incidents/{incident.pk}/comms/").content.decode()

    def test_media_log(self, cast, client, incident):
        login(client, cast.cora)
        form = {"outlet": "Evening Post", "journalist": "J. Reporter", "contact": "07700 900000",
                "received_at": "2026-01-01T09:00", "deadline": "2026-01-01T10:00", "question": "Can you confirm?",
                "status": "open"}
        assert client.post(f"/incidents/{incident.pk}/media/", {**form, "outlet": ""}).status_code == 400
        assert client.post(f"/incidents/{incident.pk}/media/", form).status_code == 302
        enquiry = MediaEnquiry.objects.get()
        body = client.get(f"/incidents/{incident.pk}/media/").content.decode()
        assert "Overdue" in body
        update = {**form, "status": "declined", "owner": "cora"}
        assert client.post(f"/media/{enquiry.pk}/", update).status_code == 302
        enquiry.refresh_from_db()
        assert enquiry.status == "declined"
        body = login(client, cast.bob).get(f"/incidents/{incident.pk}/media/").content.decode()
        assert "Evening Post" in body and "Log an enquiry" not in body
        assert client.get(f"/media/{enquiry.pk}/").status_code == 403
        assert client.post(f"/incidents/{incident.pk}/media/", form).status_code == 403
        assert login(client, cast.charlie).get(f"/incidents/{incident.pk}/media/").status_code == 404

    def test_scheduled_message_shows_its_embargo(self, cast, client, incident):
        when = timezone.now() + dt.timedelta(hours=2)
        message = new_message(cast, incident, release_at=when)
        services.message_submit(actor=cast.alice, message_id=message.pk)
        services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        login(client, cast.cora)
        assert "Release at the embargo time" in client.get(f"/messages/{message.pk}/").content.decode()
        client.post(f"/messages/{message.pk}/release/", {})
        message.refresh_from_db()
        assert message.status == "scheduled"


def test_workspace_history_stays_cheap_with_communications(cast, client, incident, django_assert_max_num_queries):
    for n in range(4):
        message = new_message(cast, incident, subject=f"Message {n}", audience="people", recipients=["bob"])
        release(cast, message)
    login(client, cast.alice)
    # the Clocks tab: obligations, the ladder's steps and records; the Timeline tab's time line, one
    with django_assert_max_num_queries(35):
        client.get(f"/incidents/{incident.pk}/")
    # a read per source, a second round when saves that changed nothing left the page short
    with django_assert_max_num_queries(30):
        client.get(f"/incidents/{incident.pk}/panels/history/")
