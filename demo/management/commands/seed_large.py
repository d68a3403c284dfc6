"""`manage.py seed_large`: a large organisation for benchmarks, loaded on top of the demo (`seed_demo`).

At `--scale 1`: 2,000 staff in 40 teams, 1,000 incidents, 200,000 timeline events and 5,000 messages. The
lead (`--lead`, dhughes by default) leads a *large* incident (20,000 events, 10,000 decisions, 1,000
messages, 200 members) and a *small* one of the same kind of story (20 events, 10 decisions, 5 messages,
3 members), and has about 1,000 briefings in her inbox, so a page can be timed small against large. As in
the large incident, about half of every incident's events are decisions (some 100,000 in all).

The services take a transaction and several queries per row, far too slow for this, so the rows are
written with bulk_create in batches. They are the rows the services would have written, though: the same
timeline events with the same summaries and data, decision numbers in recording order, a version row for
every text of a message, approvals only from people who may give them, inbox items for exactly the people
a release reaches, and a django-simple-history row for every save of an audited model, since the History
panel reads those. Everything is back-dated and told in order, so a timeline event's id grows with its
time. Nothing is left for the worker: every review reminder that is due has been said, no email waits in
the outbox and a scheduled message's embargo is in the future.

Run it once, on a migrated database with the demo data; a second run is refused. The last line of output
is one JSON object: the two incidents, the lead, what was written and how long it took.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from comms.models import (
    Approval,
    FamilyInformed,
    InboxItem,
    Message,
    MessageVersion,
    ReviewComment,
)
from core.actors import memberships_changed
from demo.large import Seeder
from demo.large_rows import stamps_as_given
from demo.large_words import LARGE_TITLE
from incidents.models import Incident, Membership
from people.models import OrgRole, User


class Command(BaseCommand):
    help = "Add a large organisation for benchmarks to a demo database (once): see the module docstring."

    def add_arguments(self, parser):
        parser.add_argument("--not-live", action="store_true",
                            help="Run with DEBUG off: say so only for a throw-away database.")
        parser.add_argument("--scale", type=float, default=1.0, help="Multiplies every count (default 1.0).")
        parser.add_argument("--lead", default="dhughes", help="Username of the senior leader who leads the large "
                            "and the small incident (default dhughes, the demo lead).")

    def handle(self, *args, scale: float, lead: str, **options):
        if not settings.DEBUG and not options.get("not_live"):
            raise CommandError(
                "seed_large makes 2,000 accounts with the published demo password: it runs only with DEBUG on "
                "(or --not-live, for a test database), never on a live Harbour.")
        if not 0 < scale <= 100:
            raise CommandError("--scale must be more than 0 and at most 100.")
        if Incident.objects.filter(title=LARGE_TITLE).exists():
            raise CommandError(
                f"seed_large has already run on this database: the incident “{LARGE_TITLE}” exists. "
                "Start from a fresh database (migrate, seed_demo, then seed_large)."
            )
        person = User.objects.filter(username=lead, is_active=True).first()
        if person is None:
            raise CommandError(f"There is no active user “{lead}”. Run seed_demo first, or name another --lead.")
        if not person.groups.filter(name=OrgRole.SENIOR_LEADER).exists():
            raise CommandError(f"{lead} is not a senior leader, and only a senior leader can lead an incident.")
        started = time.monotonic()
        seeder = Seeder(scale, person, self.stdout if options["verbosity"] > 0 else None)
        with transaction.atomic(), stamps_as_given(Incident, Membership, Message, MessageVersion, Approval,
                                                   ReviewComment, InboxItem, FamilyInformed):
            seeder.run()
        memberships_changed()
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would soon give them, so the first benchmark is not planned
            # against empty tables.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts = seeder.counts()
        result = {"large_incident": seeder.large.pk, "small_incident": seeder.small.pk, "lead": person.username,
                  "counts": counts, "seconds": round(time.monotonic() - started, 1)}
        self.stdout.write(json.dumps(result))


