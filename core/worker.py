"""Timed work that survives crashes: the sweep.

Work is enqueued as a task for the moment it falls due (an embargo, an email retry, a decision's review).
A worker killed mid-task leaves that task's row marked running for ever and its work undone, so the task
rows are not the record of what is owed: the domain is. Every minute each worker sweeps. Each wing's
`sweep_due()` finds from its own state what is due and not done (a message still scheduled past its
embargo, an email waiting past its retry time, a review not yet announced) and does it, through the same
idempotent steps the tasks use, which re-check under a row lock, so several workers sweeping at once, or
a task and a sweep together, do the work once. Task rows abandoned by a stopped worker are retired.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("harbour.worker")

_SWEEPS: dict[str, Callable[[], int]] = {}

ABANDONED = "harbour.worker.AbandonedTask"

# --- tasks by name ---------------------------------------------------------------------------------------
#
# A task is one call of a service, so a wing's tasks import its services; a service that schedules work
# names the task instead of importing it (as Zulip's actions queue events by the queue's name), and each
# wing declares its tasks' names from its AppConfig.ready(). No circle between services and tasks.
_TASKS: dict[str, Any] = {}


def declare_tasks(tasks: dict[str, Any]) -> None:
    """A wing's tasks by name ("comms.send_email"); a name declared for two tasks is a mistake."""
    for name, task in tasks.items():
        if _TASKS.get(name, task) is not task:
            raise ImproperlyConfigured(f"Two tasks are declared as {name!r}.")
        _TASKS[name] = task


def task_named(name: str):
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"No task is declared as {name!r}: its app declares it in AppConfig.ready().") from None


def enqueue(name: str, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Queue the task declared as `name`, now or at `run_after`."""
    task = task_named(name)
    (task.using(run_after=run_after) if run_after is not None else task).enqueue(*args)


def register_sweep(sweep_due: Callable[[], int], name: str | None = None) -> None:
    """Each wing registers its sweep (`services.sweep_due`) from its AppConfig.ready(), named by its wing
    ("clocks"), or by the function too where a wing has two (a `sweep_reviews` of incidents' would be
    "incidents.sweep_reviews")."""
    if name is None:
        wing = sweep_due.__module__.split(".")[0]
        name = wing + ("" if sweep_due.__name__ == "sweep_due" else f".{sweep_due.__name__}")
    if _SWEEPS.get(name, sweep_due) is not sweep_due:
        raise ImproperlyConfigured(f"Two sweeps are registered as {name!r}.")
    _SWEEPS[name] = sweep_due


def retire_abandoned_tasks() -> int:
    """Task rows still marked running long after they started belonged to a worker that stopped (killed,
    or its machine restarted). Mark them failed, saying so; the sweep has redone their work from the
    domain's own state, or will."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(seconds=settings.HARBOUR_TASK_ABANDONED_SECONDS)
    retired = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(), exception_class_path=ABANDONED,
        traceback="The worker running this task stopped before it finished. The sweep does its work from the "
                  "domain's own state, so nothing is lost.",
    )
    if retired:
        logger.warning("Retired %s task(s) abandoned by a worker that stopped.", retired)
    return retired


def waiting(task) -> set:
    """The first argument of every run of `task` that is queued or running (a retired, abandoned run is
    neither), so that a sweep hands on only what has no run waiting. Without it a release to a thousand
    people, its emails queued faster than one worker sends them, was queued again at every sweep."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task.get_backend(), DatabaseBackend):
        return set()  # a backend that runs tasks at once (tests) leaves nothing waiting
    rows = DBTaskResult.objects.filter(
        task_path=task.module_path, status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    ).values_list("args_kwargs", flat=True)
    return {(row.get("args") or [None])[0] for row in rows}


def sweep() -> dict[str, int]:
    """One sweep: retire abandoned task rows, then let each wing do what is due and not done."""
    done = {"abandoned": retire_abandoned_tasks()}
    for name, sweep_due in _SWEEPS.items():
        try:
            done[name] = sweep_due()
        except Exception:  # one wing's failure must not stop the others; the next sweep tries again
            logger.exception("The %s sweep failed; it runs again in a minute.", name)
    if any(done.values()):
        logger.info("Sweep: %s", done)
    return done


class Sweeper(threading.Thread):
    """Sweeps once at start (a restarted worker catches up at once), then every HARBOUR_SWEEP_SECONDS."""

    def __init__(self, interval: float | None = None):
        super().__init__(name="harbour-sweeper", daemon=True)
        self.interval = interval if interval is not None else settings.HARBOUR_SWEEP_SECONDS
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                sweep()
            except Exception:  # the database may be restarting: try again next time
                logger.exception("Sweep failed; trying again in %ss.", self.interval)
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()


def sweep_every(interval: float) -> Callable[[], bool]:
    """For a loop that already runs (the in-process worker of `manage.py serve`): call it each pass; it
    sweeps when a sweep is due, and says whether it did."""
    last = [0.0]

    def maybe() -> bool:
        if time.monotonic() - last[0] < interval:
            return False
        last[0] = time.monotonic()
        sweep()
        return True

    return maybe
