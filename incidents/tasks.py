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


def sweep_due() -> int:
    """Review reminders that are due and not yet said, found from the decision log itself, so a reminder
    whose task was lost (a worker killed mid-run, a restart) is still said, once. Returns how many."""
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    # The reminder names its decision in its data; compared as text, which PostgreSQL and SQLite share.
    said = TimelineEvent.objects.filter(incident=OuterRef("incident"), type=EventType.DECISION_REVIEW_DUE).annotate(
        decision_key=KeyTextTransform("decision", "data")).filter(decision_key=Cast(OuterRef("pk"), CharField()))
    due = (Decision.objects.filter(review_at__lte=timezone.now())
           .exclude(Exists(Decision.objects.filter(corrects=OuterRef("pk"))))
           .exclude(Exists(said)).values_list("pk", flat=True))
    return sum(decision_review_due.call(pk) == "said" for pk in due)
