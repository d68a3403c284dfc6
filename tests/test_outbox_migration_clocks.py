"""The clocks' reminders and their emails move to the one outbox and notice table (incidents migration 0010)
with nothing said twice and nothing lost: a database made before the move, holding reminders and emails in
every state and a queued run of the old send task, is migrated; each row is carried over as it was, only
the emails still waiting are sent, and a reminder already said is not said again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clocks.models import Obligation
from core import notices, outbox
from core.models import Email, Notice
from tests.clock import at

pytestmark = pytest.mark.migration

BEFORE = [("incidents", "0009_api_token_name_one_line")]
OLD_TASK = "incidents.tasks.send_incident_email"
EMAIL_FIELDS = ("recipient_id", "to", "subject", "body", "state", "attempts", "next_attempt_at", "last_error",
                "sent_at", "created_at")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_reminders_and_their_emails_move_with_nothing_said_twice_or_lost(cast, incident, mailoutbox):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    now = timezone.now()
    old = migrate(BEFORE)
    try:
        Reminder, IncidentEmail = old.get_model("incidents", "Reminder"), old.get_model("incidents", "IncidentEmail")
        said = Reminder.objects.create(recipient_id=cast.alice.pk, obligation_id=panel.pk, kind="due_soon",
                                       for_due_at=panel.due_at, text="The Panel is due tomorrow.")
        rows = {
            "sent": dict(state="sent", attempts=1, sent_at=now - dt.timedelta(hours=2)),
            "failed": dict(state="failed", attempts=5, last_error="Mailbox unavailable"),
            "never tried": dict(state="pending"),
            "retry due": dict(state="pending", attempts=1, next_attempt_at=now - dt.timedelta(minutes=1)),
            "claim lapsed": dict(state="sending", attempts=1, next_attempt_at=now - dt.timedelta(minutes=5)),
        }
        made = {name: IncidentEmail.objects.create(recipient_id=cast.tom.pk, to="tom@example.org",
                                                   subject=f"HBR: {name}", body=f"Body: {name}", **fields)
                for name, fields in rows.items()}
        an_hour_ago = now - dt.timedelta(hours=1)
        IncidentEmail.objects.update(created_at=an_hour_ago)
        Reminder.objects.update(created_at=an_hour_ago)
        queued = DBTaskResult.objects.create(task_path=OLD_TASK, args_kwargs={"args": [made["never tried"].pk],
                                                                              "kwargs": {}},
                                             backend_name="default", run_after=now)
        before = {name: IncidentEmail.objects.values(*EMAIL_FIELDS).get(pk=e.pk) for name, e in made.items()}
    finally:
        migrate(leaves)

    carried = {email.subject.removeprefix("HBR: "): email for email in Email.objects.filter(kind="clocks")}
    assert set(carried) == set(rows)
    for name, email in carried.items():
        assert {field: getattr(email, field) for field in EMAIL_FIELDS} == before[name], name
    notice = Notice.objects.get(kind="clocks.due_soon")
    assert (notice.recipient_id, notice.about_id, notice.text, notice.created_at) == (
        cast.alice.pk, panel.pk, said.text, an_hour_ago)
    queued.refresh_from_db()
    assert queued.status == "FAILED" and queued.exception_class_path == "harbour.outbox.Moved"

    # Said once: the same reminder for the same due time is not said again.
    assert notices.notify_once(cast.alice, "clocks.due_soon", about_id=panel.pk, when=panel.due_at) is None

    # The sweep hands on the emails still waiting, and only those are sent; sent or failed ones never again.
    with at(now + dt.timedelta(minutes=2)):
        handed = outbox.due(timezone.now())
        for email in Email.objects.all():
            outbox.send_attempt(email.pk)
    assert sorted(handed) == sorted(carried[name].pk for name in ("never tried", "retry due", "claim lapsed"))
    assert sorted(m.subject for m in mailoutbox) == ["HBR: claim lapsed", "HBR: never tried", "HBR: retry due"]
    assert dict(Email.objects.values_list("subject", "state")) == {
        "HBR: sent": "sent", "HBR: failed": "failed", "HBR: never tried": "sent", "HBR: retry due": "sent",
        "HBR: claim lapsed": "sent"}


@pytest.mark.django_db(transaction=True)
def test_the_move_reverses_with_every_row(cast, incident):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    notices.notify_once(cast.alice, "clocks.overdue", about_id=panel.pk, when=panel.due_at, text="Overdue.")
    Email.objects.create(kind="clocks", recipient=cast.alice, to="alice@example.org", subject="HBR", body="B",
                         state="sent")
    Email.objects.create(kind="support", to="bob@example.org", subject="Not the clocks'", body="B")
    try:
        old = migrate(BEFORE)
        Reminder, IncidentEmail = old.get_model("incidents", "Reminder"), old.get_model("incidents", "IncidentEmail")
        reminder = Reminder.objects.get()
        assert (reminder.kind, reminder.obligation_id, reminder.for_due_at, reminder.text) == (
            "overdue", panel.pk, panel.due_at, "Overdue.")
        assert list(IncidentEmail.objects.values_list("to", "state")) == [("alice@example.org", "sent")]
        assert list(Email.objects.values_list("kind", flat=True)) == ["support"]
    finally:
        migrate(leaves)
    assert Notice.objects.get().key == notices.key("clocks.overdue", panel.pk, panel.due_at)
    assert Email.objects.filter(kind="clocks", state="sent").count() == 1
