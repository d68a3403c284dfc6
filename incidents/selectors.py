"""Every read of the incident workspace, shared by pages, the API, exports and sockets.

The getters come through the policy (incidents/policy.py), so what a person may not see does not exist
for them; the panels below take an incident already fetched that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .models import Decision, Incident, Membership, TimelineEvent, User
from .policy import Action, incidents
from .rules import Actor


def incident_for(actor: Actor, incident_id, action: Action = Action.VIEW) -> Incident:
    """The incident, as this person may see it: 404 if it does not exist for them. With an action (to show
    the form for it), 403 when they may see it but not do that."""
    return incidents.fetch(actor, action, incident_id, state=False)


def visible_incidents(actor: Actor) -> QuerySet[Incident]:
    """Every incident the person may see, newest first."""
    return incidents.restrict(actor, Action.VIEW).order_by("-opened_at", "-id")


def timeline(incident_id: int, *, after: int | None = None) -> QuerySet[TimelineEvent]:
    """Newest first; with `after`, only events with a larger id, oldest first (for catching up)."""
    events = TimelineEvent.objects.filter(incident_id=incident_id).select_related("actor")
    if after is not None:
        return events.filter(id__gt=after).order_by("id")
    return events.order_by("-id")


def decisions(incident: Incident) -> QuerySet[Decision]:
    """The decision log, newest decision first, each annotated with whether a later entry corrects it."""
    return (
        incident.decisions.select_related("decided_by", "recorded_by", "corrects")
        .annotate(is_corrected=Exists(Decision.objects.filter(corrects=OuterRef("pk"))))
        .order_by("-decided_at", "-number")
    )


def members(incident: Incident) -> QuerySet[Membership]:
    return incident.memberships.active().select_related("user", "user__team", "added_by").order_by("added_at", "id")


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    at: datetime
    user: str | None
    user_name: str
    model: str
    object: str
    action: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    def as_payload(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "user": self.user,
            "user_name": self.user_name,
            "model": self.model,
            "object": self.object,
            "action": self.action,
            "reason": self.reason,
            "changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in self.changes],
        }


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Bookkeeping fields that change on every save and say nothing a reader needs.
_SKIP_FIELDS = {"updated_at", "id"}


def _display(model, field_name: str, value: Any, names: dict[int, str]) -> Any:
    if value is None or value == "":
        return value
    model_field = model._meta.get_field(field_name)
    if model_field.is_relation and model_field.related_model is User:
        if value not in names:
            names[value] = User.objects.filter(pk=value).values_list("username", flat=True).first() or "unknown"
        return names[value]
    if model_field.is_relation:
        return value
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value


def _entries_for(records, label: str, describe, names: dict[int, str]) -> list[HistoryEntry]:
    entries = []
    previous_by_object: dict[int, Any] = {}
    for record in records:  # oldest first, so each record diffs against the one before it
        model = record.instance_type
        prev = previous_by_object.get(record.id)
        changes: list[FieldChange] = []
        if prev is not None and record.history_type == "~":
            # Tracked many-to-many fields are left out: diffing them costs two queries per record.
            skip = [*_SKIP_FIELDS, *(f.name for f in model._meta.many_to_many)]
            delta = record.diff_against(prev, excluded_fields=skip)
            for change in delta.changes:
                changes.append(FieldChange(
                    field=change.field,
                    label=str(model._meta.get_field(change.field).verbose_name),
                    old=_display(model, change.field, change.old, names),
                    new=_display(model, change.field, change.new, names),
                ))
        elif record.history_type == "+":
            for f in model._meta.concrete_fields:
                if f.name in _SKIP_FIELDS or f.name == "incident":
                    continue
                value = getattr(record, f.attname)
                if value not in (None, ""):
                    changes.append(FieldChange(
                        field=f.name, label=str(f.verbose_name), old=None, new=_display(model, f.name, value, names)
                    ))
        previous_by_object[record.id] = record
        if record.history_type == "~" and not changes:
            continue
        user = record.history_user
        entries.append(HistoryEntry(
            at=record.history_date,
            user=user.username if user else None,
            user_name=user.display_name if user else "Harbour",
            model=label,
            object=describe(record),
            action=_ACTIONS[record.history_type],
            reason=record.history_change_reason or "",
            changes=changes,
        ))
    return entries


@dataclass(frozen=True)
class HistorySource:
    """One kind of record shown in an incident's history: its audited model and how to name a row."""

    label: str
    records: Callable[[Incident], QuerySet]  # the historical rows belonging to the incident
    describe: Callable[[Incident], Callable[[Any], str]]


_HISTORY_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> None:
    """Other apps add their records (messages, approvals…) to the incident's history from AppConfig.ready().
    Register only what every member may see: protected identifiers, for one, are never registered."""
    _HISTORY_SOURCES.append(source)


def _membership_namer(incident: Incident) -> Callable[[Any], str]:
    usernames = dict(incident.memberships.values_list("id", "user__username"))
    return lambda r: f"Membership of {usernames.get(r.id, 'a former member')}"


register_history_source(HistorySource(
    "Incident", lambda i: Incident.history.filter(id=i.pk), lambda i: (lambda r: r.reference)))
register_history_source(HistorySource(
    "Membership", lambda i: Membership.history.filter(incident_id=i.pk), _membership_namer))
register_history_source(HistorySource(
    "Decision", lambda i: Decision.history.filter(incident_id=i.pk), lambda i: (lambda r: f"Decision {r.number}")))


def history(incident: Incident) -> list[HistoryEntry]:
    """Who changed which field from what to what, and when, newest first: the incident, its memberships,
    its decision log and whatever other apps register, whether the change came through the console,
    the API or the admin."""
    entries: list[HistoryEntry] = []
    # Nearly every person named in the history has been a member: one query names them all.
    names: dict[int, str] = dict(
        User.objects.filter(memberships__incident=incident).values_list("id", "username").distinct()
    )
    for source in _HISTORY_SOURCES:
        records = source.records(incident).select_related("history_user").order_by("history_date", "history_id")
        entries += _entries_for(records, source.label, source.describe(incident), names)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
