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
