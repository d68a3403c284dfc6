"""Debrief meeting invitations: what Outlook and Exchange need to see, checked by parsing the output.

Nothing here touches the database. Everything produced is read back with icalendar (or the
standard library's email parser), so the tests check what a calendar client would receive
rather than how the module happens to build it.
"""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.mail import EmailMultiAlternatives
from icalendar import Calendar

from support.calendar import Invitation, Person, _vtimezone, calendar_bytes, invitation_email

pytestmark = [pytest.mark.across_the_week, pytest.mark.anywhere]

LONDON = ZoneInfo("Europe/London")
AWKWARD = "Siân's team; room 2, floor 3\nBring: notes, \"quotes\" and a back\\slash"


def debrief(**changes) -> Invitation:
    invitation = Invitation(
        uid="debrief-12@harbour.example",
        sequence=0,
        method="REQUEST",
        summary="Staff debrief: Oak Lodge",
        description="A confidential space to talk about what happened.\nTea provided.",
        location="Civic Centre, room 2; floor 3",
        starts_at=datetime(2026, 3, 30, 9, 30, tzinfo=LONDON),
        duration_minutes=90,
        organiser=Person("Ruth Wellbeing", "ruth@council.example"),
        attendees=(Person("Siân Jones", "sian@council.example"), Person("Bob Carer", "bob@council.example")),
        url="https://harbour.example/support/12/",
    )
    return replace(invitation, **changes)


def parse(invitation: Invitation) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(calendar_bytes(invitation))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def content_lines(invitation: Invitation) -> list[str]:
    """The raw, unfolded content lines, for checking exactly what is on the wire."""
    raw = calendar_bytes(invitation).decode("utf-8")
    return raw.replace("\r\n ", "").split("\r\n")


def test_request_has_the_calendar_headers_outlook_needs():
    raw = calendar_bytes(debrief())
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines must be folded at 75 octets"
    calendar, event = parse(debrief())
    assert str(calendar["PRODID"]) == "-//Harbour//Staff support//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "debrief-12@harbour.example"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["URL"]) == "https://harbour.example/support/12/"


def test_dtstamp_is_now_in_utc():
    before = datetime.now(tz=UTC).replace(microsecond=0)
    _, event = parse(debrief())
    after = datetime.now(tz=UTC)
    stamp = event.decoded("DTSTAMP")
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= after
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in content_lines(debrief()))


