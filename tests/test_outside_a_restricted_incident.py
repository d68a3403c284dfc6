"""Nothing that singles a person out, nor tells of a restricted incident (issue 18, point 4):

- a debrief's calendar (`invite.ics`, downloaded or emailed) names only its reader to an invitee, as the
  debrief's JSON does; those arranging it see everyone invited;
- a briefing of a restricted incident sent to people outside it (all staff, or chosen staff) is read by
  them without its incident's reference or title: in the inbox, on its page, in its email, through the API
  and on the Now page;
- a wellbeing lead outside a restricted incident is not told why someone is on its register, nor changes
  how they were affected, on the page, through the API or in the admin: through the register's policy."""

from __future__ import annotations

import datetime as dt
import email

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from comms import releases as comms_releases
from comms import services as comms
from core.models import Email
from core.tasks import send_email
from incidents.membership import member_add
from support import debriefing as support_debriefing
from support import services as support
from support.models import AffectedPerson
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def attendees(calendar_bytes: bytes) -> list[str]:
    event = icalendar.Calendar.from_ical(calendar_bytes).walk("VEVENT")[0]
    found = event.get("ATTENDEE")
    return sorted(str(a) for a in (found if isinstance(found, list) else [found]))


# --- invite.ics ------------------------------------------------------------------------------------------


@pytest.fixture
def restricted_debrief(cast, restricted, people):
    """A hot debrief of the restricted incident: Bob (in it) and Charlie (not) invited, Ruth facilitating."""
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                               microsecond=0)
    return support_debriefing.debrief_schedule(actor=cast.alice, incident_id=restricted.pk, kind="hot", starts_at=starts,
                                    duration_minutes=60, location="Room 2", facilitator="ruth",
                                    invitees=["bob", "charlie"])


class TestTheCalendar:
    def test_an_invitee_s_download_names_only_them(self, api, cast, people, restricted, restricted_debrief):
        url = f"/api/debriefs/{restricted_debrief.pk}/invite.ics"
        for who, expected in ((cast.charlie, ["mailto:charlie@example.org"]), (cast.bob, ["mailto:bob@example.org"])):
            response = api(who).get(url)
            assert response.status_code == 200 and attendees(response.content) == expected, who
            text = response.content.decode()
            assert restricted.reference not in text and restricted.title not in text
            # as the JSON shows them: their own answer, nobody else's name
            assert "invitees" not in api(who).get(f"/api/debriefs/{restricted_debrief.pk}/").json()

    def test_those_arranging_it_see_everyone_invited(self, api, cast, people, restricted_debrief):
        everyone = ["mailto:bob@example.org", "mailto:charlie@example.org"]
        for who in (people.ruth, cast.alice, cast.tom):  # the facilitator, the lead, the tactical lead
            assert attendees(api(who).get(f"/api/debriefs/{restricted_debrief.pk}/invite.ics").content) == everyone

    def test_outsiders_find_no_calendar(self, api, cast, restricted_debrief):
        absent = api(cast.sam).get("/api/debriefs/987654321/invite.ics")
        hidden = api(cast.sam).get(f"/api/debriefs/{restricted_debrief.pk}/invite.ics")
        assert hidden.status_code == absent.status_code == 404 and hidden.content == absent.content

    def test_a_cancellation_names_only_its_reader_too(self, api, cast, restricted_debrief):
        support_debriefing.debrief_cancel(actor=cast.alice, debrief_id=restricted_debrief.pk, reason="Moved")
        response = api(cast.charlie).get(f"/api/debriefs/{restricted_debrief.pk}/invite.ics")
        assert icalendar.Calendar.from_ical(response.content)["METHOD"] == "CANCEL"
        assert attendees(response.content) == ["mailto:charlie@example.org"]

    def test_the_emailed_invitation_and_its_attachment_name_only_their_reader(self, cast, people, restricted,
                                                                                restricted_debrief, monkeypatch):
        monkeypatch.setattr("support.notify.next_office_moment", lambda moment: moment)
        for to, expected in (("charlie@example.org", ["mailto:charlie@example.org"]),
                             ("ruth@example.org", ["mailto:bob@example.org", "mailto:charlie@example.org"])):
            mail.outbox.clear()
            assert send_email.call(Email.objects.get(kind="support", to=to).pk) == "sent"
            message = email.message_from_bytes(mail.outbox[0].message().as_bytes())
            parts = [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]
            assert len(parts) == 2, to  # the calendar alternative and the invite.ics attachment
            for calendar_part in parts:
                assert attendees(calendar_part.get_payload(decode=True)) == expected, to
            assert restricted.reference not in mail.outbox[0].body and restricted.title not in mail.outbox[0].body


