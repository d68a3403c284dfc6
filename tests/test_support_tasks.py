"""Staff support reminders (issue 9, point 5): said exactly once, in office hours, for the current due
time only, and never for a closed follow-up; the sweep says what a lost task did not."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import tasks as core_tasks
from core.models import Email, Notice
from support import notify, reminders, services
from support import tasks as support_tasks
from support.models import NOTICE_KINDS, FollowUp, notice_kind
from tests.clock import at
from tests.factories import ask_for_support
from tests.test_tasks import run_worker

pytestmark = [pytest.mark.across_the_week, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_office(monkeypatch):
    """Office hours always: what is under test is the saying, not the clock (tested below and in
    tests/test_workdays.py)."""
    monkeypatch.setattr(reminders, "in_office_hours", lambda moment: True)
    for module in (reminders, notify):
        monkeypatch.setattr(module, "next_office_moment", lambda moment: moment)


@pytest.fixture
def check_in(cast, incident, people):
    services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                          reason="Saw it happen")
    return FollowUp.objects.order_by("due_at").first()


def notices(user=None, kind=None):
    found = Notice.objects.filter(kind__in=NOTICE_KINDS)
    if user is not None:
        found = found.filter(recipient=user)
    if kind is not None:
        found = found.filter(kind=notice_kind(kind))
    return list(found.values_list("recipient__username", "kind"))


def support_emails():
    return Email.objects.filter(kind="support")



def test_due_tells_the_supporter_and_the_person_once(open_office, cast, people, check_in):
    assert support_tasks.follow_up_due.call(check_in.pk) == "not yet"
    later = check_in.due_at + dt.timedelta(minutes=1)
    with at(later):
        assert support_tasks.follow_up_due.call(check_in.pk) == "told assignee, person"
        assert support_tasks.follow_up_due.call(check_in.pk) == "already told"
    assert sorted(notices()) == [("bob", "support.offer"), ("mike", "support.due")]
    assert support_emails().count() == 2
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "mike@example.org"]
    to_mike = next(m for m in mail.outbox if m.to == ["mike@example.org"])
    assert "Bob Brown" in to_mike.body and "/support/board/" in to_mike.body
    to_bob = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert "decline" in to_bob.body and "without giving a reason" in to_bob.body
    # one working day later the wellbeing leads hear it is still open, once
    with at(check_in.due_at + dt.timedelta(days=5)):
        assert support_tasks.follow_up_due.call(check_in.pk) == "told leads"
        assert support_tasks.follow_up_due.call(check_in.pk) == "already told"
    assert notices(kind="overdue") == [("ruth", "support.overdue")]


def test_outside_office_hours_it_waits_for_the_morning(monkeypatch, cast, people, check_in):
    monkeypatch.setattr(reminders, "in_office_hours", lambda moment: False)
    DBTaskResult.objects.all().delete()
    with at(check_in.due_at + dt.timedelta(minutes=1)):
        assert support_tasks.follow_up_due.call(check_in.pk) == "waits"
        assert reminders.sweep_due() == 0
    assert notices() == [] and DBTaskResult.objects.count() == 1  # itself again, at the next office moment


def test_an_email_written_before_hours_end_is_held_to_the_morning(monkeypatch, cast, people, check_in):
    morning = timezone.now() + dt.timedelta(hours=9)
    monkeypatch.setattr(notify, "next_office_moment", lambda moment: morning)
    email = Email.objects.create(kind="support", recipient=cast.bob, to="bob@example.org", subject="s", body="b")
    assert core_tasks.send_email.call(email.pk) == "waits"
    email.refresh_from_db()
    assert email.state == "pending" and email.next_attempt_at == morning and mail.outbox == []


def test_a_reschedule_is_said_for_the_new_time_only(open_office, cast, people, check_in):
    with at(check_in.due_at + dt.timedelta(minutes=1)):
        support_tasks.follow_up_due.call(check_in.pk)
        services.follow_up_reschedule(actor=people.mike, follow_up_id=check_in.pk,
                                      due_at=check_in.due_at + dt.timedelta(days=2), reason="Bob asked")
        assert support_tasks.follow_up_due.call(check_in.pk) == "not yet"
    with at(check_in.due_at + dt.timedelta(days=2, minutes=1)):
        assert support_tasks.follow_up_due.call(check_in.pk) == "told assignee"  # the person had their one
    assert sorted(notices()) == [("bob", "support.offer"), ("mike", "support.due"), ("mike", "support.due")]


def test_closed_follow_ups_say_nothing(open_office, cast, people, check_in):
    services.follow_up_decline(actor=cast.bob, follow_up_id=check_in.pk)
    with at(check_in.due_at + dt.timedelta(days=5)):
        assert support_tasks.follow_up_due.call(check_in.pk) == "closed"
        assert reminders.sweep_due() == 0
    assert notices() == []


def test_the_sweep_says_what_a_lost_task_did_not_once(open_office, cast, people, check_in):
    DBTaskResult.objects.all().delete()  # the worker holding them was killed
    with at(check_in.due_at + dt.timedelta(minutes=1)):
        assert reminders.sweep_due() >= 1
        reminders.sweep_due()
    assert sorted(notices()) == [("bob", "support.offer"), ("mike", "support.due")]


def test_a_request_for_support_tells_its_wellbeing_lead_not_the_person(open_office, cast, people, incident):
    ask_for_support(cast, incident)
    item = FollowUp.objects.get(kind="support_request")
    with at(timezone.now() + dt.timedelta(minutes=1)):
        support_tasks.follow_up_due.call(item.pk)
    assert notices() == [("ruth", "support.due")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)")
def test_two_workers_at_once_say_it_once(open_office, cast, people, check_in):
    count = 6
    barrier = threading.Barrier(count)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(support_tasks.follow_up_due.call(check_in.pk))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    # Patched once, here: patching in each thread would race, and could leave the clock stopped for the
    # tests that follow.
    with at(check_in.due_at + dt.timedelta(days=5)):
        threads = [threading.Thread(target=work) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert sorted(notices()) == [("bob", "support.offer"), ("mike", "support.due"), ("ruth", "support.overdue")]
    assert support_emails().count() == 3 and results.count("already told") == count - 1
