"""Background work for communications: embargoed releases and the email outbox.

Both re-read the current state and do nothing if it has moved on, so late or repeated runs are harmless.
"""

from __future__ import annotations

from django_tasks import task


@task()
def release_scheduled(message_id: int) -> str:
    from .services import scheduled_release_due

    return scheduled_release_due(message_id)


@task()
def send_email(email_id: int) -> str:
    from .services import email_send_attempt

    return email_send_attempt(email_id)


def sweep_due() -> int:
    """Timed work that is due and not done, found from the messages and the outbox themselves, so work
    whose task was lost (a worker killed mid-run, a restart) is done after all, and only once: embargoed
    messages past their time are released (or held) here; emails waiting past their retry time, or whose
    sender's claim lapsed, are handed to a send task again. Each step re-checks under a row lock, so
    several workers sweeping at once, or a duplicate task, do it once."""
    from django.utils import timezone

    from core import outbox

    from .models import Message, MessageStatus, OutboundEmail
    from .services import scheduled_release_due

    now = timezone.now()
    done = 0
    for pk in Message.objects.filter(status=MessageStatus.SCHEDULED, release_at__lte=now).values_list("pk", flat=True):
        outcome = scheduled_release_due(pk)  # released, or held with the reason told once
        done += outcome == "released" or outcome.startswith("held")
    emails = outbox.due(OutboundEmail, now, send_email)
    # Sending is the task's work, not the sweep's: a slow mail server must not hold up the next embargo.
    for pk in emails:
        send_email.enqueue(pk)
        done += 1
    return done
