"""The clocks' reminders and their emails move to the one notice table and the one outbox (core).

Each Reminder becomes a Notice of kind "clocks.<kind>" keyed by its obligation and the due time it was
said for, so a reminder already said is not said again; each IncidentEmail becomes an Email of kind
"clocks" in the state it was in, so nothing sent is sent again and nothing waiting is lost: the old send
task's queued runs are retired and the outbox's sweep hands the waiting emails to the one send task."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

OLD_TASK = "incidents.tasks.send_incident_email"
MOVED = "harbour.outbox.Moved"
EMAIL_FIELDS = ("recipient_id", "to", "subject", "body", "state", "attempts", "next_attempt_at", "last_error",
                "sent_at")


def notice_key(kind, about_id, when):  # as core.notices.key makes it, written out: a migration keeps its own
    occasion = "" if when is None else f"@{int(when.timestamp())}"
    return f"{kind}:{'' if about_id is None else about_id}{occasion}"


def carry(old_rows, make, model):
    """Insert the new rows, then put back each one's created_at (bulk_create sets it to now)."""
    old_rows = list(old_rows)
    made = model.objects.bulk_create([make(row) for row in old_rows], batch_size=500)
    for new, old in zip(made, old_rows, strict=True):
        new.created_at = old.created_at
    model.objects.bulk_update(made, ["created_at"], batch_size=500)


def forward(apps, schema_editor):
    Reminder, IncidentEmail = apps.get_model("incidents", "Reminder"), apps.get_model("incidents", "IncidentEmail")
    Notice, Email = apps.get_model("core", "Notice"), apps.get_model("core", "Email")
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    carry(Reminder.objects.order_by("pk"), lambda r: Notice(
        recipient_id=r.recipient_id, kind=f"clocks.{r.kind}", about_id=r.obligation_id, text=r.text,
        key=notice_key(f"clocks.{r.kind}", r.obligation_id, r.for_due_at)), Notice)
    carry(IncidentEmail.objects.order_by("pk"), lambda e: Email(
        kind="clocks", **{field: getattr(e, field) for field in EMAIL_FIELDS}), Email)
    DBTaskResult.objects.filter(task_path=OLD_TASK, status="READY").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path=MOVED,
        traceback="This email moved to Harbour's one outbox; its sweep hands it to the one send task.")


def backward(apps, schema_editor):
    Reminder, IncidentEmail = apps.get_model("incidents", "Reminder"), apps.get_model("incidents", "IncidentEmail")
    Notice, Email = apps.get_model("core", "Notice"), apps.get_model("core", "Email")
    notices = Notice.objects.filter(kind__startswith="clocks.").order_by("pk")
    carry(notices, lambda n: Reminder(
        recipient_id=n.recipient_id, obligation_id=n.about_id, kind=n.kind.removeprefix("clocks."), text=n.text,
        for_due_at=dt.datetime.fromtimestamp(int(n.key.rsplit("@", 1)[1]), dt.UTC)), Reminder)
    emails = Email.objects.filter(kind="clocks").order_by("pk")
    carry(emails, lambda e: IncidentEmail(**{field: getattr(e, field) for field in EMAIL_FIELDS}), IncidentEmail)
    notices.delete()
    emails.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0009_api_token_name_one_line"),
        ("core", "0001_outbox_and_notices"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="IncidentEmail"),
        migrations.DeleteModel(name="Reminder"),
    ]
