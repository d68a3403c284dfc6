"""Migration support 0009: staff support's own outbox and notices move to the one outbox and the one notice
table (core), with nothing lost, nothing sent twice and nothing said twice. A database is taken back to
before it, given old rows of every kind, and migrated: every row is there field for field (when it was
written and when it was seen included), the outbox's sweep sends what was waiting and nothing else, and a
reminder already said is not said again. Then backwards, and forwards again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import outbox
from core.models import Email, Notice
from support import notify, selectors, services
from support.models import FollowUp, NoticeKind
from tests.clock import at
from tests.test_tasks import run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.migration]

BEFORE = ("support", "0008_no_register_events_on_the_timeline")
AFTER = ("support", "0009_emails_and_notices_to_the_one_outbox")
OLD_SEND_TASK = "support.tasks.send_support_email"
EMAIL_FIELDS = ("recipient_id", "to", "subject", "body", "calendar", "calendar_method", "urgent", "state",
                "attempts", "next_attempt_at", "last_error", "sent_at", "created_at")
NOTICE_FIELDS = ("recipient_id", "text", "url", "created_at", "seen_at")
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Harbour//Staff support//EN\r\nMETHOD:REQUEST\r\n"
       "BEGIN:VEVENT\r\nUID:debrief-1@harbour\r\nSEQUENCE:0\r\nSUMMARY:Hot debrief\r\n"
       "DTSTART:20261118T120000Z\r\nDTEND:20261118T130000Z\r\nDTSTAMP:20261118T090000Z\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def migrate(target):
    """Take the database to `target` (a node, or the latest of every app); the models as they were there."""
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes() if target is None else [target]
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def before(cast, incident, people):
    """The database as it was before support 0009 (and at the latest again afterwards, whatever happens)."""
    services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                          reason="Saw it happen")
    try:
        yield migrate(BEFORE)
    finally:
        migrate(None)


def old_rows(apps, cast, people):
    """Old outbox emails in every state an email can be in, old notices seen and unseen, and runs of the
    old send task: what a live database held when it was migrated."""
    SupportEmail = apps.get_model("support", "SupportEmail")
    SupportNotice = apps.get_model("support", "SupportNotice")
    now = timezone.now()
    this_morning = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)

    def email(name, written, **fields):
        row = SupportEmail.objects.create(recipient_id=cast.bob.pk, to=f"{name}@example.org",
                                          subject=f"About {name}", body=f"The body of {name}", **fields)
        SupportEmail.objects.filter(pk=row.pk).update(created_at=written)  # as auto_now_add would not let it be
        return row.pk

    emails = {
        # written an hour ago; its task was lost with the old send task
        "never_tried": email("never_tried", now - dt.timedelta(hours=1)),
        # written last night, held to the morning (which has come)
        "held_to_morning": email("held_to_morning", now - dt.timedelta(hours=12, microseconds=7),
                                 next_attempt_at=this_morning),
        # a worker claimed it and was killed mid-send: its claim has lapsed
        "claim_lapsed": email("claim_lapsed", now - dt.timedelta(hours=2), state="sending", attempts=1,
                              next_attempt_at=now - dt.timedelta(minutes=1)),
        # the mail server refused it once; tried again in ten minutes
        "retry_later": email("retry_later", now - dt.timedelta(minutes=5), attempts=1,
                             next_attempt_at=now + dt.timedelta(minutes=10), last_error="SMTPServerDisconnected: gone"),
        "sent": email("sent", now - dt.timedelta(days=1), state="sent", attempts=1,
                      sent_at=now - dt.timedelta(days=1, minutes=-1)),
        "failed": email("failed", now - dt.timedelta(days=2), state="failed", attempts=6,
                        last_error="Not sent after 6 tries. The mail server's last answer: no"),
        # an invitation to a debrief that starts before the office opens again
        "invitation": email("invitation", now - dt.timedelta(minutes=30), calendar=ICS, calendar_method="REQUEST",
                            urgent=True),
    }
    check_in = FollowUp.objects.filter(person=cast.bob).order_by("due_at").first()

    def notice(recipient, kind, said, seen=None, text="", url="/support/board/"):
        row = SupportNotice.objects.create(recipient_id=recipient.pk, follow_up_id=check_in.pk, kind=kind,
                                           for_due_at=check_in.due_at, text=text or f"{kind} for {recipient.username}",
                                           url=url, seen_at=seen)
        SupportNotice.objects.filter(pk=row.pk).update(created_at=said)
        return row.pk

    notices = {
        "due_unseen": notice(people.mike, "due", now - dt.timedelta(days=1, seconds=3)),
        "offer_seen": notice(cast.bob, "offer", now - dt.timedelta(days=1), seen=now - dt.timedelta(hours=2),
                             url="/support/me/"),
        "overdue_unseen": notice(people.ruth, "overdue", now - dt.timedelta(hours=3)),
    }
    DBTaskResult.objects.all().delete()  # the follow-ups' reminders: not what is under test
    runs = {}
    for name, status in (("never_tried", "READY"), ("held_to_morning", "READY"), ("sent", "SUCCESSFUL")):
        runs[name] = DBTaskResult.objects.create(
            task_path=OLD_SEND_TASK, args_kwargs={"args": [emails[name]], "kwargs": {}}, status=status,
            queue_name="default", backend_name="default", run_after=now - dt.timedelta(hours=1), priority=0,
            exception_class_path="", traceback="",
        ).pk
    return emails, notices, check_in, runs


def fields(row, names):
    return {name: getattr(row, name) for name in names}


def test_support_emails_and_notices_move_to_the_one_outbox_with_nothing_lost_or_sent_twice(
        before, cast, people, mailoutbox):
    SupportEmail = before.get_model("support", "SupportEmail")
    SupportNotice = before.get_model("support", "SupportNotice")
    emails, notices, check_in, runs = old_rows(before, cast, people)
    old_emails = [fields(row, EMAIL_FIELDS) for row in SupportEmail.objects.order_by("id")]
    old_notices = list(SupportNotice.objects.order_by("id"))

    migrate(AFTER)

    # Every email, field for field, in the order written: where it stands, its tries, when it was written.
    moved = list(Email.objects.order_by("id"))
    assert [fields(row, EMAIL_FIELDS) for row in moved] == old_emails
    assert {(row.kind, row.about_id) for row in moved} == {("support", None)}
    email = {row.to.split("@")[0]: row for row in moved}
    assert email["invitation"].urgent and email["invitation"].calendar == ICS
    # Every notice, keyed as support writes them now: what it said, when, and whether it was seen.
    told = list(Notice.objects.order_by("id"))
    assert [fields(row, NOTICE_FIELDS) for row in told] == [fields(row, NOTICE_FIELDS) for row in old_notices]
    stamp = int(check_in.due_at.timestamp())
    assert [(n.kind, n.about_id, n.key, n.closed_at) for n in told] == [
        (f"support.{old.kind}", check_in.pk, f"support.{old.kind}:{check_in.pk}@{stamp}", None) for old in old_notices]
    assert [n.seen_at is not None for n in told] == [False, True, False]
    assert [n.text for n in selectors.notices_for(cast.bob)] == ["offer for bob"]
    # The old task's waiting runs are retired, saying where their email went; a finished one is left alone.
    retired = DBTaskResult.objects.get(pk=runs["never_tried"])
    assert (retired.status, retired.exception_class_path) == ("FAILED", "harbour.outbox.Moved")
    assert "one outbox" in retired.traceback and "sweep" in retired.traceback and retired.finished_at
    assert DBTaskResult.objects.get(pk=runs["held_to_morning"]).status == "FAILED"
    assert DBTaskResult.objects.get(pk=runs["sent"]).status == "SUCCESSFUL"

    # The sweep hands on what was waiting (Wednesday morning: office hours), and the send task sends it, once.
    assert outbox.sweep_due() == 4
    assert outbox.sweep_due() == 0  # handed on already: not handed again
    run_worker()
    waiting = ["never_tried", "held_to_morning", "claim_lapsed", "invitation"]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"{name}@example.org" for name in waiting)
    sent = next(m for m in mailoutbox if m.to == ["invitation@example.org"])
    assert sent.subject == "About invitation" and [a[0] for a in sent.attachments] == ["invite.ics"]
    for name in waiting:
        email[name].refresh_from_db()
        assert email[name].state == "sent", name
    assert email["claim_lapsed"].attempts == 2  # the killed worker's try, and this one
    # What had been sent, failed, or waits its retry is not sent again, however often it is asked.
    for row in moved:
        assert outbox.send_attempt(row.pk) in ("moved on", "not yet"), row.to
    assert len(mailoutbox) == 4
    for name in ("sent", "failed", "retry_later"):
        row = Email.objects.get(pk=email[name].pk)
        assert fields(row, EMAIL_FIELDS) == fields(email[name], EMAIL_FIELDS), name
    # The retry goes at its time, once.
    with at(email["retry_later"].next_attempt_at + dt.timedelta(seconds=1)):
        assert outbox.sweep_due() == 1
        run_worker()
        assert outbox.sweep_due() == 0
    assert [m.to for m in mailoutbox[4:]] == [["retry_later@example.org"]]
    assert Email.objects.get(pk=email["retry_later"].pk).state == "sent"

    # A reminder already said, seen or not, is not said again for that follow-up, kind and due time.
    check_in.refresh_from_db()
    assert not notify.tell(check_in, people.mike, NoticeKind.DUE)
    assert not notify.tell(check_in, cast.bob, NoticeKind.OFFER)
    assert not notify.tell(check_in, people.ruth, NoticeKind.OVERDUE)
    assert Notice.objects.count() == 3 and Email.objects.count() == 7
    # ... while what was never said is (the check is of what was said, not of everything).
    assert notify.tell(check_in, people.mike, NoticeKind.REARRANGE)
    assert Notice.objects.count() == 4 and Email.objects.filter(kind="support", to="mike@example.org").count() == 1


def test_it_reverses_and_runs_again(before, cast, people):
    SupportEmail = before.get_model("support", "SupportEmail")
    SupportNotice = before.get_model("support", "SupportNotice")
    old_rows(before, cast, people)
    notice_fields = (*NOTICE_FIELDS, "follow_up_id", "kind", "for_due_at")
    old_emails = [fields(row, EMAIL_FIELDS) for row in SupportEmail.objects.order_by("id")]
    old_notices = [fields(row, notice_fields) for row in SupportNotice.objects.order_by("id")]

    migrate(AFTER)
    assert Email.objects.count() == 7 and Notice.objects.count() == 3
    apps = migrate(BEFORE)

    SupportEmail = apps.get_model("support", "SupportEmail")
    SupportNotice = apps.get_model("support", "SupportNotice")
    assert [fields(row, EMAIL_FIELDS) for row in SupportEmail.objects.order_by("id")] == old_emails
    assert [fields(row, notice_fields) for row in SupportNotice.objects.order_by("id")] == old_notices
    assert not Email.objects.exists() and not Notice.objects.exists()

    migrate(AFTER)
    assert Email.objects.count() == 7 and Notice.objects.count() == 3


def test_old_notices_that_would_share_a_key_keep_one_open(before, cast):
    """The old constraint let two notices with no follow-up through (NULLs differ); one open notice per
    key is the new rule, so the newer stays open and the older is closed when the newer was said."""
    SupportNotice = before.get_model("support", "SupportNotice")
    now = timezone.now()
    said = [now - dt.timedelta(days=2), now - dt.timedelta(days=1)]
    for when in said:
        row = SupportNotice.objects.create(recipient_id=cast.bob.pk, kind="due", text="t", url="/support/me/")
        SupportNotice.objects.filter(pk=row.pk).update(created_at=when)

    migrate(AFTER)

    assert [(n.key, n.about_id, n.created_at, n.closed_at) for n in Notice.objects.order_by("id")] == [
        ("support.due:", None, said[0], said[1]), ("support.due:", None, said[1], None)]
