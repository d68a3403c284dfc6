"""Debriefs (issue 9, point 6): arranged by the incident's leads or a wellbeing lead, never in the past,
never with a facilitator booked twice, with a confirmation for a facilitator directly involved; invitations
are calendar emails Outlook accepts, a change re-sent with the same UID and a higher SEQUENCE, a
cancellation as METHOD:CANCEL; invitees answer, the facilitator records attendance, and a cold debrief's
learning goes to the incident."""

from __future__ import annotations

import datetime as dt
import email
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from core.models import Email
from core.tasks import send_email
from incidents.models import TimelineEvent
from support import debriefing, services
from support.models import Debrief, DebriefInvitee
from tests.clock import at

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def soon(days=2, hour=10) -> dt.datetime:
    day = timezone.localtime(timezone.now() + dt.timedelta(days=days))
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def body(**extra):
    return {"kind": "hot", "starts_at": soon().isoformat(), "duration_minutes": 60, "location": "Room 2, Civic Centre",
            "facilitator": "ruth", "invitees": ["bob", "olive"], **extra}


def support_emails():
    """Staff support's emails, in the one outbox."""
    return Email.objects.filter(kind="support")


def calendars(to: str) -> list[icalendar.Calendar]:
    return [icalendar.Calendar.from_ical(e.calendar) for e in support_emails().filter(to=to).order_by("id")]


@pytest.fixture
def arranged(api, cast, incident, people):
    response = api(cast.alice).post(f"/api/incidents/{incident.pk}/debriefs/", body(), format="json")
    assert response.status_code == 201, response.json()
    return Debrief.objects.get(pk=response.json()["id"])


class TestArranging:
    @pytest.mark.across_the_week
    def test_invitations_outlook_accepts(self, api, cast, people, arranged):
        assert set(support_emails().values_list("to", flat=True)) == {"bob@example.org", "olive@example.org",
                                                                         "ruth@example.org"}
        (cal,) = calendars("bob@example.org")
        assert cal["METHOD"] == "REQUEST"
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == f"debrief-{arranged.pk}@127.0.0.1" and int(event["SEQUENCE"]) == 0
        assert str(event["ORGANIZER"]) == "mailto:ruth@example.org"
        # an invitee's copy names only them: who else was invited is for those arranging it
        assert str(event["ATTENDEE"]) == "mailto:bob@example.org"
        (facilitators,) = calendars("ruth@example.org")
        attendees = sorted(str(a) for a in facilitators.walk("VEVENT")[0].get("ATTENDEE"))
        assert attendees == ["mailto:bob@example.org", "mailto:olive@example.org"]
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert event.decoded("DTSTART").astimezone(LONDON) == arranged.starts_at.astimezone(LONDON)
        assert event.decoded("DTSTART").astimezone(LONDON).hour == 10
        assert "retell" not in str(event["DESCRIPTION"]) and "go over what happened" in str(event["DESCRIPTION"])
        event = TimelineEvent.objects.get(type="support.debrief_scheduled")
        assert "Bob" not in event.summary and "Olive" not in event.summary

    @pytest.mark.across_the_week
    def test_the_email_carries_the_calendar(self, cast, people, arranged, monkeypatch):
        from django.core import mail

        monkeypatch.setattr("support.notify.next_office_moment", lambda moment: moment)
        outbox = support_emails().get(to="bob@example.org")
        assert send_email.call(outbox.pk) == "sent"
        message = email.message_from_bytes(mail.outbox[0].message().as_bytes())
        types = [part.get_content_type() for part in message.walk()]
        assert "text/calendar" in types and "application/ics" in types
        calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        assert calendar_part.get_param("method") == "REQUEST"

    def test_bad_input_is_a_400_and_nothing_is_sent(self, api, cast, incident, people):
        url = f"/api/incidents/{incident.pk}/debriefs/"
        past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
        for extra, field in (({"starts_at": past}, "starts_at"), ({"kind": "warm"}, "kind"),
                             ({"duration_minutes": 5}, "duration_minutes"), ({"location": ""}, "location"),
                             ({"invitees": []}, "invitees"), ({"invitees": ["nobody"]}, "invitees"),
                             ({"facilitator": "nobody"}, "facilitator")):
            response = api(cast.alice).post(url, body(**extra), format="json")
            assert response.status_code == 400 and field in response.json(), (extra, response.json())
        assert not Debrief.objects.exists() and not Email.objects.exists()

    def test_who_may_arrange(self, api, cast, incident, people):
        url = f"/api/incidents/{incident.pk}/debriefs/"
        for user in (cast.bob, cast.cora, cast.olive):  # members: seen, not theirs to arrange
            assert api(user).post(url, body(), format="json").status_code == 403, user
        for user in (cast.charlie, people.mike, people.ruth):  # not in the incident: it does not exist for them
            assert api(user).post(url, body(), format="json").status_code == 404, user
        assert api(cast.tom).post(url, body(), format="json").status_code == 201
        assert Debrief.objects.count() == 1

    def test_a_facilitator_booked_then_is_a_409(self, api, cast, incident, people, arranged):
        clash = body(starts_at=(arranged.starts_at + dt.timedelta(minutes=30)).isoformat())
        response = api(cast.alice).post(f"/api/incidents/{incident.pk}/debriefs/", clash, format="json")
        assert response.status_code == 409 and "already facilitating" in response.json()["detail"]
        after = body(starts_at=(arranged.starts_at + dt.timedelta(minutes=60)).isoformat())
        assert api(cast.alice).post(f"/api/incidents/{incident.pk}/debriefs/", after, format="json").status_code == 201

    def test_a_facilitator_directly_involved_needs_confirming(self, api, cast, incident, people):
        services.register_add(actor=cast.alice, incident_id=incident.pk, user="tom", exposure="directly_involved",
                              reason="Was there")
        url = f"/api/incidents/{incident.pk}/debriefs/"
        response = api(cast.alice).post(url, body(facilitator="tom"), format="json")
        assert response.status_code == 400 and "directly involved" in response.json()["confirm_facilitator_involved"][0]
        confirmed = body(facilitator="tom", confirm_facilitator_involved=True)
        assert api(cast.alice).post(url, confirmed, format="json").status_code == 201

    @pytest.mark.across_the_week
    def test_suggested_times_follow_awareness(self, cast, incident):
        hot = debriefing.suggested_start(incident, "hot")
        cold = debriefing.suggested_start(incident, "cold")
        assert hot >= timezone.now() + dt.timedelta(hours=1) and hot.minute in (0, 30)
        assert cold >= incident.aware_at + dt.timedelta(days=10)


