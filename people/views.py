"""The staff search (an organisation's address book, as any of its staff may read it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .selectors import people_matching

# How many people a "choose a person" field suggests at once: a search, not a list of everyone.
CHOICES_SHOWN = 20


@login_required
@require_GET
def staff_search(request: HttpRequest) -> HttpResponse:
    """The staff search behind every "choose a person" field outside an incident's own pickers (a debrief's
    facilitator and invitees, a supporter, whoever a check-in is handed to): active staff by name, username
    and team, as an organisation's address book shows them to any of its staff. Nothing about incidents,
    support or roles: a name found here says only that the person works here."""
    return people_json(people_matching(request.GET.get("q", ""), CHOICES_SHOWN))


def people_json(people) -> JsonResponse:
    """The accessible autocomplete's suggestions (static/harbour/choose-people.js): the team tells two
    people with one name apart."""
    return JsonResponse([{"value": p.username, "label": p.display_name, "detail": p.team.name if p.team else ""}
                         for p in people], safe=False)
