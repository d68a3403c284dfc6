"""Timed work: a decision's review reminder appears on the timeline when its time comes, once."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from incidents import services
from incidents.models import TimelineEvent
from incidents.tasks import decision_review_due

pytestmark = pytest.mark.django_db(transaction=True)


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
    with mock.patch("django.utils.timezone.now", return_value=later):
        run_worker()
    assert reminders(incident) == [f"Decision {entry.number} is due for review."]
    # a duplicate or late run says nothing more
    with mock.patch("django.utils.timezone.now", return_value=later):
        decision_review_due.call(entry.pk)
    assert len(reminders(incident)) == 1


def test_a_corrected_decision_is_not_reminded(cast, incident):
    now = timezone.now()
    entry = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r",
                                     review_at=now + dt.timedelta(hours=1))
    services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d2", rationale="r",
                             corrects=entry.pk)
    with mock.patch("django.utils.timezone.now", return_value=now + dt.timedelta(hours=2)):
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
    from comms import services as comms_services
    from comms.models import InboxItem, Message, OutboundEmail

    when = timezone.now() + dt.timedelta(hours=3)
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="all_staff",
                                           subject="Embargoed", body="At nine.", release_at=when)
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_services.message_release(actor=cast.cora, message_id=message.pk)

    run_worker()
    assert Message.objects.get(pk=message.pk).status == "scheduled"
    with mock.patch("django.utils.timezone.now", return_value=when + dt.timedelta(seconds=1)):
        run_worker()  # releases it, then sends the emails it queued
    message.refresh_from_db()
    assert message.status == "released" and message.released_at >= when
    assert InboxItem.objects.filter(message=message).count() == 7
    assert set(OutboundEmail.objects.filter(message=message).values_list("state", flat=True)) == {"sent"}
