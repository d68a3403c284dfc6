"""`manage.py worker`: Harbour's background worker, as production runs it (compose.yaml).

django-tasks' `db_worker`, with every option it has, plus the sweep (core/worker.py) every minute, so
timed work a killed worker left undone is found from the domain's own state and done, once.
"""

from __future__ import annotations

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from core.worker import Sweeper


class Command(DbWorkerCommand):
    help = "Run the background worker: due tasks as they come, and a sweep for lost work every minute."

    def handle(self, *args, **options):
        # With autoreload, the process that watches files is not the one that works: sweep in the worker.
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            Sweeper().start()
        return super().handle(*args, **options)
