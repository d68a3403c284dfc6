"""How a countdown reads, and when "one working day before" falls (core/workdays.py). static/harbour/clocks.js
counts the same way in the page; tests/browser/test_clocks_board.py watches it tick over to overdue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.workdays import time_left, working_day_before

pytestmark = pytest.mark.across_the_week

LONDON = ZoneInfo("Europe/London")


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(("due", "expected"), [
    (london(2026, 4, 10, 23, 59), london(2026, 4, 9, 23, 59)),  # Friday: Thursday
    (london(2026, 4, 7, 23, 59), london(2026, 4, 2, 23, 59)),  # after Easter: the Thursday before Good Friday
    (london(2026, 1, 2, 23, 59), london(2025, 12, 31, 23, 59)),  # after New Year's Day
    (london(2026, 3, 30, 23, 59), london(2026, 3, 27, 23, 59)),  # over the spring clock change: still 23:59
])
def test_one_working_day_before_keeps_the_wall_clock(due, expected):
    assert working_day_before(due) == expected


@pytest.mark.parametrize(("now", "due", "reads"), [
    # Wednesday 14:00: the working days to come up to the deadline's day, and the ten hours left of today.
    (london(2026, 4, 1, 14), london(2026, 4, 3, 23, 59), "1 working day and 10 hours left"),  # Good Friday
    (london(2026, 4, 8, 14), london(2026, 4, 10, 23, 59), "2 working days and 10 hours left"),
    (london(2026, 4, 10, 21, 30), london(2026, 4, 10, 23, 59), "2 hours 29 minutes left"),
    (london(2026, 4, 10, 23, 20), london(2026, 4, 10, 23, 59), "39 minutes left"),
    # A calendar-day deadline on a Sunday, seen on Saturday: no working day before it, so days.
    (london(2026, 11, 7, 12), london(2026, 11, 8, 23, 59), "1 day and 12 hours left"),
    (london(2026, 4, 11, 1), london(2026, 4, 10, 23, 59), "Overdue by 1 hour 1 minute"),
    (london(2026, 4, 14, 9), london(2026, 4, 10, 23, 59), "Overdue by 3 days"),
])
def test_a_countdown_reads_in_working_days_then_hours(now, due, reads):
    assert time_left(due, now) == reads
