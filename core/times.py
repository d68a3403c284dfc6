"""Times as a person in the UK reads them: one place for every page, export, list and picture.

- `uk_time`: a time in a record, with its year: "24 Nov 2026, 09:15" (history, the timeline, the CSV,
  the pictures' tables).
- `uk_day_time`: a time in a short sentence about the days around now: "Tue 24 Nov, 14:05" (why
  something is on a person's Now list).

Both are written out by hand and take the zone from a caller that formats many: the export formats
every event of a long timeline, and Django's date formatting and its look-up of the current zone cost
ten times as much as the rest of a row. Templates use the filters of the same names
(incidents/templatetags/harbour.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _local(when: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    return when.astimezone(zone or timezone.get_current_timezone())


def uk_time(when: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """"24 Nov 2026, 09:15": local time, with the year."""
    local = _local(when, zone)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local.hour:02}:{local.minute:02}"


def uk_day_time(when: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """"Tue 24 Nov, 14:05": local time, with the day of the week and without the year."""
    local = _local(when, zone)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}, {local.hour:02}:{local.minute:02}"
