"""Communications' outbox and its notices move to the ground floor's two tables (core/models.py).

Every `comms.OutboundEmail` becomes a `core.Email`: a released message's deliveries of kind "comms.delivery",
the emails to staff about a message (`notice`) of kind "comms.notice", `about_id` the message. Every
`comms.UndeliveredNotice` becomes a `core.Notice` of kind "comms.undelivered" keyed as core/notices.py keys
it ("comms.undelivered:<message id>"), so an open one still stops the same failure being told twice.

Each row keeps what it was: its state (a sent email is not sent again, a failed one stays failed, with why),
its tries, its next attempt, when it was written (`created_at`: auto_now_add sets it on insert, so it is put
back afterwards with bulk_update, which does not call pre_save). The new rows have new ids, the core tables
being every wing's.

The old send task's runs still waiting ("comms.tasks.send_email", which no longer exists) name the old ids:
they are marked failed, saying why. The emails they were for are waiting in the one outbox, written longer
ago than a sweep, so the outbox's sweep (core/outbox.py `sweep_due`) hands each to the one send task.

Backwards, the communications' rows of the ground floor's tables go back into the recreated tables (and
leave the ground floor's), and the one send task's waiting runs for them are marked failed in turn: the
old sweep hands their emails on.
"""

from django.db import migrations
from django.utils import timezone

DELIVERY, NOTICE, UNDELIVERED = "comms.delivery", "comms.notice", "comms.undelivered"
OLD_SEND_TASK, NEW_SEND_TASK = "comms.tasks.send_email", "core.tasks.send_email"
MOVED = "harbour.outbox.Moved"
BATCH = 500


def batches(queryset):
    batch = []
    for row in queryset.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy(rows, model, db, make) -> list:
    """Insert a copy of each row (`make(row)`), then give each copy its row's `created_at`."""
    copies = model.objects.using(db).bulk_create([make(row) for row in rows])
    if copies and copies[0].pk is None:
        raise RuntimeError("The database must return the ids of the rows it inserts.")
    for made, row in zip(copies, rows, strict=True):
        made.created_at = row.created_at
    model.objects.using(db).bulk_update(copies, ["created_at"])
    return copies


def fail_waiting_sends(apps, db, task_path: str, why: str, only: set | None = None) -> None:
    """Mark the waiting runs of a send task failed, saying why (only those for these email ids, if given)."""
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    waiting = DBTaskResult.objects.using(db).filter(task_path=task_path, status="READY")
    if only is not None:
        ids = [pk for pk, args_kwargs in waiting.values_list("pk", "args_kwargs")
               if ((args_kwargs or {}).get("args") or [None])[0] in only]
        waiting = DBTaskResult.objects.using(db).filter(pk__in=ids)
    waiting.update(status="FAILED", finished_at=timezone.now(), exception_class_path=MOVED, traceback=why)


def to_the_ground_floor(apps, schema_editor):
    db = schema_editor.connection.alias
    OutboundEmail = apps.get_model("comms", "OutboundEmail")
    UndeliveredNotice = apps.get_model("comms", "UndeliveredNotice")
    Email = apps.get_model("core", "Email")
    Notice = apps.get_model("core", "Notice")
    for rows in batches(OutboundEmail.objects.using(db)):
        copy(rows, Email, db, lambda e: Email(
            kind=NOTICE if e.notice else DELIVERY, about_id=e.message_id, recipient_id=e.recipient_id, to=e.to,
            subject=e.subject, body=e.body, state=e.state, attempts=e.attempts, next_attempt_at=e.next_attempt_at,
            last_error=e.last_error, sent_at=e.sent_at))
    for rows in batches(UndeliveredNotice.objects.using(db)):
        copy(rows, Notice, db, lambda n: Notice(
            recipient_id=n.recipient_id, kind=UNDELIVERED, key=f"{UNDELIVERED}:{n.message_id}", about_id=n.message_id,
            url=f"/messages/{n.message_id}/#deliveries", closed_at=n.closed_at, closed_by_id=n.closed_by_id))
    fail_waiting_sends(apps, db, OLD_SEND_TASK,
                       "Not run: this email moved to the one outbox (core.models.Email), with a new id. It is sent "
                       "from there: the outbox's sweep hands it to the one send task, core.send_email.")


def back_to_comms(apps, schema_editor):
    db = schema_editor.connection.alias
    OutboundEmail = apps.get_model("comms", "OutboundEmail")
    UndeliveredNotice = apps.get_model("comms", "UndeliveredNotice")
    Message = apps.get_model("comms", "Message")
    Email = apps.get_model("core", "Email")
    Notice = apps.get_model("core", "Notice")
    messages = Message.objects.using(db).values("pk")
    moved = set()
    emails = Email.objects.using(db).filter(kind__in=[DELIVERY, NOTICE], about_id__in=messages)
    for rows in batches(emails):
        copy(rows, OutboundEmail, db, lambda e: OutboundEmail(
            message_id=e.about_id, notice=e.kind == NOTICE, recipient_id=e.recipient_id, to=e.to,
            subject=e.subject, body=e.body, state=e.state, attempts=e.attempts, next_attempt_at=e.next_attempt_at,
            last_error=e.last_error, sent_at=e.sent_at))
        moved.update(e.pk for e in rows)
    Email.objects.using(db).filter(pk__in=moved).delete()
    notices = Notice.objects.using(db).filter(kind=UNDELIVERED, about_id__in=messages)
    for rows in batches(notices):
        copy(rows, UndeliveredNotice, db, lambda n: UndeliveredNotice(
            message_id=n.about_id, recipient_id=n.recipient_id, closed_at=n.closed_at, closed_by_id=n.closed_by_id))
    notices.delete()
    fail_waiting_sends(apps, db, NEW_SEND_TASK,
                       "Not run: this email moved back to communications' own outbox, with a new id. Its sweep "
                       "hands it to comms.send_email.", only=moved)


class Migration(migrations.Migration):

    dependencies = [
        ("comms", "0010_part_confirmation_text_kinds"),
        ("core", "0001_outbox_and_notices"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(to_the_ground_floor, back_to_comms),
        migrations.DeleteModel(name="OutboundEmail"),
        migrations.DeleteModel(name="UndeliveredNotice"),
    ]
