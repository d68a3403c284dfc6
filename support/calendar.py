"""Meeting invitations for staff debriefs, in a form Outlook and Exchange will accept.

Councils overwhelmingly run Microsoft 365 or on-premises Exchange, so a debrief invitation is
only useful if Outlook shows it as a meeting with Accept and Decline buttons and puts it in
the diary at the right wall-clock time. That rules out a few shortcuts which other calendar
programs tolerate:

* The calendar carries METHOD (REQUEST or CANCEL) and every event a stable UID and a rising
  SEQUENCE. Outlook matches updates and cancellations to the meeting already in someone's
  diary by UID, and ignores anything whose SEQUENCE is not higher than the one it holds.
* Times are written as Europe/London wall times with a VTIMEZONE describing that zone. Outlook
  does not look TZIDs up in the IANA database: it builds its own time zone from the VTIMEZONE,
  and if that is missing or not to its taste the meeting lands an hour out for half the year.
* The VTIMEZONE uses yearly RRULEs ("last Sunday in March", "last Sunday in October"), the
  shape Outlook and Exchange themselves produce. icalendar's own generator
  (``Timezone.from_tzid``) writes one transition per year as RDATEs; that is valid RFC 5545,
  but Outlook is known to mishandle RDATE-only zones and shift BST meetings by an hour. The
  rule is derived from zoneinfo and checked against it for every year the meeting touches,
  so a future change to UK clock rules cannot produce a silently wrong invitation: if the
  rule no longer fits, we fall back to icalendar's RDATE form, which is at least correct.
* The email carries the calendar twice: as a ``text/calendar`` alternative with a ``method``
  parameter, which is what makes Outlook treat the message as a meeting request, and as an
  ``invite.ics`` attachment, which Exchange and some mobile clients rely on instead.

Escaping and line folding of text (names such as "Siân", locations with commas and
semicolons) are left to icalendar, which implements RFC 5545 and RFC 6868 properly.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.mail import EmailMultiAlternatives
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur

from core.outbox import CALENDAR_METHODS, email_with_calendar

PRODID = "-//Harbour//Staff support//EN"
TZID = "Europe/London"
LONDON = ZoneInfo(TZID)
METHODS = CALENDAR_METHODS
STATUS_FOR_METHOD = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}

# Deliberately loose: the address has already been accepted elsewhere in Harbour, so this only
# refuses what could break the calendar or the email (whitespace, control characters, no "@").
_PLAUSIBLE_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Person:
    """Someone named in an invitation: the organiser or an attendee."""

    name: str
    email: str

    def __post_init__(self) -> None:
        # An address with a space or line break in it would end up inside a mailto: URI that
        # icalendar does not escape, so refuse it here rather than send a broken invitation.
        if not _PLAUSIBLE_EMAIL.fullmatch(self.email):
            raise ValueError(f"Not a usable email address for an invitation: {self.email!r}")


@dataclass(frozen=True)
class Invitation:
    """Everything needed to send, update or cancel one debrief meeting.

    The caller owns ``uid`` and ``sequence`` because only the caller knows the debrief's
    history: the UID must stay the same for the life of the debrief and the sequence must go
    up by at least one every time anything is re-sent, or Outlook will ignore the change.
    Validation happens on construction so that a bad invitation fails where it is built, not
    later inside an email task.
    """

    uid: str
    sequence: int
    method: str
    summary: str
    description: str
    location: str
    starts_at: datetime
    duration_minutes: int
    organiser: Person
    attendees: tuple[Person, ...]
    url: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"Invitation method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.starts_at.tzinfo is None or self.starts_at.utcoffset() is None:
            # A naive time could be read as UTC or as London time; a one-hour error in a
            # debrief for distressed staff is not acceptable, so the caller must say which.
            raise ValueError("Invitation starts_at must be timezone-aware")
        if not self.uid.strip():
            raise ValueError("Invitation uid must not be empty")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 0:
            raise ValueError(f"Invitation sequence must be a whole number of at least 0, not {self.sequence!r}")
        if (isinstance(self.duration_minutes, bool) or not isinstance(self.duration_minutes, int)
                or self.duration_minutes <= 0):
            raise ValueError(f"Invitation duration_minutes must be a positive whole number, not {self.duration_minutes!r}")

    @property
    def ends_at(self) -> datetime:
        """The end of the meeting, worked out in UTC.

        Adding minutes to a London wall time would give the wrong answer for a meeting that
        spans a clock change, so the arithmetic is done on the absolute instant.
        """
        return self.starts_at.astimezone(UTC) + timedelta(minutes=self.duration_minutes)


def calendar_bytes(invitation: Invitation) -> bytes:
    """Return the invitation as an iCalendar (RFC 5545 / RFC 5546 iTIP) object.

    The result is a complete VCALENDAR with one VTIMEZONE and one VEVENT, CRLF line endings
    and UTF-8 text, ready to put in an email or to offer as a download.
    """
    starts = invitation.starts_at.astimezone(LONDON)
    ends = invitation.ends_at.astimezone(LONDON)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", invitation.method)
    cal.add_component(_london_vtimezone(starts.year, ends.year))

    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", datetime.now(tz=UTC))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", invitation.summary)
    event.add("description", invitation.description)
    event.add("location", invitation.location)
    if invitation.url:
        event.add("url", invitation.url)
    event.add("organizer", _address(invitation.organiser))
    for person in invitation.attendees:
        event.add("attendee", _address(
            person, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE",
        ))
    event.add("status", STATUS_FOR_METHOD[invitation.method])
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical()


def invitation_email(
    invitation: Invitation,
    *,
    to: list[str],
    subject: str,
    body: str,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """Build (but do not send) the email that carries an invitation or cancellation.

    The plain-text body is what people without a calendar-aware client read, so it should say
    when and where in words. The calendar goes in twice, for the reasons in the module
    docstring. ``from_email`` defaults to DEFAULT_FROM_EMAIL, as with any Django email;
    replies to the meeting go to the ORGANIZER address in the calendar, not to the sender.
    """
    return email_with_calendar(calendar_bytes(invitation), invitation.method, to=to, subject=subject, body=body,
                               from_email=from_email)


def _address(person: Person, **params: str) -> vCalAddress:
    """A mailto: calendar address carrying the person's display name as CN."""
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = person.name
    for key, value in params.items():
        address.params[key] = value
    return address