# --- a briefing of a restricted incident, read outside it -------------------------------------------------


@pytest.fixture
def briefing(cast, restricted):
    """A briefing to all staff about the restricted incident: Bob is in it, Charlie and Sam are not."""
    message = comms.message_draft(actor=cast.alice, incident_id=restricted.pk, audience="all_staff",
                                  subject="Support after a difficult week", body="Please look after each other.",
                                  content_note="Mentions a death")
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    return message


def told_of(restricted, markup: str) -> bool:
    return restricted.reference in markup or restricted.title in markup


class TestABriefingOutsideItsIncident:
    def test_the_inbox_and_the_briefing_s_page(self, client, cast, restricted, briefing):
        for who in (cast.charlie, cast.sam):
            client.force_login(who)
            listed = client.get("/inbox/").content.decode()
            page = client.get(f"/inbox/{briefing.pk}/").content.decode()
            assert "Support after a difficult week" in listed and "Please look after each other." in page
            assert not told_of(restricted, listed) and not told_of(restricted, page), who
        client.force_login(cast.bob)
        assert restricted.reference in client.get(f"/inbox/{briefing.pk}/").content.decode()

    def test_its_email(self, cast, restricted, briefing):
        charlie = Email.objects.get(kind="comms.delivery", about_id=briefing.pk, to="charlie@example.org")
        assert "A briefing is in your Harbour inbox" in charlie.body and "Please look after each other." in charlie.body
        assert not told_of(restricted, charlie.subject + charlie.body)
        bob = Email.objects.get(kind="comms.delivery", about_id=briefing.pk, to="bob@example.org")
        assert f"A briefing from {restricted.reference} is in your Harbour inbox" in bob.body

    def test_the_api(self, api, cast, restricted, briefing):
        (item,) = api(cast.charlie).get("/api/inbox/").json()["results"]
        assert item["incident_reference"] is None and item["body"] == "Please look after each other."
        acknowledged = api(cast.charlie).post(f"/api/messages/{briefing.pk}/acknowledge/", {}, format="json")
        assert acknowledged.status_code == 200 and acknowledged.json()["incident_reference"] is None
        assert not told_of(restricted, str(item) + acknowledged.content.decode())
        assert api(cast.bob).get("/api/inbox/").json()["results"][0]["incident_reference"] == restricted.reference
        # the message itself is the incident's: not found, as anything of it is
        absent = api(cast.charlie).get("/api/messages/987654321/")
        hidden = api(cast.charlie).get(f"/api/messages/{briefing.pk}/")
        assert hidden.status_code == absent.status_code == 404 and hidden.content == absent.content

    def test_the_now_page(self, api, client, cast, restricted, briefing):
        (item,) = [i for i in api(cast.charlie).get("/api/me/now/").json()["items"] if i["kind"] == "briefing"]
        assert item["title"] == "Support after a difficult week" and item["incident"] in (None, "", {})
        client.force_login(cast.charlie)
        now = client.get("/").content.decode()
        assert "Support after a difficult week" in now and not told_of(restricted, now)

    def test_a_briefing_of_an_unrestricted_incident_still_names_it(self, api, cast, incident):
        message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                      subject="An update", body="What we know.")
        comms.message_submit(actor=cast.alice, message_id=message.pk)
        comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        assert api(cast.charlie).get("/api/inbox/").json()["results"][0]["incident_reference"] == incident.reference
        assert incident.reference in Email.objects.get(kind="comms.delivery", about_id=message.pk, to="charlie@example.org").body

    def test_release_reads_the_memberships_once_however_many_it_goes_to(self, cast, restricted):
        """Whether each recipient may be told of the incident is asked of the policy, person by person,
        from the incident's members read once (an email is queued per person anyway, as before)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def membership_reads(n: int) -> int:
            for i in range(n):
                make_user(f"staff{n}x{i}", f"Staff Member{i}")
            message = comms.message_draft(actor=cast.alice, incident_id=restricted.pk, audience="all_staff",
                                          subject="S", body="B")
            comms.message_submit(actor=cast.alice, message_id=message.pk)
            comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
            with CaptureQueriesContext(connection) as release:
                comms_releases.message_release(actor=cast.cora, message_id=message.pk)
            return sum('FROM "incidents_membership"' in q["sql"] for q in release.captured_queries)

        assert membership_reads(2) == membership_reads(30) <= 3


# --- a wellbeing lead outside a restricted incident ---------------------------------------------------------


@pytest.fixture
def wendy(db):
    """A second wellbeing lead, who is not Bob's supporter and not in the restricted incident."""
    return make_user("wendy", "Wendy Wellbeing", "wellbeing_lead")


