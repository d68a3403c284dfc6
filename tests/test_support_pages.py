"""Staff support pages (issue 9): the follow-ups board, a follow-up, "My support", an incident's staff
support and the organisation's exposure view. Each page shows each person only their tier; bad input is a
400 with the reason beside the field and changes nothing; outsiders get "not found"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents.membership import member_add
from support import services
from support.models import AffectedPerson, FollowUp
from tests.clock import at
from tests.test_not_found import CSRF
from tests.test_pages import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(cast, incident, people):
    services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="informed_family",
                          reason="Told the child's mother")
    item = FollowUp.objects.order_by("due_at").first()
    services.follow_up_complete(actor=people.mike, follow_up_id=item.pk, outcome="referred_eap",
                                note="Sleeping badly; EAP number given")
    return AffectedPerson.objects.get()


def text(response) -> str:
    return response.content.decode()


class TestBoard:
    @pytest.mark.across_the_week
    def test_columns_and_tiers(self, client, cast, people, entry):
        FollowUp.objects.filter(status="scheduled").order_by("due_at").filter(
            pk=FollowUp.objects.filter(status="scheduled").order_by("due_at").first().pk
        ).update(due_at=timezone.now() - dt.timedelta(hours=3))
        body = text(page(client, people.mike, "/support/board/"))
        assert 'data-column="overdue"' in body and "Bob Brown" in body and "Completed" in body
        assert "Sleeping" not in body  # notes are on the follow-up's page, never on the board
        assert 'href="/support/board/"' in body  # the header links to it

    def test_filters(self, client, cast, people, entry):
        assert "Bob Brown" in text(page(client, people.mike, "/support/board/?show=team"))
        assert "Bob Brown" in text(page(client, people.mike, "/support/board/?show=mine"))
        assert "Bob Brown" not in text(page(client, people.ruth, "/support/board/?show=mine"))
        # one incident: only one the reader can see (a wellbeing lead outside it gets "not found")
        assert page(client, people.ruth, f"/support/board/?incident={entry.incident_id}").status_code == 404
        member_add(actor=cast.alice, incident_id=entry.incident_id, user=people.ruth,
                                     role="wellbeing_lead", reason="Staff support")
        assert "Bob Brown" in text(page(client, people.ruth, f"/support/board/?incident={entry.incident_id}"))
        for bad in ("?show=everyone", "?incident=abc"):
            assert page(client, people.mike, "/support/board/" + bad).status_code == 400

    def test_others_see_an_empty_board_and_no_link(self, client, cast, entry):
        for user in (cast.alice, cast.charlie):
            body = text(page(client, user, "/support/board/"))
            assert "Bob Brown" not in body and "There are no follow-ups for you to see" in body
            assert 'href="/support/board/"' not in text(page(client, user, "/"))

    def test_the_panel_redraws_alone(self, client, people, entry):
        body = text(page(client, people.mike, "/support/board/panel/?show=mine"))
        assert body.lstrip().startswith('<div id="panel-board"') and "Bob Brown" in body


class TestFollowUpPage:
    def test_tiers(self, client, cast, people, entry):
        item = FollowUp.objects.get(status="completed")
        for user in (cast.bob, people.mike, people.ruth):
            assert "Sleeping badly" in text(page(client, user, f"/support/follow-ups/{item.pk}/"))
        open_one = FollowUp.objects.filter(status="scheduled").first()
        services.register_choose_supporter(actor=cast.bob, entry_id=entry.pk, supporter="pat")
        body = text(page(client, people.mike, f"/support/follow-ups/{open_one.pk}/"))
        assert "not how it went" in body and "Record the check-in" not in body
        for user in (cast.alice, cast.charlie):
            absent = page(client, user, "/support/follow-ups/999999/")
            hidden = page(client, user, f"/support/follow-ups/{item.pk}/")
            assert hidden.status_code == absent.status_code == 404

    def test_completing_needs_an_outcome(self, client, cast, people, entry):
        item = FollowUp.objects.filter(status="scheduled").first()
        client.force_login(people.mike)
        response = client.post(f"/support/follow-ups/{item.pk}/", {"action": "complete", "note": "x"})
        assert response.status_code == 400 and "There is a problem" in text(response)
        assert "Choose the outcome." in text(response)
        assert FollowUp.objects.get(pk=item.pk).status == "scheduled"
        response = client.post(f"/support/follow-ups/{item.pk}/", {"action": "complete", "outcome": "ok"})
        assert response.status_code == 302 and FollowUp.objects.get(pk=item.pk).status == "completed"
        again = client.post(f"/support/follow-ups/{item.pk}/", {"action": "complete", "outcome": "ok"})
        assert again.status_code == 302  # said as a message: it is already completed

    def test_the_person_declines_or_asks_to_rearrange(self, client, cast, people, entry):
        first, second = FollowUp.objects.filter(status="scheduled").order_by("due_at")[:2]
        client.force_login(cast.bob)
        body = text(client.get(f"/support/follow-ups/{first.pk}/"))
        assert "No thank you" in body and "You do not need to give a reason" in body
        assert client.post(f"/support/follow-ups/{first.pk}/", {"action": "rearrange"}).status_code == 302
        assert client.post(f"/support/follow-ups/{second.pk}/", {"action": "decline"}).status_code == 302
        assert FollowUp.objects.get(pk=second.pk).status == "declined"
        assert FollowUp.objects.get(pk=first.pk).rearrange_requested_at is not None
        # and may not record their own outcome
        assert client.post(f"/support/follow-ups/{first.pk}/", {"action": "complete", "outcome": "ok"}).status_code == 403

    @pytest.mark.across_the_week
    def test_reschedule_needs_a_reason(self, client, cast, people, entry):
        item = FollowUp.objects.filter(status="scheduled").first()
        client.force_login(people.mike)
        later = timezone.localtime(timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(f"/support/follow-ups/{item.pk}/", {"action": "reschedule", "due_at": later})
        assert response.status_code == 400 and "Enter why it is moving." in text(response)
        response = client.post(f"/support/follow-ups/{item.pk}/",
                               {"action": "reschedule", "due_at": later, "reason": "Bob is on leave"})
        assert response.status_code == 302
        body = text(client.get(f"/support/follow-ups/{item.pk}/"))
        assert "Bob is on leave" in body  # in its history


class TestMySupport:
    def test_everything_held_and_who_sees_it(self, client, cast, people, entry):
        body = text(page(client, cast.bob, "/support/me/"))
        assert "72-hour check-in" in body and "Told the family" in body and "Mike Manager" in body
        assert "Who can see" in body and "not told" in body

    def test_choosing_a_supporter(self, client, cast, people, entry):
        client.force_login(cast.bob)
        response = client.post("/support/me/", {"action": "supporter", "entry": entry.pk, "supporter": "nobody"})
        assert response.status_code == 400 and "There is a problem" in text(response)
        response = client.post("/support/me/", {"action": "supporter", "entry": entry.pk, "supporter": "Pat Peer"})
        assert response.status_code == 302
        assert AffectedPerson.objects.get().supporter == people.pat

    def test_declining_the_rest(self, client, cast, people, entry):
        client.force_login(people.mike)
        assert client.post("/support/me/", {"action": "decline_all", "entry": entry.pk}).status_code == 403
        client.force_login(cast.bob)
        assert client.post("/support/me/", {"action": "decline_all", "entry": entry.pk}).status_code == 302
        assert not FollowUp.objects.filter(status="scheduled").exists()
        assert "You said no to any more" in text(client.get("/support/me/"))

    def test_unknown_action_is_a_400(self, client, cast, entry):
        client.force_login(cast.bob)
        assert client.post("/support/me/", {"action": "explode"}).status_code == 400


class TestIncidentSupport:
    def test_counts_for_members_register_for_command(self, client, cast, people, entry, incident):
        url = f"/incidents/{incident.pk}/support/"
        for user in (cast.bob, cast.olive):
            body = text(page(client, user, url))
            assert 'id="support-counts"' in body and "Exposure register" not in body and "Told the family" not in body
        body = text(page(client, cast.alice, url))
        assert "Exposure register" in body and "Bob Brown" in body and "Told the family" in body
        assert "Sleeping" not in body and "referred" not in body.lower()
        absent = page(client, cast.charlie, "/incidents/999999/support/")
        hidden = page(client, cast.charlie, url)
        assert hidden.status_code == absent.status_code == 404
        assert CSRF.sub(b"", hidden.content) == CSRF.sub(b"", absent.content)

    def test_adding_from_the_page(self, client, cast, people, incident):
        client.force_login(cast.tom)
        url = f"/incidents/{incident.pk}/support/"
        response = client.post(url, {"user": "olive", "reason": "Saw it"})
        assert response.status_code == 400 and "Choose how they were affected." in text(response)
        assert not AffectedPerson.objects.exists()
        response = client.post(url, {"user": "Olive Observer", "exposure": "witnessed", "reason": "Saw it",
                                     "supporter": "ruth"})
        assert response.status_code == 302 and AffectedPerson.objects.get().supporter == people.ruth
        client.force_login(cast.bob)
        assert client.post(url, {"user": "cora", "exposure": "witnessed", "reason": "r"}).status_code == 403

    def test_a_register_entry_page(self, client, cast, people, entry):
        body = text(page(client, cast.alice, f"/support/register/{entry.pk}/"))
        assert "Bob Brown" in body and "You cannot see their check-ins" in body
        client.force_login(people.mike)
        when = timezone.localtime(timezone.now() + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(f"/support/register/{entry.pk}/", {"label": "", "due_at": when})
        assert response.status_code == 400
        response = client.post(f"/support/register/{entry.pk}/", {"label": "Before the inquest", "due_at": when})
        assert response.status_code == 302 and FollowUp.objects.filter(kind="trigger").exists()
        assert page(client, cast.charlie, f"/support/register/{entry.pk}/").status_code == 404


class TestExposure:
    def test_wellbeing_leads_only(self, client, cast, people, entry):
        from tests.factories import open_incident

        other = open_incident(cast, title="Assault on a worker", kind="staff_assault")
        services.register_add(actor=cast.alice, incident_id=other.pk, user="bob", exposure="witnessed", reason="r")
        body = text(page(client, people.ruth, "/support/exposure/"))
        assert "Bob Brown" in body
        for user in (cast.alice, people.mike):
            assert page(client, user, "/support/exposure/").status_code == 403


class TestDebriefPages:
    def form(self, **extra):
        when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0)
        return {"action": "debrief", "kind": "hot", "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "60", "location": "Room 2", "facilitator": "Ruth Wellbeing",
                "invitees": "bob\nOlive Observer", **extra}

    def test_arranging_from_the_incident_page(self, client, cast, people, incident):
        from support.models import Debrief

        url = f"/incidents/{incident.pk}/support/"
        body = text(page(client, cast.alice, url))
        assert "Arrange a debrief" in body and "Suggested from when the organisation became aware" in body
        response = client.post(url, self.form(location=""))
        assert response.status_code == 400 and "There is a problem" in text(response) and not Debrief.objects.exists()
        response = client.post(url, self.form())
        debrief = Debrief.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/support/debriefs/{debrief.pk}/"
        assert sorted(debrief.invitees.values_list("person__username", flat=True)) == ["bob", "olive"]
        assert "0 coming" in text(client.get(f"/incidents/{incident.pk}/support/panel/debriefs/"))
        assert client.get(f"/incidents/{incident.pk}/support/panel/nothing/").status_code == 404
        for user in (cast.bob, cast.olive):
            assert "Arrange a debrief" not in text(page(client, user, url))

    def test_answering_cancelling_and_attendance(self, client, cast, people, incident):
        from support.models import Debrief

        client.force_login(cast.alice)
        client.post(f"/incidents/{incident.pk}/support/", self.form())
        debrief = Debrief.objects.get()
        url = f"/support/debriefs/{debrief.pk}/"
        client.force_login(cast.bob)
        body = text(client.get(url))
        assert "Will you come?" in body and "Olive Observer" not in body  # invitees see counts, not names
        assert client.post(url, {"action": "accepted"}).status_code == 302
        # an invitee sees how many answered each way, a small number withheld: never that Bob is the one
        assert "fewer than 5 coming, 0 maybe, 0 not coming, fewer than 5 not answered" in text(client.get(url))
        assert client.post(url, {"action": "cancel", "reason": "x"}).status_code == 403
        client.force_login(people.ruth)
        body = text(client.get(url))  # the facilitator sees every answer, and so the counts exactly
        assert "Olive Observer" in body and "1 coming, 0 maybe, 0 not coming, 1 not answered" in body
        with at(debrief.starts_at + dt.timedelta(minutes=5)):
            assert client.post(url, {"action": "attendance", "attended": ["bob"]}).status_code == 302
        client.force_login(cast.alice)
        assert client.post(url, {"action": "cancel", "reason": "Moved"}).status_code == 302
        assert "This debrief was cancelled: Moved" in text(client.get(url))
        assert page(client, cast.charlie, url).status_code == 404
