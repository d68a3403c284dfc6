"""Timed work: a decision's review reminder appears on the timeline when its time comes, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from incidents import services
from incidents.models import TimelineEvent
from incidents.tasks import decision_review_due
from tests.clock import at

pytestmark = [pytest.mark.across_the_week, pytest.mark.django_db(transaction=True)]


def run_worker() -> None:
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()


def reminders(incident):
    return list(TimelineEvent.objects.filter(incident=incident, type="decision.review_due").values_list("summary", flat=True))


def test_reminder_waits_for_its_time_then_appears_once(cast, incident):
    now = timezone.now()
    entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Pairs after dark",
                                     rationale="Threats", review_at=now + dt.timedelta(hours=2))
    task = DBTaskResult.objects.get()
    assert task.run_after == entry.review_at

    run_worker()
    assert reminders(incident) == []

    later = now + dt.timedelta(hours=2, seconds=1)
    with at(later):
        run_worker()
    assert reminders(incident) == [f"Decision {entry.number} is due for review."]
    # a duplicate or late run says nothing more
    with at(later):
        decision_review_due.call(entry.pk)
    assert len(reminders(incident)) == 1


def test_a_corrected_decision_is_not_reminded(cast, incident):
    now = timezone.now()
    entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     review_at=now + dt.timedelta(hours=1))
    services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d2", rationale="r",
                             corrects=entry.pk)
    with at(now + dt.timedelta(hours=2)):
        assert decision_review_due.call(entry.pk) == "corrected"
    assert reminders(incident) == []


def test_a_rolled_back_decision_leaves_no_reminder(cast, incident):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                 review_at=timezone.now() + dt.timedelta(hours=1))
        raise RuntimeError("something later in the request failed")
    assert DBTaskResult.objects.count() == 0


def test_embargoed_message_is_released_by_the_worker_at_its_time(cast, incident):
    from comms import releases as comms_releases
    from comms import services as comms_services
    from comms.models import InboxItem, Message
    from core.models import Email

    when = timezone.now() + dt.timedelta(hours=3)
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                           subject="Embargoed", body="At nine.", release_at=when)
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)

    run_worker()
    assert Message.objects.get(pk=message.pk).status == "scheduled"
    with at(when + dt.timedelta(seconds=1)):
        run_worker()  # releases it, then sends the emails it queued
    message.refresh_from_db()
    assert message.status == "released" and message.released_at >= when
    assert InboxItem.objects.filter(message=message).count() == 7
    assert set(Email.objects.filter(kind="comms.delivery", about_id=message.pk).values_list("state", flat=True)) == {"sent"}


# --- the sweep: timed work whose task was lost is done from the domain's own state, once --------------

def _lose_every_task():
    """As if the worker that held them was killed: their rows say nothing useful any more."""
    DBTaskResult.objects.all().delete()


def _scheduled(cast, incident, when):
    from comms import releases as comms_releases
    from comms import services as comms_services

    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           recipients=["bob", "olive"], subject="Embargoed", body="At nine.",
                                           release_at=when)
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    return comms_releases.message_release(actor=cast.cora, message_id=message.pk)


def test_the_sweep_releases_an_embargoed_message_whose_task_was_lost_once(cast, incident):
    from comms.models import InboxItem, Message
    from core.models import Email
    from core.worker import sweep

    when = timezone.now() + dt.timedelta(hours=1)
    message = _scheduled(cast, incident, when)
    _lose_every_task()
    assert sweep()["comms"] == 0  # not due yet: nothing happens early
    with at(when + dt.timedelta(seconds=1)):
        sweep()
        sweep()  # a second worker's sweep, or the next minute's: nothing doubled
        assert Message.objects.get(pk=message.pk).status == "released"
        assert InboxItem.objects.filter(message=message).count() == 2
        assert TimelineEvent.objects.filter(incident=incident, type="message.released").count() == 1
        # the release's emails: their own tasks were enqueued; lose those too, and the sweep sends them
        _lose_every_task()
    later = when + dt.timedelta(minutes=5)
    with at(later):
        sweep()
        sweep()  # two sweeps hand each email to a send task twice: the claim sends it once
    run_worker()
    states = list(Email.objects.filter(kind="comms.delivery", about_id=message.pk).values_list("state", flat=True))
    assert states == ["sent", "sent"]
    from django.core import mail

    assert sorted(m.to[0] for m in mail.outbox if m.subject == "Embargoed") == ["bob@example.org", "olive@example.org"]


def test_the_sweep_says_a_lost_review_reminder_once(cast, incident):
    from core.worker import sweep

    now = timezone.now()
    entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     review_at=now + dt.timedelta(hours=1))
    corrected = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="e", rationale="r",
                                         review_at=now + dt.timedelta(hours=1))
    services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="e2", rationale="r",
                             corrects=corrected.pk)
    _lose_every_task()
    with at(now + dt.timedelta(hours=2)):
        assert sweep()["incidents"] == 1
        assert sweep()["incidents"] == 0
    assert reminders(incident) == [f"Decision {entry.number} is due for review."]


def test_task_rows_abandoned_by_a_stopped_worker_are_retired(cast, incident, settings):
    from django_tasks_db.compat import TaskResultStatus

    from core.worker import ABANDONED, sweep

    services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                             review_at=timezone.now() + dt.timedelta(hours=1))
    row = DBTaskResult.objects.get()
    row.claim("killed-worker")
    settings.HARBOUR_TASK_ABANDONED_SECONDS = 600
    assert sweep()["abandoned"] == 0  # a task running for a moment is someone's work in progress
    with at(timezone.now() + dt.timedelta(minutes=11)):
        assert sweep()["abandoned"] == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED and row.exception_class_path == ABANDONED


def test_the_sweep_takes_over_an_email_whose_sender_died_mid_send(cast, incident, settings):
    from django.core import mail

    from comms import releases as comms_releases
    from comms import services as comms_services
    from core import outbox
    from core.models import Email
    from core.worker import sweep

    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           recipients=["bob"], subject="Claimed", body="B")
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    _lose_every_task()
    email = Email.objects.get(kind="comms.delivery", about_id=message.pk)
    claimed = outbox.claim(email.pk)  # a worker claimed it, then was killed
    assert claimed.state == "sending"
    sweep()
    run_worker()
    assert Email.objects.get(pk=email.pk).state == "sending"  # the claim still stands: not yet
    lapsed = claimed.next_attempt_at + dt.timedelta(seconds=1)
    with at(lapsed):
        sweep()
        run_worker()
    assert Email.objects.get(pk=email.pk).state == "sent"
    assert [m.subject for m in mail.outbox].count("Claimed") == 1

