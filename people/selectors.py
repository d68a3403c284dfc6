"""Finding people: the staff search behind every "choose a person" field."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import User


def people_matching(query: str, limit: int = 20, leaving_out: QuerySet | None = None) -> list[User]:
    """Active staff whose name or username contains what was typed (the picker's "username — name" too),
    leaving out the people whose ids `leaving_out` selects (an incident's members, say)."""
    query = query.split(" — ")[0].strip()[:100]
    if len(query) < 2:
        return []
    people = User.objects.filter(is_active=True).filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if leaving_out is not None:
        people = people.exclude(pk__in=leaving_out)
    return list(people.select_related("team").only("username", "full_name", "team__name").order_by("full_name", "username")[:limit])