class TestChanging:
    def test_a_change_resends_with_the_same_uid_and_a_higher_sequence(self, api, cast, people, arranged):
        later = (arranged.starts_at + dt.timedelta(days=1)).isoformat()
        response = api(people.ruth).patch(f"/api/debriefs/{arranged.pk}/", {"starts_at": later,
                                                                            "invitees": ["bob", "cora"]}, format="json")
        assert response.status_code == 200 and response.json()["sequence"] == 1
        first, second = calendars("bob@example.org")
        uid = lambda cal: str(cal.walk("VEVENT")[0]["UID"])  # noqa: E731
        assert uid(first) == uid(second) and int(second.walk("VEVENT")[0]["SEQUENCE"]) == 1
        (olive_first, olive_cancel) = calendars("olive@example.org")
        assert olive_cancel["METHOD"] == "CANCEL" and uid(olive_cancel) == uid(first)
        assert calendars("cora@example.org")[0]["METHOD"] == "REQUEST"

    def test_cancelling_tells_every_calendar(self, api, cast, people, arranged):
        assert api(cast.alice).post(f"/api/debriefs/{arranged.pk}/cancel/", {}, format="json").status_code == 400
        response = api(cast.alice).post(f"/api/debriefs/{arranged.pk}/cancel/", {"reason": "Moved to next week"},
                                        format="json")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        for to in ("bob@example.org", "olive@example.org", "ruth@example.org"):
            cal = calendars(to)[-1]
            assert cal["METHOD"] == "CANCEL" and str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
        assert api(cast.alice).post(f"/api/debriefs/{arranged.pk}/cancel/", {"reason": "x"},
                                    format="json").status_code == 409


