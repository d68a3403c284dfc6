"""Timed work for staff support (support/reminders.py says what each does and why it is said once). Each
task is one call of a service; services queue them by the names support/apps.py declares. Support's emails
are sent by the one outbox's task (core/tasks.py)."""

from __future__ import annotations

from django_tasks import task

from . import reminders


@task()
def follow_up_due(follow_up_id: int) -> str:
    return reminders.follow_up_remind(follow_up_id)
