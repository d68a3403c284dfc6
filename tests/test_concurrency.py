"""Two leaders opening incidents at the same moment still get distinct, sequential references.
Real concurrency needs a real server: this runs on PostgreSQL (the production configuration)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from incidents import services
from incidents.membership import member_remove
from incidents.models import Incident

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)")
def test_concurrent_opening_gives_distinct_references(cast):
    count = 12
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def open_one(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            now = timezone.now()
            services.incident_open(
                actor=cast.alice, title=f"Concurrent {n}", kind="other", severity="moderate",
                occurred_at=now - dt.timedelta(hours=1), aware_at=now - dt.timedelta(minutes=30), summary="s",
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    numbers = sorted(int(ref[-4:]) for ref in Incident.objects.values_list("reference", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + count))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (make test-production runs it)")
def test_someone_removed_while_waiting_for_the_incident_is_refused(cast, incident):
    """Bob's page was shown (his membership read and remembered), then he records a decision just as the
    lead removes him. His write waits for the lead's lock; once it has the row it must see he is gone."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.http import Http404

    from incidents import selectors
    from incidents.models import Decision

    selectors.incident_for(cast.bob, incident.pk)  # the page he is looking at
    removing, removed = threading.Event(), threading.Event()
    outcome: list[object] = []

    def remove_bob() -> None:
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                removing.set()
                member_remove(actor=cast.alice, incident_id=incident.pk, username="bob", reason="r")
                time.sleep(0.5)  # Bob's write is waiting on the row meanwhile
        finally:
            removed.set()
            close_old_connections()

    def record() -> None:
        removing.wait(timeout=10)
        try:
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="d", rationale="r")
            outcome.append("recorded")
        except (Http404, PermissionDenied) as refusal:
            outcome.append(type(refusal).__name__)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=remove_bob), threading.Thread(target=record)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome == ["Http404"] and not Decision.objects.filter(incident=incident).exists()
