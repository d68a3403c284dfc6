"""Background work for communications: embargoed releases and the email outbox. Each task is one call of
a service (which re-reads the current state and does nothing if it has moved on, so late or repeated runs
are harmless); services queue them by the names comms/apps.py declares."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def release_scheduled(message_id: int) -> str:
    return services.scheduled_release_due(message_id)


@task()
def send_email(email_id: int) -> str:
    return services.email_send_attempt(email_id)
