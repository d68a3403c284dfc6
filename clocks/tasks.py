"""Timed work for the statutory clocks (django-tasks, run by `db_worker` or `manage.py serve`). A task is
one call of a service, which re-reads the current state and does nothing if it has moved on, so a late or
repeated run is harmless. The sweep finds every reminder due from the obligations themselves
(services.sweep_due) and says it there; this task says one obligation's, by the name clocks/apps.py
declares."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def obligation_remind(obligation_id: int) -> str:
    return services.obligation_remind(obligation_id)