def test_organiser_and_one_attendee_per_invitee_with_names():
    _, event = parse(debrief())
    organiser = event["ORGANIZER"]
    assert str(organiser) == "mailto:ruth@council.example"
    assert organiser.params["CN"] == "Ruth Wellbeing"
    attendees = event["ATTENDEE"]
    assert isinstance(attendees, list) and len(attendees) == 2
    assert [str(a) for a in attendees] == ["mailto:sian@council.example", "mailto:bob@council.example"]
    assert [a.params["CN"] for a in attendees] == ["Siân Jones", "Bob Carer"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"


def test_a_single_attendee_is_still_one_attendee():
    _, event = parse(debrief(attendees=(Person("Bob Carer", "bob@council.example"),)))
    assert str(event["ATTENDEE"]) == "mailto:bob@council.example"


@pytest.mark.parametrize(
    ("starts_at", "wall", "utc"),
    [
        # summer (BST, UTC+1): the example from the brief
        (datetime(2026, 3, 30, 9, 30, tzinfo=LONDON), "20260330T093000", datetime(2026, 3, 30, 8, 30, tzinfo=UTC)),
        # winter (GMT, UTC+0)
        (datetime(2026, 1, 15, 14, 0, tzinfo=LONDON), "20260115T140000", datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),
        # given in UTC, written as London wall time
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "20260701T130000", datetime(2026, 7, 1, 12, 0, tzinfo=UTC)),
        # given in another zone altogether
        (datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/New_York")), "20261201T140000",
         datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ],
)
def test_times_are_london_wall_times(starts_at, wall, utc):
    invitation = debrief(starts_at=starts_at, duration_minutes=60)
    lines = content_lines(invitation)
    assert f"DTSTART;TZID=Europe/London:{wall}" in lines
    _, event = parse(invitation)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.astimezone(UTC) == utc
    assert end.astimezone(UTC) == utc + timedelta(minutes=60)
    assert any(line.startswith("DTEND;TZID=Europe/London:") for line in lines)


def test_meeting_across_the_clock_change_lasts_its_real_duration():
    # 00:30 GMT on the morning the clocks go forward, two hours long, ends 03:30 BST.
    invitation = debrief(starts_at=datetime(2026, 3, 29, 0, 30, tzinfo=LONDON), duration_minutes=120)
    assert "DTEND;TZID=Europe/London:20260329T033000" in content_lines(invitation)
    _, event = parse(invitation)
    # Compared in UTC: subtracting two datetimes in the same zone gives the wall-clock difference.
    assert event.decoded("DTEND").astimezone(UTC) - event.decoded("DTSTART").astimezone(UTC) == timedelta(hours=2)


def test_vtimezone_is_outlook_shaped_and_agrees_with_zoneinfo():
    calendar, _ = parse(debrief())
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/London"
    # Yearly rules, which Outlook reads; no RDATEs, which it is known to mishandle.
    text = timezone.to_ical().decode()
    assert "RDATE" not in text
    rules = {sub.name: sub["RRULE"] for sub in timezone.subcomponents}
    assert rules["DAYLIGHT"]["BYMONTH"] == [3] and rules["DAYLIGHT"]["BYDAY"] == ["-1SU"]
    assert rules["STANDARD"]["BYMONTH"] == [10] and rules["STANDARD"]["BYDAY"] == ["-1SU"]
    # Reading the VTIMEZONE itself, not the IANA name, gives zoneinfo's offsets all year round.
    described = timezone.to_tz()
    moment = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    while moment.year == 2026:
        assert moment.astimezone(described).utcoffset() == moment.astimezone(LONDON).utcoffset(), moment
        moment += timedelta(hours=6)


def test_vtimezone_covers_a_meeting_that_crosses_new_year():
    invitation = debrief(starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=LONDON), duration_minutes=60)
    calendar, event = parse(invitation)
    (timezone,) = calendar.walk("VTIMEZONE")
    onsets = [sub.decoded("DTSTART") for sub in timezone.subcomponents]
    assert min(onsets).year < 2026, "the first onset must come before the meeting"
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2027, 1, 1, 0, 30, tzinfo=UTC)


def test_vtimezone_falls_back_to_exact_transitions_when_the_rules_change():
    # Moscow stopped changing its clocks in 2011, so no single yearly rule describes 2010-2012.
    timezone = _vtimezone("Europe/Moscow", 2010, 2012)
    assert "RRULE" not in timezone.to_ical().decode()
    described = timezone.to_tz()
    moscow = ZoneInfo("Europe/Moscow")
    for moment in (datetime(2010, 7, 1, tzinfo=UTC), datetime(2011, 1, 15, tzinfo=UTC),
                   datetime(2011, 7, 1, tzinfo=UTC), datetime(2012, 1, 15, tzinfo=UTC)):
        assert moment.astimezone(described).utcoffset() == moment.astimezone(moscow).utcoffset(), moment


def test_vtimezone_for_a_zone_without_clock_changes():
    timezone = _vtimezone("Asia/Tokyo", 2025, 2026)
    assert [sub.name for sub in timezone.subcomponents] == ["STANDARD"]
    assert datetime(2026, 7, 1, tzinfo=UTC).astimezone(timezone.to_tz()).utcoffset() == timedelta(hours=9)


def test_change_is_resent_with_the_same_uid_and_a_higher_sequence():
    first = debrief()
    moved = replace(first, sequence=1, starts_at=datetime(2026, 4, 2, 14, 0, tzinfo=LONDON),
                    location="Online: Teams")
    _, before = parse(first)
    _, after = parse(moved)
    assert str(after["UID"]) == str(before["UID"])
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert "DTSTART;TZID=Europe/London:20260402T140000" in content_lines(moved)
    assert str(after["LOCATION"]) == "Online: Teams"
    assert str(after["STATUS"]) == "CONFIRMED"


