"""Background work for communications: embargoed releases (their emails are sent by the one outbox's task,
core/tasks.py). Each task is one call of a service (which re-reads the current state and does nothing if it
has moved on, so late or repeated runs are harmless); services queue them by the names comms/apps.py
declares."""

from __future__ import annotations

from django_tasks import task

from . import releases


@task()
def release_scheduled(message_id: int) -> str:
    return releases.scheduled_release_due(message_id)
