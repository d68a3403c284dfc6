"""Communications' outbox and notices move to the ground floor's tables (comms/migrations/0011): every email
and notice arrives as it was, nothing sent is sent again, what was waiting is sent once, an open notice
still stops the same failure being told twice, and the move can be undone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from comms import services
from core import notices, outbox
from core.models import Email, Notice
from core.worker import sweep
from incidents.now import now_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.migration]

BEFORE = [("comms", "0010_part_confirmation_text_kinds")]
AFTER = [("comms", "0011_emails_and_notices_to_the_ground_floor")]
COMMS_KINDS = ("comms.delivery", "comms.notice")
EMAIL_FIELDS = ("recipient_id", "to", "subject", "body", "state", "attempts", "next_attempt_at", "last_error",
                "sent_at", "created_at")


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def old_models():
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    return state.apps.get_model("comms", "OutboundEmail"), state.apps.get_model("comms", "UndeliveredNotice")


def comms_emails():
    """Communications' emails in the one outbox (the incident's clocks write some of their own)."""
    return Email.objects.filter(kind__in=COMMS_KINDS)


def run_worker() -> None:
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()


def queued_send(task_path: str, email_id: int, status: str = "READY") -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path, args_kwargs={"args": [email_id], "kwargs": {}}, status=status, queue_name="default",
        backend_name="default", run_after=timezone.now(), exception_class_path="", traceback="")


def seed_the_old_tables(cast, message, held):
    """Emails of every state, as the old outbox kept them, and notices open and closed."""
    OutboundEmail, UndeliveredNotice = old_models()
    now = timezone.now()
    written = now - dt.timedelta(minutes=10)  # longer ago than a sweep
    rows = {
        "never tried": dict(message_id=message.pk, recipient_id=cast.bob.pk, to="never@example.org"),
        "retry due": dict(message_id=message.pk, to="retry@example.org", attempts=2, last_error="Refused",
                          next_attempt_at=now - dt.timedelta(minutes=1)),
        "claim lapsed": dict(message_id=message.pk, to="claimed@example.org", state="sending", attempts=1,
                             next_attempt_at=now - dt.timedelta(minutes=1)),
        "sent": dict(message_id=message.pk, recipient_id=cast.olive.pk, to="sent@example.org", state="sent",
                     attempts=1, sent_at=now - dt.timedelta(minutes=9)),
        "failed": dict(message_id=message.pk, to="failed@example.org", state="failed", attempts=6,
                       last_error="Not sent after 6 tries. The mail server's last answer: refused"),
        "notice waiting": dict(message_id=held.pk, recipient_id=cast.cora.pk, to="cora@example.org", notice=True),
        "notice sent": dict(message_id=message.pk, recipient_id=cast.alice.pk, to="alice@example.org", notice=True,
                            state="sent", attempts=1, sent_at=now - dt.timedelta(minutes=8)),
    }
    emails = {}
    for n, (name, fields) in enumerate(rows.items()):
        email = OutboundEmail.objects.create(subject=f"Subject of {name}", body=f"Body of {name}.", **fields)
        OutboundEmail.objects.filter(pk=email.pk).update(created_at=written + dt.timedelta(seconds=n))
        email.refresh_from_db()
        emails[name] = email
    open_notice = UndeliveredNotice.objects.create(message_id=message.pk, recipient_id=cast.alice.pk)
    closed = UndeliveredNotice.objects.create(message_id=message.pk, recipient_id=cast.cora.pk,
                                              closed_at=now - dt.timedelta(minutes=2), closed_by_id=cast.cora.pk)
    for n, notice in enumerate((open_notice, closed)):
        UndeliveredNotice.objects.filter(pk=notice.pk).update(created_at=written + dt.timedelta(minutes=1, seconds=n))
        notice.refresh_from_db()
    # The old send task's runs: waiting for those still to go, finished for the one sent.
    waiting = [queued_send("comms.tasks.send_email", emails[name].pk)
               for name in ("never tried", "retry due", "notice waiting")]
    done = queued_send("comms.tasks.send_email", emails["sent"].pk, status="SUCCESSFUL")
    return emails, (open_notice, closed), waiting, done


def as_old(email, fields=EMAIL_FIELDS) -> dict:
    return {field: getattr(email, field) for field in fields}


def test_the_outbox_and_its_notices_move_as_they_were(cast, incident, mailoutbox):
    message = services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                     recipients=["bob"], subject="What we know", body="Plain facts.")
    held = services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                  recipients=["bob"], subject="Held", body="Plain facts.")
    try:
        migrate(BEFORE)
        emails, (open_notice, closed), waiting, done = seed_the_old_tables(cast, message, held)
        migrate(AFTER)

        # Every email, field by field, when it was written included; the kind says what it is.
        moved = {email.to: email for email in comms_emails()}
        assert set(moved) == {email.to for email in emails.values()}
        for name, old in emails.items():
            new = moved[old.to]
            assert as_old(new) == as_old(old), name
            assert (new.kind, new.about_id) == ("comms.notice" if old.notice else "comms.delivery", old.message_id)
            assert (new.calendar, new.calendar_method, new.urgent) == ("", "", False)
        # Every notice: keyed as notify_once keys it, open or closed as it was.
        notice_fields = ("recipient_id", "closed_at", "closed_by_id", "created_at")
        for old in (open_notice, closed):
            new = Notice.objects.get(recipient_id=old.recipient_id)
            assert as_old(new, notice_fields) == as_old(old, notice_fields)
            assert (new.kind, new.about_id, new.key, new.seen_at) == (
                "comms.undelivered", message.pk, notices.key("comms.undelivered", message.pk), None)
        # The old task's waiting runs are over, saying why; a finished one is as it was.
        for row in waiting:
            row.refresh_from_db()
            assert (row.status, row.exception_class_path) == ("FAILED", "harbour.outbox.Moved")
            assert "moved to the one outbox" in row.traceback and row.finished_at is not None
        done.refresh_from_db()
        assert (done.status, done.exception_class_path) == ("SUCCESSFUL", "")

        # Undone: back into communications' own tables as they were, and out of the ground floor's.
        migrate(BEFORE)
        OutboundEmail, UndeliveredNotice = old_models()
        back = {email.to: email for email in OutboundEmail.objects.all()}
        assert {to: as_old(email) | {"notice": email.notice, "message_id": email.message_id}
                for to, email in back.items()} == {
            old.to: as_old(old) | {"notice": old.notice, "message_id": old.message_id} for old in emails.values()}
        assert sorted((n.recipient_id, n.closed_at, n.created_at) for n in UndeliveredNotice.objects.all()) == sorted(
            (n.recipient_id, n.closed_at, n.created_at) for n in (open_notice, closed))
        assert not comms_emails().exists() and not Notice.objects.exists()
        migrate(AFTER)
        assert {email.to: as_old(email) for email in comms_emails()} == {
            old.to: as_old(old) for old in emails.values()}
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

        # The sweep hands on what was waiting, or whose sender died mid-send; the one send task sends each once.
        assert sweep()["outbox"] == 4
        run_worker()
        assert sweep()["outbox"] == 0
        run_worker()
        assert sorted(m.to[0] for m in mailoutbox if m.subject.startswith("Subject of")) == [
            "claimed@example.org", "cora@example.org", "never@example.org", "retry@example.org"]
        sent = {email.to: email for email in comms_emails()}
        for name in ("never tried", "retry due", "claim lapsed", "notice waiting"):
            assert sent[emails[name].to].state == outbox.SENT, name
        # What was sent is not sent again, and what failed stays failed, with why.
        for name in ("sent", "failed", "notice sent"):
            assert as_old(sent[emails[name].to]) == as_old(emails[name]), name

        # An open notice still stops the same failure being told twice; a closed one's key is free.
        assert notices.notify_once(cast.alice, "comms.undelivered", about_id=message.pk) is None
        assert notices.notify_once(cast.cora, "comms.undelivered", about_id=message.pk) is not None
        assert [item.title for item in now_for(cast.alice) if item.kind == "undelivered"] == ["What we know"]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
