"""Support's emails and notices move to the ground floor's one outbox and one notice table (core 0001), and
support's own tables go.

- Every `SupportEmail` becomes a `core.Email` of kind "support", field for field: where it stands (a sent
  email stays sent and is never sent again; a failed one stays failed), its tries, its error, when it was
  written. One waiting to be sent (pending, or sending under a claim that has lapsed) is found by the
  outbox's sweep and handed to the one send task, `core.send_email`: written longer than a sweep ago,
  or its retry or claim past its time, as the outbox does for every email whose task was lost.
- Every `SupportNotice` becomes a `core.Notice` of kind "support.<kind>" about its follow-up, keyed by the
  follow-up and the due time it was said for, as core/notices.py `key` makes it (the formula is written out
  here: a migration must not change with the code). It is open, as support never closes one, so what was
  said is not said again; when it was said and whether it was seen are kept.
- Runs of support's old send task still waiting (`support.tasks.send_support_email`, a task that no longer
  exists) are marked failed, saying where their email went, so no worker tries to run them.

`created_at` is written after the rows (bulk_update): `auto_now_add` would give every copy the moment of the
migration, and an email written long ago would then wait a sweep longer than it should.

Reversible: backwards copies support's emails and notices back to its own tables and takes them out of the
core ones (the old task's runs stay failed: support's old sweep finds its waiting emails again).
"""

import datetime as dt
from itertools import pairwise

from django.db import migrations
from django.utils import timezone

EMAIL_KIND = "support"
NOTICE_PREFIX = "support."
OLD_SEND_TASK = "support.tasks.send_support_email"
MOVED = "harbour.outbox.Moved"
MOVED_WORDS = ("Support's outbox moved to the one outbox (core.models.Email, kind \"support\") in migration "
               "support 0009, and this email with it. The outbox's sweep hands it to the one send task "
               "(core.send_email), which sends it once; nothing is lost.")
BATCH = 1000
EMAIL_FIELDS = ("recipient_id", "to", "subject", "body", "calendar", "calendar_method", "urgent", "state",
                "attempts", "next_attempt_at", "last_error", "sent_at")


def notice_key(kind, about_id, when):
    """core.notices.key, as it was when this migration was written."""
    occasion = "" if when is None else f"@{int(when.timestamp())}"
    return f"{kind}:{'' if about_id is None else about_id}{occasion}"


def batches(queryset):
    batch = []
    for row in queryset.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_rows(model, pairs):
    """Insert the copies, then give each the `created_at` of its original (which bulk_create cannot)."""
    copies = model.objects.bulk_create([copy for _, copy in pairs])
    if copies and copies[0].pk is None:
        raise RuntimeError("The database must return the ids of the rows it inserts.")
    for (original, _), copy in zip(pairs, copies, strict=True):
        copy.created_at = original.created_at
    model.objects.bulk_update(copies, ["created_at"], batch_size=BATCH)
    return copies


def superseded(SupportNotice):
    """One open notice per person and key (core's notice_once). Support's old rows were one per person,
    follow-up, kind and due time, so two share a key only where the old constraint let a NULL through or
    two due times fall in one second: the newest stays open, and each older one is closed when the next
    was said. {old notice's id: when it is closed}."""
    said = {}
    rows = SupportNotice.objects.values_list("pk", "recipient_id", "kind", "follow_up_id", "for_due_at", "created_at")
    for pk, recipient_id, kind, follow_up_id, for_due_at, created_at in rows.iterator(chunk_size=BATCH):
        key = notice_key(NOTICE_PREFIX + kind, follow_up_id, for_due_at)
        said.setdefault((recipient_id, key), []).append((created_at, pk))
    closed = {}
    for times in said.values():
        times.sort()
        for (_, pk), (next_said, _) in pairwise(times):
            closed[pk] = next_said
    return closed


def forwards(apps, schema_editor):
    SupportEmail = apps.get_model("support", "SupportEmail")
    SupportNotice = apps.get_model("support", "SupportNotice")
    Email = apps.get_model("core", "Email")
    Notice = apps.get_model("core", "Notice")
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")

    for batch in batches(SupportEmail.objects.order_by("id")):
        copy_rows(Email, [(old, Email(kind=EMAIL_KIND, about_id=None, **{f: getattr(old, f) for f in EMAIL_FIELDS}))
                          for old in batch])

    closed = superseded(SupportNotice)
    for batch in batches(SupportNotice.objects.order_by("id")):
        pairs = []
        for old in batch:
            kind = NOTICE_PREFIX + old.kind
            pairs.append((old, Notice(recipient_id=old.recipient_id, kind=kind, about_id=old.follow_up_id,
                                      key=notice_key(kind, old.follow_up_id, old.for_due_at), text=old.text,
                                      url=old.url, seen_at=old.seen_at, closed_at=closed.get(old.pk))))
        copy_rows(Notice, pairs)

    DBTaskResult.objects.filter(task_path=OLD_SEND_TASK, status="READY").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path=MOVED, traceback=MOVED_WORDS)


def backwards(apps, schema_editor):
    SupportEmail = apps.get_model("support", "SupportEmail")
    SupportNotice = apps.get_model("support", "SupportNotice")
    FollowUp = apps.get_model("support", "FollowUp")
    Email = apps.get_model("core", "Email")
    Notice = apps.get_model("core", "Notice")

    emails = Email.objects.filter(kind=EMAIL_KIND)
    for batch in batches(emails.order_by("id")):
        copy_rows(SupportEmail, [(new, SupportEmail(**{f: getattr(new, f) for f in EMAIL_FIELDS})) for new in batch])
    emails.delete()

    notices = Notice.objects.filter(kind__startswith=NOTICE_PREFIX)
    for batch in batches(notices.order_by("id")):
        due = dict(FollowUp.objects.filter(pk__in={n.about_id for n in batch if n.about_id}).values_list("pk", "due_at"))
        pairs = []
        for new in batch:
            follow_up_id = new.about_id if new.about_id in due else None
            for_due_at = None
            if "@" in new.key:
                stamp = int(new.key.rsplit("@", 1)[1])
                # The key keeps whole seconds: the follow-up's own due time, where it is that one, exactly.
                current = due.get(follow_up_id)
                exact = current is not None and int(current.timestamp()) == stamp
                for_due_at = current if exact else dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
            pairs.append((new, SupportNotice(recipient_id=new.recipient_id, follow_up_id=follow_up_id,
                                             kind=new.kind.removeprefix(NOTICE_PREFIX), for_due_at=for_due_at,
                                             text=new.text, url=new.url, seen_at=new.seen_at)))
        copy_rows(SupportNotice, pairs)
    notices.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_outbox_and_notices"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("support", "0008_no_register_events_on_the_timeline"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="SupportEmail"),
        migrations.DeleteModel(name="SupportNotice"),
    ]
