"""Every read of the incident workspace, shared by pages, the API, exports and sockets.

The getters come through the policy (incidents/policy.py), so what a person may not see does not exist
for them; the panels below take an incident already fetched that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from config.errors import InvalidInput
from config.paging import BAD_CURSOR, CURSOR_PARAM, Keyset, Page, decode, encode, sane_time

from .models import (
    Decision,
    Incident,
    Membership,
    Notification,
    Obligation,
    ObligationStatus,
    Playbook,
    PlaybookStep,
    TimelineEvent,
    User,
)
from .policy import Action, ObligationAction, incidents, obligations
from .rules import Actor

# The order of each list, newest first, and the key that pages it (config/paging.py).
INCIDENTS = Keyset("-opened_at", "-id")
# Read through the (incident, id) index: by the primary key alone, PostgreSQL may walk back through every
# newer event of every other incident to find an old incident's page.
TIMELINE = Keyset("-id", size=40, within=("-incident_id",))
CATCH_UP = Keyset("id", within=("incident_id",))  # a client that lost its socket reads on from its last event
DECISIONS = Keyset("-decided_at", "-number", size=20)  # an entry is long: a screenful or two
MEMBERS = Keyset("added_at", "id", size=25)  # the people who opened the incident first, as a reader expects
HISTORY_SIZE = 25
OBLIGATIONS = Keyset("position", "id", within=("incident_id",))  # in the playbook's order
CLOCKS = Keyset("due_at", "id", size=100)  # pending and started, soonest first
NOTIFICATIONS = Keyset("at", "id", within=("incident_id",))
PLAYBOOKS = Keyset("kind", "id")


def incident_for(actor: Actor, incident_id, action: Action = Action.VIEW) -> Incident:
    """The incident, as this person may see it: 404 if it does not exist for them. With an action (to show
    the form for it), 403 when they may see it but not do that."""
    return incidents.fetch(actor, action, incident_id, state=False)


def visible_incidents(actor: Actor) -> QuerySet[Incident]:
    """Every incident the person may see, newest first."""
    return incidents.restrict(actor, Action.VIEW).order_by("-opened_at", "-id")


def timeline(incident_id: int, *, after: int | None = None) -> QuerySet[TimelineEvent]:
    """Newest first; with `after`, only events with a larger id, oldest first (for catching up).
    Read through the (incident, id) index, so the first page of 20,000 events costs what one of 20 does."""
    events = TimelineEvent.objects.filter(incident_id=incident_id).select_related("actor")
    if after is not None:
        return events.filter(id__gt=after).order_by(*CATCH_UP.within, *CATCH_UP.fields)
    return events.order_by(*TIMELINE.within, *TIMELINE.fields)


def timeline_payloads(incident_id: int, *, before: int | None, size: int) -> list[dict]:
    """Up to `size` events older than `before` (newest first), as payloads read straight from their
    columns: the export reads every event, and building a model for each cost most of its time."""
    events = TimelineEvent.objects.filter(incident_id=incident_id)
    if before is not None:
        events = events.filter(id__lt=before)
    rows = events.order_by(*TIMELINE.within, *TIMELINE.fields).values_list(*TimelineEvent.PAYLOAD_COLUMNS)
    return [TimelineEvent.payload_of(row) for row in rows[:size]]


def decisions(incident: Incident) -> QuerySet[Decision]:
    """The decision log, newest decision first, each annotated with whether a later entry corrects it."""
    return (
        incident.decisions.select_related("decided_by", "recorded_by", "corrects")
        # A scalar subquery, not EXISTS: PostgreSQL plans an EXISTS for every entry of the incident (a
        # hashed scan of the whole decision table) before the page's LIMIT; this one runs per row shown.
        .alias(correction=Subquery(Decision.objects.filter(corrects=OuterRef("pk")).order_by().values("pk")[:1]))
        .annotate(is_corrected=ExpressionWrapper(Q(correction__isnull=False), output_field=BooleanField()))
        .order_by("-decided_at", "-number")
    )


def decision_choices(incident: Incident, query: str, limit: int = 20) -> list[Decision]:
    """Entries a correction may name, found by number or by words in the decision: the decision form's
    "corrects" is a search, because a long incident's log is too long to choose from."""
    query = query.strip()
    entries = incident.decisions.only("pk", "number", "decision")
    if query.isascii() and query.isdigit() and len(query) <= 9:
        entries = entries.filter(Q(number=int(query)) | Q(decision__icontains=query))
    elif query:
        entries = entries.filter(decision__icontains=query[:200])
    return list(entries.order_by("-number")[:limit])


