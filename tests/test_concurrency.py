"""Two leaders opening incidents at the same moment still get distinct, sequential references.
Real concurrency needs a real server: this runs on PostgreSQL (the production configuration)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from incidents import services
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