class TestAnswers:
    def test_invitees_answer_and_counts_move(self, api, cast, people, arranged):
        url = f"/api/debriefs/{arranged.pk}/rsvp/"
        assert api(cast.bob).post(url, {"response": "maybe"}, format="json").status_code == 400
        response = api(cast.bob).post(url, {"response": "accepted"}, format="json")
        assert response.status_code == 200
        assert response.json()["my_response"] == "accepted"
        # an invitee sees counts, not who else is invited, and not a count small enough to tell who answered
        assert response.json()["responses"] == {
            "accepted": {"count": None, "suppressed": True, "words": "fewer than 5"},
            "declined": {"count": 0, "suppressed": False, "words": "0"},
            "tentative": {"count": 0, "suppressed": False, "words": "0"},
            "pending": {"count": None, "suppressed": True, "words": "fewer than 5"}}
        assert "invitees" not in response.json()
        assert api(cast.alice).post(url, {"response": "accepted"}, format="json").status_code == 403
        assert api(cast.charlie).post(url, {"response": "accepted"}, format="json").status_code == 404
        seen = api(cast.alice).get(f"/api/debriefs/{arranged.pk}/").json()
        assert {i["username"]: i["response"] for i in seen["invitees"]} == {"bob": "accepted", "olive": "pending"}
        # those arranging it see every answer, so the counts beside them are exact
        assert seen["responses"]["accepted"] == {"count": 1, "suppressed": False, "words": "1"}

    @pytest.mark.across_the_week
    def test_attendance_once_it_has_started(self, api, cast, people, arranged):
        url = f"/api/debriefs/{arranged.pk}/attendance/"
        assert api(people.ruth).post(url, {"attended": ["bob"]}, format="json").status_code == 409
        later = arranged.starts_at + dt.timedelta(minutes=10)
        with at(later):
            assert api(cast.bob).post(url, {"attended": ["bob"]}, format="json").status_code == 403
            assert api(people.ruth).post(url, {"attended": ["cora"]}, format="json").status_code == 400
            assert api(people.ruth).post(url, {"attended": ["bob"]}, format="json").status_code == 200
        assert dict(DebriefInvitee.objects.values_list("person__username", "attended")) == {"bob": True, "olive": False}

    def test_a_cold_debriefs_learning_goes_to_the_incident(self, api, cast, incident, people):
        response = api(cast.alice).post(f"/api/incidents/{incident.pk}/debriefs/",
                                        body(kind="cold", starts_at=soon(days=12).isoformat()), format="json")
        url = f"/api/debriefs/{response.json()['id']}/"
        response = api(people.ruth).patch(url, {"learning_notes": "Share out-of-hours contacts sooner"}, format="json")
        assert response.status_code == 200
        event = TimelineEvent.objects.get(type="support.debrief_learning")
        assert "out-of-hours contacts" in event.summary

    def test_the_calendar_file(self, api, cast, people, arranged):
        response = api(cast.bob).get(f"/api/debriefs/{arranged.pk}/invite.ics")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
        assert icalendar.Calendar.from_ical(response.content)["METHOD"] == "REQUEST"
        assert api(cast.charlie).get(f"/api/debriefs/{arranged.pk}/invite.ics").status_code == 404


@pytest.mark.across_the_week
def test_an_invitation_waits_for_office_hours_unless_the_debrief_is_sooner(api, cast, incident, people, monkeypatch):
    url = f"/api/incidents/{incident.pk}/debriefs/"
    opening = timezone.now() + dt.timedelta(days=3)  # say it is Friday night before a bank holiday Monday
    for module in ("support.debriefing", "support.notify"):  # whether it is urgent, and when it may go
        monkeypatch.setattr(f"{module}.next_office_moment", lambda moment: opening)
    api(cast.alice).post(url, body(), format="json")  # in two days: before the office opens again
    assert set(support_emails().values_list("urgent", flat=True)) == {True}
    support_emails().delete()
    api(cast.alice).post(url, body(starts_at=soon(days=5).isoformat(), facilitator="tom"), format="json")
    assert set(support_emails().values_list("urgent", flat=True)) == {False}
    waiting = support_emails().first()
    assert send_email.call(waiting.pk) == "waits"