def test_cancel():
    cancelled = debrief(method="CANCEL", sequence=2)
    calendar, event = parse(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "debrief-12@harbour.example"
    assert event.decoded("SEQUENCE") == 2
    assert len(event["ATTENDEE"]) == 2


def test_awkward_text_is_escaped_and_round_trips():
    invitation = debrief(
        summary=AWKWARD,
        description=AWKWARD * 5,  # long enough to need folding, with multi-byte characters
        location=AWKWARD,
        organiser=Person('Siân "Dee" O\'Neil, Jr; Wellbeing', "sian@council.example"),
    )
    lines = content_lines(invitation)
    assert "LOCATION:Siân's team\\; room 2\\, floor 3\\nBring: notes\\, \"quotes\" and a back\\\\slash" in lines
    raw = calendar_bytes(invitation)
    raw.decode("utf-8")  # folding must not split a multi-byte character
    _, event = parse(invitation)
    assert str(event["SUMMARY"]) == AWKWARD
    assert str(event["DESCRIPTION"]) == AWKWARD * 5
    assert str(event["LOCATION"]) == AWKWARD
    assert event["ORGANIZER"].params["CN"] == 'Siân "Dee" O\'Neil, Jr; Wellbeing'


def test_url_is_left_out_when_not_given():
    _, event = parse(debrief(url=""))
    assert "URL" not in event


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        debrief(starts_at=datetime(2026, 3, 30, 9, 30))


@pytest.mark.parametrize("method", ["PUBLISH", "request", "REPLY", ""])
def test_other_methods_are_refused(method):
    with pytest.raises(ValueError, match="method"):
        debrief(method=method)


@pytest.mark.parametrize(
    "changes",
    [{"duration_minutes": 0}, {"duration_minutes": -30}, {"sequence": -1}, {"uid": " "}],
)
def test_other_nonsense_is_refused(changes):
    with pytest.raises(ValueError):
        debrief(**changes)


@pytest.mark.parametrize("address", ["", "ruth", "ruth@council.example\nBCC:x@y.example", "ruth smith@council.example"])
def test_unusable_addresses_are_refused(address):
    with pytest.raises(ValueError):
        Person("Ruth", address)


def _parsed_email(message: EmailMultiAlternatives) -> email.message.Message:
    return email.message_from_bytes(message.message().as_bytes())


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_email_carries_the_calendar_as_alternative_and_attachment(method, settings):
    settings.DEFAULT_FROM_EMAIL = "Harbour <harbour@council.example>"
    invitation = debrief(method=method, summary=AWKWARD)
    message = invitation_email(invitation, to=["sian@council.example", "bob@council.example"],
                               subject="Staff debrief", body="You are invited to a debrief on Monday.")
    assert isinstance(message, EmailMultiAlternatives)
    assert message.from_email == "Harbour <harbour@council.example>"

    parsed = _parsed_email(message)
    assert parsed["To"] == "sian@council.example, bob@council.example"
    assert parsed["Subject"] == "Staff debrief"
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()

    assert alternative.get_content_type() == "multipart/alternative"
    plain, calendar_part = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_payload(decode=True).decode() == "You are invited to a debrief on Monday."
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_all("Content-Type")[0].lower().count("charset") == 1
    assert calendar_part.get_filename() is None, "the alternative is the meeting itself, not a file"

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"

    ics = calendar_bytes(invitation)
    from_attachment = attachment.get_payload(decode=True)
    assert from_attachment.startswith(b"BEGIN:VCALENDAR\r\n")
    for payload in (calendar_part.get_payload(decode=True), from_attachment):
        calendar = Calendar.from_ical(payload)
        assert str(calendar["METHOD"]) == method
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == invitation.uid
        assert str(event["SUMMARY"]) == AWKWARD
    # Same calendar in both places (DTSTAMP aside, which is stamped per call).
    strip = [line for line in ics.split(b"\r\n") if not line.startswith(b"DTSTAMP")]
    assert [line for line in from_attachment.split(b"\r\n") if not line.startswith(b"DTSTAMP")] == strip


def test_email_from_address_can_be_given():
    message = invitation_email(debrief(), to=["sian@council.example"], subject="S", body="B",
                               from_email="ruth@council.example")
    assert _parsed_email(message)["From"] == "ruth@council.example"