def people_matching(query: str, limit: int = 20, not_in: Incident | None = None) -> list[User]:
    """Active staff whose name or username contains what was typed, leaving out the incident's members."""
    query = query.split(" — ")[0].strip()[:100]
    if len(query) < 2:
        return []
    people = User.objects.filter(is_active=True).filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if not_in is not None:
        people = people.exclude(memberships__in=not_in.memberships.active())
    return list(people.select_related("team").only("username", "full_name", "team__name").order_by("full_name", "username")[:limit])


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


def _entry(record, previous, label: str, describe, names: dict[int, str]) -> HistoryEntry | None:
    """One audited change, described field by field against the record before it (None: nothing a reader
    needs changed, e.g. only a bookkeeping time)."""
    model = record.instance_type
    changes: list[FieldChange] = []
    if previous is not None and record.history_type == "~":
        # Tracked many-to-many fields are left out: diffing them costs two queries per record.
        skip = [*_SKIP_FIELDS, *(f.name for f in model._meta.many_to_many)]
        delta = record.diff_against(previous, excluded_fields=skip)
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
    if record.history_type == "~" and not changes:
        return None
    user = record.history_user
    return HistoryEntry(
        at=record.history_date,
        user=user.username if user else None,
        user_name=user.display_name if user else "Harbour",
        model=label,
        object=describe(record),
        action=_ACTIONS[record.history_type],
        reason=record.history_change_reason or "",
        changes=changes,
    )


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


def _before(key: list, source: int) -> Q:
    """Records of source `source` that come after `key` = (date, source, history id), newest first."""
    at, key_source, history_id = key
    if source < key_source:
        return Q(history_date__lte=at)
    if source > key_source:
        return Q(history_date__lt=at)
    return Q(history_date__lt=at) | Q(history_date=at, history_id__lt=history_id)


def _previous(records: QuerySet) -> QuerySet:
    """Each record with the id of the one before it for the same row, which a change is diffed against."""
    earlier = records.model.objects.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    ).order_by("-history_date", "-history_id")
    return records.annotate(previous_id=Subquery(earlier.values("history_id")[:1]))


def history(incident: Incident, cursor: str | None = None, size: int | None = None,
            param: str = CURSOR_PARAM) -> Page[HistoryEntry]:
    """Who changed which field from what to what, and when, newest first, a page at a time: the incident,
    its memberships, its decision log and whatever other apps register, whether the change came through
    the console, the API or the admin.

    The sources are separate tables, so a page takes the newest records of each after the cursor, merges
    them and keeps the newest; each change is then diffed against the record before it, fetched in one
    more query per source. A save that changed nothing a reader needs is left out, and the page reads on
    (a few rounds at most) until it is full. The cursor is the last record read: (date, source, id)."""
    size = size or HISTORY_SIZE
    key = decode(cursor, [_when, int, int], param) if cursor else None
    if key is not None and not 0 <= key[1] < len(_HISTORY_SOURCES):
        raise InvalidInput({param: BAD_CURSOR})  # it names no source: not one of ours
    # Nearly every person named in the history has been a member: one query names them all.
    names: dict[int, str] = dict(
        User.objects.filter(memberships__incident=incident).values_list("id", "username").distinct()
    )
    entries: list[tuple] = []
    for _round in range(HISTORY_ROUNDS):
        found, key = _history_read(incident, key, size - len(entries), names)
        entries += found
        if key is None or len(entries) >= size:
            break
    entries.sort(key=lambda e: e[:3], reverse=True)
    return Page([e[3] for e in entries], encode(key) if key is not None else None, cursor or None)


