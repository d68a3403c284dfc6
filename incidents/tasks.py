"""Timed and background work for incidents (django-tasks, run by `db_worker` or `manage.py serve`). Each
task is one call of a service, which re-reads the current state and does nothing if it has moved on, so a
late or repeated run is harmless; services queue them by the names incidents/apps.py declares."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def decision_review_due(decision_id: int) -> str:
    return services.decision_review_remind(decision_id)
