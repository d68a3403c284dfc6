"""The instants the suite runs at, so that no test depends on the day it happens to be run.

Every test that is not marked `real_clock` runs with the test process's clock moved (time-machine, ticking)
to ORDINARY: a Wednesday mid-morning in term time, far from a bank holiday or a clock change. A test that
needs another moment travels there itself (`at(...)`). Tests marked `across_the_week` also run at each of
the AWKWARD instants, where working days, office hours and wall-clock arithmetic are most easily wrong.

Before this, `make test` failed every week from Sunday 05:00 to Monday 05:00: a test moved an awareness time
made "now" back a day and expected a working-day deadline to move, which it does not across a weekend.

Servers a test starts (daphne, the worker) are other processes and keep the real clock; tests that start
them are marked `real_clock` and must expect nothing of the day they run on.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

LONDON = ZoneInfo("Europe/London")


def london(*args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON, fold=fold)  # noqa: DTZ001 - the zone is given


ORDINARY = london(2026, 11, 18, 10, 30)  # Wednesday, 10:30 GMT

# Every one of them is later than the fixed dates tests give for what happened (a working-day table of
# 2026, say), which Harbour would refuse as "in the future" at an earlier instant.
AWKWARD: dict[str, dt.datetime] = {
    # The hours the probe found a test failing in, every week.
    "sunday-evening": london(2026, 12, 6, 21, 0),
    "monday-0030": london(2026, 12, 7, 0, 30),
    # The last half hour of the working week.
    "friday-2330": london(2026, 12, 4, 23, 30),
    # Christmas Eve, a Thursday: Friday 25 December is a bank holiday, and so is Monday 28 December (Boxing
    # Day, a Saturday, is made up on the Monday).
    "before-bank-holiday": london(2026, 12, 24, 19, 0),
    # Half an hour before the clocks go forward (01:00 GMT becomes 02:00 BST on Sunday 28 March 2027).
    "spring-forward": london(2027, 3, 28, 0, 30),
    # The first of the two 01:30s on Sunday 31 October 2027, when 02:00 BST becomes 01:00 GMT.
    "fall-back": london(2027, 10, 31, 1, 30, fold=0),
    # A day that exists one year in four: Tuesday 29 February 2028.
    "leap-day": london(2028, 2, 29, 12, 0),
}


def at(moment: dt.datetime) -> time_machine.travel:
    """Stand still at `moment` (a context manager): what `timezone.now()` returns, and every clock the
    test process reads."""
    return time_machine.travel(moment, tick=False)