HISTORY_ROUNDS = 4


def _history_read(incident: Incident, key: list | None, size: int, names: dict[int, str]) -> tuple[list, list | None]:
    """Up to `size` records after `key`, described; and the key of the last one read, if more follow."""
    candidates = []
    for index, source in enumerate(_HISTORY_SOURCES):
        records = source.records(incident)
        if key is not None:
            records = records.filter(_before(key, index))
        records = _previous(records.select_related("history_user")).order_by("-history_date", "-history_id")
        candidates += [(record.history_date, index, record.history_id, record) for record in records[:size + 1]]
    candidates.sort(key=lambda c: c[:3], reverse=True)
    shown = candidates[:size]
    following = list(shown[-1][:3]) if len(candidates) > size else None
    entries = []
    for index, source in enumerate(_HISTORY_SOURCES):
        mine = [c[3] for c in shown if c[1] == index]
        if not mine:
            continue
        model = mine[0].__class__
        wanted = [r.previous_id for r in mine if r.history_type == "~" and r.previous_id]
        previous = model.objects.in_bulk(wanted) if wanted else {}
        describe = source.describe(incident)
        for record in mine:
            entry = _entry(record, previous.get(record.previous_id), source.label, describe, names)
            if entry is not None:
                entries.append((record.history_date, index, record.history_id, entry))
    return entries, following


def _when(value) -> datetime:
    return sane_time(datetime.fromisoformat(value))


# --- statutory clocks --------------------------------------------------------------------------------------


def obligations_of(incident: Incident) -> QuerySet[Obligation]:
    """The incident's obligations in its playbook's order (the incident already fetched for the person)."""
    return (Obligation.objects.filter(incident=incident).select_related("done_by", "decision")
            .order_by(*OBLIGATIONS.within, *OBLIGATIONS.fields))


def obligation_for(actor: Actor, obligation_id) -> Obligation:
    return obligations.fetch(actor, ObligationAction.VIEW, obligation_id,
                             Obligation.objects.select_related("incident", "done_by", "decision"))


def clocks(actor: Actor) -> QuerySet[Obligation]:
    """Every pending obligation whose clock has started, of the incidents the person may see, soonest first:
    the Clocks board and `GET /api/clocks/`. Read from the pending-by-due-time index."""
    return (obligations.restrict(actor, ObligationAction.VIEW)
            .filter(status=ObligationStatus.PENDING, due_at__isnull=False)
            .select_related("incident").order_by(*CLOCKS.fields))


def notifications_of(incident: Incident) -> QuerySet[Notification]:
    return (Notification.objects.filter(incident=incident).select_related("told_by")
            .order_by(*NOTIFICATIONS.within, *NOTIFICATIONS.fields))


@dataclass
class Rung:
    """A step of the need-to-know ladder and, once climbed, who was told."""

    code: str
    title: str
    told: Notification | None = None


def ladder(incident: Incident) -> list[Rung]:
    """The incident's ladder: its playbook's steps in order, each with its record, then any step recorded
    that the playbook no longer lists (the record stays whole)."""
    told = {n.step: n for n in notifications_of(incident)}
    steps = PlaybookStep.objects.filter(playbook__kind=incident.kind).order_by("position", "id")
    rungs = [Rung(step.code, step.title, told.pop(step.code, None)) for step in steps]
    return rungs + [Rung(n.step, n.step_title, n) for n in told.values()]


def playbooks() -> QuerySet[Playbook]:
    """The playbooks: the organisation's procedure, not any incident's detail, so every member of staff may
    read them."""
    return Playbook.objects.prefetch_related("obligations", "ladder").order_by(*PLAYBOOKS.fields)
