"""Working days and office hours: the one place Harbour counts them.

Two different clocks live here, and they must not be confused.

*Statutory working days* decide when an obligation falls due ("within 5 working days"). The law fixes them
as Monday to Friday less the bank holidays of England and Wales, so they are not configurable: a council
that staffs Saturdays still owes the same deadline. Day 0 is the calendar day, in Europe/London, on which
the clock starts; an obligation of N working days is due at the end (23:59) of the Nth working day after
day 0. Ending a day at 23:59 rather than midnight keeps the deadline on the day people were told, in every
list and letter, instead of showing as "00:00 the next day".

*Office hours* decide when Harbour may send automated messages to staff, so that nobody is emailed about
a routine reminder at three in the morning. They are configurable (`HARBOUR_WORKING_HOURS`,
`HARBOUR_WORKING_DAYS`) and are also closed on bank holidays.

Every function takes and returns timezone-aware datetimes. Deadlines that end a day are in Europe/London,
because that is the day they name; moments to act on (hours_due, add_working_days, next_office_moment) are
in UTC, like everything Django stores. A naive datetime is refused with ValueError: its meaning depends on
where the code happens to run, and guessing would move deadlines by an hour for half the year. Arithmetic
that crosses a clock change is done on calendar days in Europe/London or on elapsed time in UTC, never by
adding hours to a London time: Python adds to (and subtracts between) datetimes in the same zone by their
wall clocks, which gains or loses an hour across a change.

The parsers for the two settings live here too, so that `config/settings.py` can read the environment
with them; this module therefore imports nothing that needs Django to be configured.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LONDON = ZoneInfo("Europe/London")
# A deadline is the last minute of its day, so it never reads as the first minute of the next.
END_OF_DAY = time(23, 59)

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
# Even with only one weekday configured, an office day comes round within a week or two of bank holidays;
# a year without one can only mean the working week is empty, which is a configuration fault.
_LONGEST_SEARCH_DAYS = 366


# --- Settings parsers (used by config/settings.py) -------------------------------------------------------


def parse_working_hours(value: str, *, name: str = "HARBOUR_WORKING_HOURS") -> tuple[time, time]:
    """Read "HH:MM-HH:MM" into (opening, closing), failing loudly on anything else.

    Office hours are one daytime span: an overnight span such as 18:00-08:00 is refused rather than
    guessed at, because the person setting it almost certainly swapped the two times.
    """
    match = _HOURS_PATTERN.match(value.strip())
    if match is None:
        raise ImproperlyConfigured(
            f"{name} must be an opening and closing time such as 08:00-18:00; got {value!r}."
        )
    opening_hour, opening_minute, closing_hour, closing_minute = (int(part) for part in match.groups())
    try:
        opening = time(opening_hour, opening_minute)
        closing = time(closing_hour, closing_minute)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must use real times of day, from 00:00 to 23:59; got {value!r}."
        ) from exc
    if opening >= closing:
        raise ImproperlyConfigured(
            f"{name} must open before it closes on the same day, such as 08:00-18:00; got {value!r}."
        )
    return opening, closing


def parse_working_days(value: str, *, name: str = "HARBOUR_WORKING_DAYS") -> frozenset[int]:
    """Read "Mon-Fri", "Mon,Tue,Thu" or a mixture ("Mon-Wed,Fri") into weekday numbers (Monday is 0).

    A range may wrap past Sunday ("Sun-Thu"). Full names and any letter case are accepted, since this is
    typed by hand into an environment file; anything that is not a day of the week stops start-up.
    """
    days: set[int] = set()
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        first, separator, last = item.partition("-")
        start = _weekday_number(first, name=name, value=value)
        if not separator:
            days.add(start)
            continue
        end = _weekday_number(last, name=name, value=value)
        span = (end - start) % 7
        days.update((start + offset) % 7 for offset in range(span + 1))
    if not days:
        raise ImproperlyConfigured(
            f"{name} must name at least one day, as a range such as Mon-Fri or a list such as Mon,Tue,Thu; "
            f"got {value!r}."
        )
    return frozenset(days)


def _weekday_number(word: str, *, name: str, value: str) -> int:
    lowered = word.strip().lower()
    if lowered in _DAY_NAMES:
        return _DAY_NAMES.index(lowered)
    if lowered in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(lowered)
    raise ImproperlyConfigured(
        f"{name} must be days of the week as a range such as Mon-Fri or a list such as Mon,Tue,Thu; "
        f"{word.strip()!r} is not a day of the week (got {value!r})."
    )


# --- Statutory working days ------------------------------------------------------------------------------


@functools.cache
def _bank_holidays(year: int) -> frozenset[date]:
    # Built once per year and kept: the list for a year never changes while the process runs. It names
    # the day itself as well as any weekday substitute, so Christmas Day on a Saturday is still closed for
    # a council that configures Saturday office hours.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """Whether `day` is a bank holiday in England and Wales (including substitute days)."""
    _require_plain_date(day, "is_bank_holiday")
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Whether `day` is a statutory working day: Monday to Friday and not a bank holiday."""
    _require_plain_date(day, "is_working_day")
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_due(start: datetime, n: int) -> datetime:
    """When an obligation of `n` working days that starts at `start` falls due.

    Day 0 is start's calendar day in Europe/London, whatever day of the week it is; the obligation is due
    at 23:59 (London) on the nth working day after it. So a referral on a Saturday has until the end of
    Monday for one working day, the same as one made on Friday.
    """
    if n < 1:
        raise ValueError(
            f"working_days_due needs at least one working day; got {n}. "
            "For an obligation due the same day, use same_working_day_end."
        )
    day = _london_day(start, "working_days_due")
    return _end_of(_nth_working_day_after(day, n))


