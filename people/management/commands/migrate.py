"""`manage.py migrate`, as Django's, after one step that moving people to an app of their own needs.

Django's admin names the user model's app as a dependency of its first migration. When the user model
moved from the spine (incidents) to people/, a database made before the move holds the admin's migration
as applied but not people's first, and Django refuses to migrate such a history as inconsistent. People's
first migration changes nothing in the database (people/migrations/0001_initial.py: its models' tables are
the spine's, made by incidents' first migration), so on a database where the spine's first migration is
applied, recording it as applied is exactly what running it would do. This does that, once, before
Django's own migrate runs; on any other database it does nothing. `--plan` and `--check` record it too:
without it Django cannot read such a history at all, even to show a plan, and the row changes no table.
"""

from __future__ import annotations

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

MOVED = ("people", "0001_initial")
MADE_THE_TABLES = ("incidents", "0001_initial")


def record_the_move(database: str = DEFAULT_DB_ALIAS) -> bool:
    """Record people's first migration as applied where the spine made its tables. True if it did."""
    recorder = MigrationRecorder(connections[database])
    if not recorder.has_table():
        return False
    applied = recorder.applied_migrations()
    if MOVED in applied or MADE_THE_TABLES not in applied:
        return False
    recorder.record_applied(*MOVED)
    return True


class Command(migrate.Command):
    help = migrate.Command.help

    def handle(self, *args, **options):
        if record_the_move(options["database"]) and options["verbosity"] >= 1:
            self.stdout.write("People moved out of the spine: their first migration is recorded as applied "
                              "(it changes no table).")
        return super().handle(*args, **options)
