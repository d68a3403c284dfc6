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

from comms import services as comms
from comms.models import OutboundEmail
from support import services as support
from support.models import AffectedPerson, SupportEmail
from support.tasks import send_support_email
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
    return support.debrief_schedule(actor=cast.alice, incident_id=restricted.pk, kind="hot", starts_at=starts,
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
        support.debrief_cancel(actor=cast.alice, debrief_id=restricted_debrief.pk, reason="Moved")
        response = api(cast.charlie).get(f"/api/debriefs/{restricted_debrief.pk}/invite.ics")
        assert icalendar.Calendar.from_ical(response.content)["METHOD"] == "CANCEL"
        assert attendees(response.content) == ["mailto:charlie@example.org"]

    def test_the_emailed_invitation_and_its_attachment_name_only_their_reader(self, cast, people, restricted,
                                                                                restricted_debrief, monkeypatch):
        monkeypatch.setattr("support.tasks.next_office_moment", lambda moment: moment)
        for to, expected in (("charlie@example.org", ["mailto:charlie@example.org"]),
                             ("ruth@example.org", ["mailto:bob@example.org", "mailto:charlie@example.org"])):
            mail.outbox.clear()
            assert send_support_email.call(SupportEmail.objects.get(to=to).pk) == "sent"
            message = email.message_from_bytes(mail.outbox[0].message().as_bytes())
            parts = [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]
            assert len(parts) == 2, to  # the calendar alternative and the invite.ics attachment
            for calendar_part in parts:
                assert attendees(calendar_part.get_payload(decode=True)) == expected, to
            assert restricted.reference not in mail.outbox[0].body and restricted.title not in mail.outbox[0].body