def same_working_day_end(start: datetime) -> datetime:
    """The end (23:59 London) of start's day if it is a working day, otherwise of the next working day."""
    day = _london_day(start, "same_working_day_end")
    while not is_working_day(day):
        day += timedelta(days=1)
    return _end_of(day)


def calendar_days_due(start: datetime, n: int) -> datetime:
    """The end (23:59 London) of the nth calendar day after start's London day; 0 means that day itself."""
    _require_not_negative(n, "calendar_days_due", "calendar days")
    day = _london_day(start, "calendar_days_due")
    return _end_of(day + timedelta(days=n))


def hours_due(start: datetime, n: int) -> datetime:
    """`n` elapsed hours after `start`, in UTC.

    The hours are counted in UTC: a 24-hour clock that starts the evening before the clocks change runs
    for 24 real hours, not 23 or 25. (Python adds a timedelta to a London time by its wall clock, which
    is exactly the mistake this avoids.)
    """
    _require_not_negative(n, "hours_due", "hours")
    _require_aware(start, "hours_due")
    return start.astimezone(UTC) + timedelta(hours=n)


def add_working_days(moment: datetime, n: int) -> datetime:
    """The same London wall-clock time `n` statutory working days after `moment`, in UTC.

    Used for "one working day overdue": a reminder due at 14:30 on Friday is overdue at 14:30 on the next
    working day. The result always falls on a working day (Monday to Friday), and the clocks change only
    on Sundays, so the wall-clock time always exists; should that ever change, a time in the spring gap
    or the autumn repeat is read with fold=0, which means the earlier reading (GMT for a gap time, so
    01:30 becomes 02:30 BST; BST for a repeated time). With n=0 the moment itself is returned.
    """
    _require_not_negative(n, "add_working_days", "working days")
    local = _to_london(moment, "add_working_days")
    if n == 0:
        return moment.astimezone(UTC)
    day = _nth_working_day_after(local.date(), n)
    wall_clock = local.time().replace(fold=0)
    return datetime.combine(day, wall_clock, tzinfo=LONDON).astimezone(UTC)


def working_day_before(moment: datetime) -> datetime:
    """The same London wall-clock time on the working day before `moment`'s London day, in UTC: when "one
    working day before the deadline" falls. A deadline at 23:59 on Friday 10 April 2026 gives 23:59 on
    Thursday 9 April; one on Tuesday 7 April (after Easter Monday) gives Thursday 2 April."""
    local = _to_london(moment, "working_day_before")
    day = local.date() - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, local.time().replace(fold=0), tzinfo=LONDON).astimezone(UTC)