@pytest.fixture
def entry(cast, people, restricted, wendy):
    return support.register_add(actor=cast.alice, incident_id=restricted.pk, user="bob", exposure="informed_family",
                                reason="Told the child's mother at the hospital")


class TestAWellbeingLeadOutside:
    def test_sees_the_person_but_not_why_they_are_on_the_register(self, api, client, cast, people, wendy, restricted,
                                                                 entry):
        for lead in (wendy, people.ruth):  # not his supporter, and his supporter
            body = api(lead).get(f"/api/affected-staff/{entry.pk}/").json()
            assert body["person"]["username"] == "bob" and body["exposure"] == "informed_family"
            assert body["reason"] is None and body["added_by"] is None and body["incident"] is None
            client.force_login(lead)
            page = client.get(f"/support/register/{entry.pk}/").content.decode()
            assert "Bob Brown" in page and "An incident you are not part of" in page
            assert "hospital" not in page and not told_of(restricted, page), lead
        assert api(cast.alice).get(f"/api/affected-staff/{entry.pk}/").json()["reason"].endswith("at the hospital")
        assert "hospital" in api(cast.bob).get("/api/me/support/").content.decode()  # the person themself

    def test_cannot_change_how_they_were_affected(self, api, cast, people, wendy, entry):
        url = f"/api/affected-staff/{entry.pk}/"
        change = {"exposure": "witnessed", "reason": "Was there"}
        for lead in (wendy, people.ruth):
            response = api(lead).patch(url, change, format="json")
            assert response.status_code == 403 and "knows of the incident" in response.json()["detail"]
            assert "change_exposure" not in api(lead).get(url).json()["allowed_actions"]
        entry.refresh_from_db()
        assert entry.exposure == "informed_family" and entry.history.count() == 1

    def test_in_the_incident_they_may(self, api, cast, wendy, entry):

        member_add(actor=cast.alice, incident_id=entry.incident_id, user=wendy,
                                     role="wellbeing_lead", reason="Staff support")
        url = f"/api/affected-staff/{entry.pk}/"
        assert api(wendy).get(url).json()["reason"].endswith("at the hospital")
        response = api(wendy).patch(url, {"exposure": "witnessed", "reason": "Was there too"}, format="json")
        assert response.status_code == 200 and response.json()["exposure"] == "witnessed"

    def test_outside_an_unrestricted_incident_nothing_changes(self, api, cast, people, wendy, incident):
        entry = support.register_add(actor=cast.alice, incident_id=incident.pk, user="olive", exposure="witnessed",
                                     reason="Saw it happen")
        url = f"/api/affected-staff/{entry.pk}/"
        assert api(wendy).get(url).json()["reason"] == "Saw it happen"
        assert api(wendy).patch(url, {"exposure": "other", "reason": "Nearby"}, format="json").status_code == 200

    @pytest.mark.parametrize(("who", "on_restricted", "on_unrestricted"), [
        ("wendy", set(), {"see_why", "change_exposure"}),  # a wellbeing lead in neither
        ("ruth", set(), {"see_why", "change_exposure"}),  # ...who supports him
        ("alice", {"see_why", "change_exposure"}, {"see_why", "change_exposure"}),  # the lead
        ("bob", {"see_why"}, {"see_why"}),  # the person themself
    ])
    def test_the_register_s_rules(self, cast, people, wendy, incident, restricted, who, on_restricted,
                                  on_unrestricted):
        from support.policy import RegisterAction, register

        user = {"wendy": wendy, "ruth": people.ruth, "alice": cast.alice, "bob": cast.bob}[who]
        for subject, expected in ((restricted, on_restricted), (incident, on_unrestricted)):
            entry = support.register_add(actor=cast.alice, incident_id=subject.pk, user="bob", exposure="witnessed",
                                         reason="r", supporter="ruth")
            allowed = {str(a) for a in register.allowed_actions(user, entry)} & {"see_why", "change_exposure"}
            assert allowed == expected, (who, subject.title)
            for action in (RegisterAction.SEE_WHY, RegisterAction.CHANGE_EXPOSURE):  # lists agree with the check
                listed = register.restrict(user, action).filter(pk=entry.pk).exists()
                assert listed == (str(action) in expected), (who, action)

    def test_nor_in_the_admin(self, client, cast, people, entry):
        people.ruth.is_staff = True
        people.ruth.is_superuser = True  # the most the admin site can give: it still shows no reason
        people.ruth.save()
        client.force_login(people.ruth)
        for url in ("/admin/support/affectedperson/", f"/admin/support/affectedperson/{entry.pk}/change/"):
            response = client.get(url)
            assert response.status_code == 200 and b"hospital" not in response.content, url
        assert AffectedPerson.objects.get(pk=entry.pk).exposure == "informed_family"
