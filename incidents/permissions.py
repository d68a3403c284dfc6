"""Need to know, in one place.

`get_incident_for` is the only way pages, the API and sockets fetch an incident for a person: it answers
404 when the incident is not visible to them (a restricted incident does not exist for outsiders) and 403
when they can see it but may not do what they asked.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Incident, MemberRole, Membership


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"  # change the incident's details
    TRANSITION = "transition"  # move its status
    MANAGE_MEMBERS = "manage_members"
    RECORD_DECISION = "record_decision"


COMMAND_ROLES = frozenset({MemberRole.LEAD, MemberRole.TACTICAL_LEAD})

# What each workspace role may do beyond viewing. Observers, and senior leaders looking at an unrestricted
# incident they are not a member of, may only view.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    MemberRole.LEAD: frozenset(Action),
    MemberRole.TACTICAL_LEAD: frozenset(Action),
    MemberRole.COMMS_LEAD: frozenset({Action.VIEW, Action.RECORD_DECISION}),
    MemberRole.WELLBEING_LEAD: frozenset({Action.VIEW, Action.RECORD_DECISION}),
    MemberRole.MEMBER: frozenset({Action.VIEW, Action.RECORD_DECISION}),
    MemberRole.OBSERVER: frozenset({Action.VIEW}),
}


def membership_of(user, incident: Incident) -> Membership | None:
    """The person's active membership of the incident, cached on the incident for the request."""
    if not user or not user.is_authenticated:
        return None
    cache = incident.__dict__.setdefault("_memberships_by_user", {})
    if user.pk not in cache:
        cache[user.pk] = incident.memberships.active().filter(user=user).first()
    return cache[user.pk]


def can_view(user, incident: Incident) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if membership_of(user, incident) is not None:
        return True
    return not incident.restricted and user.is_senior_leader


def allowed_actions(user, incident: Incident) -> frozenset[Action]:
    if not can_view(user, incident):
        return frozenset()
    membership = membership_of(user, incident)
    if membership is None:
        return frozenset({Action.VIEW})
    return ROLE_ACTIONS[membership.role]


def can(user, incident: Incident, action: Action) -> bool:
    return action in allowed_actions(user, incident)


def check(user, incident: Incident, action: Action) -> None:
    """Raise 404 if the incident is invisible to the person, 403 if visible but the action is not theirs."""
    if not can_view(user, incident):
        raise Http404("No such incident.")
    if not can(user, incident, action):
        raise PermissionDenied(_REFUSALS.get(action, "You do not have permission to do that in this incident."))


_REFUSALS = {
    Action.EDIT: "Only the incident's lead or tactical lead can change its details.",
    Action.TRANSITION: "Only the incident's lead or tactical lead can change its status.",
    Action.MANAGE_MEMBERS: "Only the incident's lead or tactical lead can add or remove members.",
    Action.RECORD_DECISION: "Observers and people outside the incident cannot record decisions.",
}


def can_open_incident(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_senior_leader)


MAX_ID = 2**63 - 1  # the largest primary key a database column holds


def parse_id(value) -> int | None:
    """A primary key from user input, or None if it cannot be one (not a number, or out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


def get_incident_for(user, pk, action: Action = Action.VIEW, *, for_update: bool = False) -> Incident:
    """Fetch an incident the person may act on. `for_update` locks the row (call inside a transaction)."""
    pk = parse_id(pk)
    if pk is None:
        raise Http404("No such incident.")
    queryset = Incident.objects.all()
    if for_update:
        queryset = queryset.select_for_update()
    incident = queryset.filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident.")
    check(user, incident, action)
    return incident