def time_left(due: datetime, now: datetime) -> str:
    """How long until `due`, as a countdown reads to a person: in working days and hours while the deadline
    is a working day or more away, in hours and minutes on its last day, and as "overdue by" after it.

    Working days are counted after today up to the deadline's day; the hours are what is left of today. A
    deadline that no working day comes before (a calendar-day clock ending on a Sunday) counts calendar
    days instead. static/harbour/clocks.js counts the same way, so the page ticks on from what it was sent.
    """
    due_local, now_local = _to_london(due, "time_left"), _to_london(now, "time_left")
    if now >= due:
        return "Overdue by " + _span(now - due)
    today, due_day = now_local.date(), due_local.date()
    if due_day == today:
        return _span(due - now) + " left"
    working = sum(1 for offset in range(1, (due_day - today).days + 1)
                  if is_working_day(today + timedelta(days=offset)))
    midnight = datetime.combine(today + timedelta(days=1), time(0, 0), tzinfo=LONDON)
    hours = int((midnight - now_local).total_seconds() // 3600)
    if working:
        days = f"{working} working day{'s' if working != 1 else ''}"
    else:
        calendar = (due_day - today).days
        days = f"{calendar} day{'s' if calendar != 1 else ''}"
    return f"{days} and {hours} hour{'s' if hours != 1 else ''} left"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60:
        days = minutes // (24 * 60)
        return f"{days} days"
    if minutes >= 60:
        hours = minutes // 60
        rest = minutes % 60
        text = f"{hours} hour{'s' if hours != 1 else ''}"
        return text + (f" {rest} minute{'s' if rest != 1 else ''}" if rest and hours < 10 else "")
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _nth_working_day_after(day: date, n: int) -> date:
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def _end_of(day: date) -> datetime:
    # 23:59 always exists in London: the clocks change at 01:00 and 02:00.
    return datetime.combine(day, END_OF_DAY, tzinfo=LONDON)


# --- Office hours ----------------------------------------------------------------------------------------


def in_office_hours(moment: datetime) -> bool:
    """Whether `moment` falls within office hours: London time in [opening, closing) on a configured
    weekday that is not a bank holiday."""
    local = _to_london(moment, "in_office_hours")
    opening, closing = settings.HARBOUR_WORKING_HOURS
    return _is_office_day(local.date()) and opening <= local.time() < closing


def next_office_moment(moment: datetime) -> datetime:
    """`moment` itself if it is in office hours, otherwise when the office next opens; always in UTC.

    A message held back overnight goes at opening time on the next office day, so Friday 19:00 becomes
    Monday 08:00 (Tuesday after a bank holiday Monday). Opening time is a London wall-clock time, so it
    is 07:00 UTC in summer and 08:00 UTC in winter.
    """
    local = _to_london(moment, "next_office_moment")
    if in_office_hours(moment):
        return moment.astimezone(UTC)
    opening, _closing = settings.HARBOUR_WORKING_HOURS
    for day in _office_days_from(local.date()):
        if day == local.date() and local.time() >= opening:
            continue  # Already past opening today, and not in office hours: today's office has closed.
        # An opening time inside the spring gap (possible only if Sunday is configured and the office
        # opens between 01:00 and 02:00) is read with fold=0, as GMT: after the clocks go forward, never
        # before opening.
        return datetime.combine(day, opening, tzinfo=LONDON).astimezone(UTC)
    raise ImproperlyConfigured("HARBOUR_WORKING_DAYS has no office day in the coming year; it must name a day.")


def _office_days_from(day: date) -> Iterator[date]:
    for offset in range(_LONGEST_SEARCH_DAYS):
        candidate = day + timedelta(days=offset)
        if _is_office_day(candidate):
            yield candidate


def _is_office_day(day: date) -> bool:
    return day.weekday() in settings.HARBOUR_WORKING_DAYS and not is_bank_holiday(day)


# --- Input checks ----------------------------------------------------------------------------------------


def _require_aware(moment: datetime, caller: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{caller} needs a timezone-aware datetime; got {type(moment).__name__} {moment!r}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{caller} needs a timezone-aware datetime; got the naive {moment.isoformat()}. "
            "Use django.utils.timezone.now() or attach a time zone, so Harbour need not guess which one."
        )


def _to_london(moment: datetime, caller: str) -> datetime:
    _require_aware(moment, caller)
    return moment.astimezone(LONDON)


def _london_day(moment: datetime, caller: str) -> date:
    return _to_london(moment, caller).date()


def _require_plain_date(day: date, caller: str) -> None:
    # A datetime is a date to Python, but never equal to one, so it would silently miss every bank holiday.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            f"{caller} needs a calendar date; got {type(day).__name__} {day!r}. "
            "For a moment in time, pass its London date: moment.astimezone(LONDON).date()."
        )


def _require_not_negative(n: int, caller: str, unit: str) -> None:
    if n < 0:
        raise ValueError(f"{caller} counts forward only; got {n} {unit}.")