@lru_cache(maxsize=32)
def _london_vtimezone(first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for Europe/London valid for the meeting's years, in the shape Outlook wants.

    The rule's first onset is placed in the year before the meeting so that every client,
    including ones which honour DTSTART strictly, knows the offset in force on the day.
    Cached because invitations for the same years all need the same component; callers
    only serialise it, never change it, so sharing one instance is safe.
    """
    return _vtimezone(TZID, first_year - 1, last_year)


def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """Describe ``tzid`` for ``first_year`` to ``last_year`` with yearly RRULEs if possible.

    Outlook turns a VTIMEZONE into a single Windows-style rule (month, nth or last weekday,
    time), so that is what is produced: one STANDARD and one DAYLIGHT observance with a
    FREQ=YEARLY RRULE each, taken from zoneinfo's transitions in ``first_year`` and then
    checked against zoneinfo for every later year in the range. If the zone's rules change
    within the range, or cannot be put that way, icalendar's exact RDATE form is used instead.
    """
    zone = ZoneInfo(tzid)
    first_year_transitions = _transitions(zone, first_year)
    if not first_year_transitions:
        # No clock changes (now or in this period): a single fixed-offset observance.
        moment = datetime(first_year, 1, 1, 12, tzinfo=UTC).astimezone(zone)
        if all(not _transitions(zone, year) for year in range(first_year + 1, last_year + 1)):
            timezone = Timezone()
            timezone.add("tzid", tzid)
            standard = TimezoneStandard()
            # An observance's DTSTART is a floating local time by definition (RFC 5545 3.6.5).
            standard.add("dtstart", datetime(first_year, 1, 1))  # noqa: DTZ001
            standard.add("tzoffsetfrom", moment.utcoffset())
            standard.add("tzoffsetto", moment.utcoffset())
            if moment.tzname():
                standard.add("tzname", moment.tzname())
            timezone.add_component(standard)
            return timezone
        return _exact_vtimezone(tzid, first_year, last_year)

    rules = [_yearly_rule(transition) for transition in first_year_transitions]
    if len(rules) != 2:
        return _exact_vtimezone(tzid, first_year, last_year)
    for year in range(first_year + 1, last_year + 1):
        actual = _transitions(zone, year)
        predicted = [_rule_onset(rule, year) for rule in rules]
        if [(t.onset, t.offset_from, t.offset_to) for t in actual] != [
            (onset, rule.offset_from, rule.offset_to) for onset, rule in zip(predicted, rules, strict=True)
        ]:
            return _exact_vtimezone(tzid, first_year, last_year)

    timezone = Timezone()
    timezone.add("tzid", tzid)
    for rule in rules:
        observance = TimezoneDaylight() if rule.offset_to > rule.offset_from else TimezoneStandard()
        observance.add("dtstart", rule.first_onset)
        observance.add("rrule", vRecur(freq="YEARLY", bymonth=rule.month, byday=rule.byday))
        observance.add("tzoffsetfrom", rule.offset_from)
        observance.add("tzoffsetto", rule.offset_to)
        if rule.tzname:
            observance.add("tzname", rule.tzname)
        timezone.add_component(observance)
    return timezone


def _exact_vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """icalendar's transition-by-transition VTIMEZONE: always correct, less liked by Outlook."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


@dataclass(frozen=True)
class _Transition:
    onset: datetime  # naive local wall time at which the change happens, on the old offset
    offset_from: timedelta
    offset_to: timedelta
    tzname: str


@dataclass(frozen=True)
class _Rule:
    month: int
    byday: str  # e.g. "-1SU" or "2SU"
    first_onset: datetime
    offset_from: timedelta
    offset_to: timedelta
    tzname: str


def _transitions(zone: ZoneInfo, year: int) -> list[_Transition]:
    """zoneinfo's changes of UTC offset during ``year``, found by narrowing day, hour, minute."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while day < end:
        next_day = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != next_day.astimezone(zone).utcoffset():
            instant = day
            for step in (timedelta(hours=1), timedelta(minutes=1)):
                while (instant + step).astimezone(zone).utcoffset() == instant.astimezone(zone).utcoffset():
                    instant += step
            before = instant.astimezone(zone)
            after = (instant + timedelta(minutes=1)).astimezone(zone)
            onset_utc = instant + timedelta(minutes=1)
            found.append(_Transition(
                onset=(onset_utc + before.utcoffset()).replace(tzinfo=None),
                offset_from=before.utcoffset(),
                offset_to=after.utcoffset(),
                tzname=after.tzname() or "",
            ))
        day = next_day
    return found


def _yearly_rule(transition: _Transition) -> _Rule:
    """Express a transition as "nth (or last) weekday of the month", as Outlook requires.

    Whether that rule also holds in other years is for the caller to check against zoneinfo.
    """
    onset = transition.onset
    days_in_month = stdlib_calendar.monthrange(onset.year, onset.month)[1]
    # Outlook's rule format has "first" to "fourth" and "last"; a fifth weekday is always the last.
    ordinal = -1 if onset.day + 7 > days_in_month else (onset.day - 1) // 7 + 1
    return _Rule(
        month=onset.month,
        byday=f"{ordinal}{_WEEKDAYS[onset.weekday()]}",
        first_onset=onset,
        offset_from=transition.offset_from,
        offset_to=transition.offset_to,
        tzname=transition.tzname,
    )


def _rule_onset(rule: _Rule, year: int) -> datetime:
    """Where ``rule`` puts its transition in ``year``, as a naive local wall time."""
    ordinal, weekday = int(rule.byday[:-2]), _WEEKDAYS.index(rule.byday[-2:])
    days = [
        day for day in range(1, stdlib_calendar.monthrange(year, rule.month)[1] + 1)
        if date(year, rule.month, day).weekday() == weekday
    ]
    day = days[-1] if ordinal == -1 else days[ordinal - 1]
    return rule.first_onset.replace(year=year, month=rule.month, day=day)
