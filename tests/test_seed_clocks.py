"""`manage.py seed_demo` shows the statutory clocks at work: an obligation overdue, one due within about a
working day, one done, one found not to apply (with its reason), and the Director told on the ladder."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from clocks.models import Notification, Obligation, ObligationStatus
from core.workdays import is_working_day, working_days_due
from demo.management.commands.seed_demo import CHILD_DEATH_TITLE, VIOLENCE_TITLE, child_death_times
from incidents.models import Decision, Incident
from tests.clock import at

pytestmark = [pytest.mark.across_the_week, pytest.mark.django_db]

LONDON = ZoneInfo("Europe/London")


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def seed() -> None:
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())



def test_the_demo_has_every_state_of_clock():
    now = london(2026, 3, 11, 10, 0)  # a Wednesday in an ordinary week
    with at(now):
        seed()
        pending = Obligation.objects.filter(status=ObligationStatus.PENDING, due_at__isnull=False)
        overdue = [o for o in pending if o.is_overdue]
        assert overdue, "no obligation is overdue"
        assert "holding_statement_ready" in {o.code for o in overdue}
        soon = pending.filter(due_at__gt=now, due_at__lte=now + dt.timedelta(days=2))
        assert soon.filter(code="panel_notification", incident__title=CHILD_DEATH_TITLE).exists()

    done = Obligation.objects.filter(status=ObligationStatus.DONE)
    assert done.filter(code="safeguarding_partners_notified").exists()
    assert all(o.done_at and o.done_by_id and o.reference for o in done)

    not_applicable = Obligation.objects.get(status=ObligationStatus.NOT_APPLICABLE)
    assert not_applicable.code == "looked_after_child_notification"
    assert "not looked after" in not_applicable.reason
    assert isinstance(not_applicable.decision, Decision) and not_applicable.decision.rationale == not_applicable.reason

    for title in (CHILD_DEATH_TITLE, VIOLENCE_TITLE):
        incident = Incident.objects.get(title=title)
        told = Notification.objects.get(incident=incident, step="director")
        director = Obligation.objects.get(incident=incident, code="director_informed")
        assert director.status == ObligationStatus.DONE and director.done_at == told.at
        assert director.done_at <= director.due_at  # told the same working day
        assert told.at >= incident.aware_at


def test_seeding_again_adds_no_clocks():
    seed()
    counts = (Obligation.objects.count(), Notification.objects.count(), Decision.objects.count(),
              list(Obligation.objects.order_by("pk").values_list("status", "due_at")))
    seed()
    assert (Obligation.objects.count(), Notification.objects.count(), Decision.objects.count(),
            list(Obligation.objects.order_by("pk").values_list("status", "due_at"))) == counts


@pytest.mark.parametrize("now", [
    london(2026, 3, 11, 10, 0),   # Wednesday morning: due at the end of today
    london(2026, 3, 11, 19, 30),  # Wednesday evening: the end of Thursday
    london(2026, 3, 13, 20, 0),   # Friday evening: the end of Monday
    london(2026, 3, 14, 12, 0),   # Saturday
    london(2026, 4, 3, 9, 0),     # Good Friday: Tuesday, after Easter Monday
    london(2026, 3, 30, 9, 0),    # the Monday after the clocks go forward: awareness before the change
    london(2026, 12, 24, 18, 30),  # Christmas Eve evening: the 29th
])
def test_the_panel_is_due_within_a_working_day_whenever_the_demo_is_loaded(now):
    occurred_at, aware_at = child_death_times(now)
    assert occurred_at < aware_at < now
    due = working_days_due(aware_at, 5)
    assert due - now >= dt.timedelta(hours=6)
    today, due_day = now.date(), due.astimezone(LONDON).date()
    between = [today + dt.timedelta(days=n) for n in range(1, (due_day - today).days)]
    assert not any(is_working_day(day) for day in between), f"{now}: due {due}"
    assert is_working_day(aware_at.astimezone(LONDON).date())


def test_the_seed_passes_the_services_checks_today():
    """Loaded at the real time, as `make run` does: the Panel is pending and not yet overdue."""
    seed()
    panel = Obligation.objects.get(incident__title=CHILD_DEATH_TITLE, code="panel_notification")
    assert panel.is_pending and panel.due_at > timezone.now()
    assert Obligation.objects.filter(code="holding_statement_ready", incident__title=VIOLENCE_TITLE,
                                     due_at__lt=timezone.now(), status=ObligationStatus.PENDING).exists()
