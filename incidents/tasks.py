"""Timed and background work for incidents (django-tasks, run by `db_worker` or `manage.py serve`).

Tasks re-read the current state and do nothing if it has moved on, so a late or repeated run is harmless.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Decision, EventType, TimelineEvent


@task()
def decision_review_due(decision_id: int) -> str:
    """When a decision's review time arrives, say so once on the incident's timeline."""
    with transaction.atomic():
        entry = Decision.objects.select_for_update().select_related("incident").filter(pk=decision_id).first()
        if entry is None or entry.review_at is None:
            return "gone"
        if entry.review_at > timezone.now():
            return "not yet"  # enqueued early (clock change); the scheduled run will come
        if entry.corrections.exists():
            return "corrected"  # the correcting entry carries its own review time
        already = TimelineEvent.objects.filter(
            incident=entry.incident, type=EventType.DECISION_REVIEW_DUE, data__decision=entry.pk
        ).exists()
        if already:
            return "already said"
        from .services import record_event

        record_event(
            incident=entry.incident,
            actor=None,
            type=EventType.DECISION_REVIEW_DUE,
            summary=f"Decision {entry.number} is due for review.",
            data={"decision": entry.pk, "number": entry.number},
        )
    return "said"
