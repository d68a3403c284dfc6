"""Every read of the incident workspace, shared by pages, the API, exports and sockets.

The getters come through the policy (incidents/policy.py), so what a person may not see does not exist
for them; the panels below take an incident already fetched that way.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core import charts
from core.paging import CURSOR_PARAM, Keyset, Page, decode, encode
from core.small_counts import Shown
from core.times import uk_day_time, uk_time

from .models import (
    ApiToken,
    Decision,
    EventType,
    Incident,
    IncidentStatus,
    Membership,
    TimelineEvent,
    User,
)
from .policy import COMMAND, Action, TokenAction, api_tokens, incidents
from .rules import Actor, person_of

# The order of each list, newest first, and the key that pages it (core/paging.py).
INCIDENTS = Keyset("-opened_at", "-id")
# Read through the (incident, id) index: by the primary key alone, PostgreSQL may walk back through every
# newer event of every other incident to find an old incident's page.
TIMELINE = Keyset("-id", size=40, within=("-incident_id",))
CATCH_UP = Keyset("id", within=("incident_id",))  # a client that lost its socket reads on from its last event
DECISIONS = Keyset("-decided_at", "-number", size=20)  # an entry is long: a screenful or two
MEMBERS = Keyset("added_at", "id", size=25)  # the people who opened the incident first, as a reader expects
HISTORY_SIZE = 25


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


def timeline_export(incident_id: int, *, after: int | None, size: int) -> list[tuple]:
    """Up to `size` events after the event `after`, oldest first (a record is read from its beginning), as
    plain rows (id, at, actor's username, actor's full name, type, summary) read straight from their
    columns: the export reads every event, and building a model for each cost most of its time. Read
    forward through the (incident, id) index, as catching up is."""
    events = TimelineEvent.objects.filter(incident_id=incident_id)
    if after is not None:
        events = events.filter(id__gt=after)
    rows = events.order_by(*CATCH_UP.within, *CATCH_UP.fields).values_list(*TimelineEvent.PAYLOAD_COLUMNS)
    return list(rows[:size])


# What each timeline event type is called ("Decision recorded"), for people: each wing names its own from
# AppConfig.ready(), as it registers its history sources.
_EVENT_LABELS: dict[str, str] = {}


def register_event_types(choices) -> None:
    """Name a wing's timeline event types: a TextChoices of them (incidents.models.EventType)."""
    _EVENT_LABELS.update({str(value): str(label) for value, label in choices.choices})


def event_label(event_type: str) -> str:
    """What a person calls an event of this type; one no wing names reads as its words, never as a code."""
    if event_type in _EVENT_LABELS:
        return _EVENT_LABELS[event_type]
    return event_type.replace(".", " ").replace("_", " ").capitalize()




def decisions(incident: Incident) -> QuerySet[Decision]:
    """The decision log, newest decision first, each annotated with whether a later entry corrects it and
    the number of the latest entry that reviews it (`reviewed_in_number`, None until one does)."""
    return (
        incident.decisions.select_related("decided_by", "recorded_by", "corrects", "reviews")
        # A scalar subquery, not EXISTS: PostgreSQL plans an EXISTS for every entry of the incident (a
        # hashed scan of the whole decision table) before the page's LIMIT; this one runs per row shown.
        .alias(correction=Subquery(Decision.objects.filter(corrects=OuterRef("pk")).order_by().values("pk")[:1]))
        .annotate(is_corrected=ExpressionWrapper(Q(correction__isnull=False), output_field=BooleanField()),
                  reviewed_in_number=Subquery(Decision.objects.reviews_standing().filter(reviews=OuterRef("pk"))
                                              .order_by("-number").values("number")[:1]))
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
    """One field's change. `old` and `new` are what the API has always given (a choice by its label, a
    person by username, a time in ISO 8601); `old_text` and `new_text` are what a person reads on the
    page: "yes", "Press statement", "Alice Adams", "24 Nov 2026, 09:15"."""

    field: str
    label: str  # the field's verbose name ("content note"); pages show it with a capital
    old: Any
    new: Any
    old_text: Any = ""  # a str once the history is read (a _Ref until its record is named)
    new_text: Any = ""


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


_EMPTY = (None, "", [], {})
# A stored code in a list (a release's overridden gates: "staff_not_briefed"), read as words.
_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")


def _person(value: int, names: dict[int, tuple[str, str]]) -> tuple[str, str]:
    """(username, display name) of a person named in the history."""
    if value not in names:
        found = User.objects.filter(pk=value).values_list("username", "full_name").first()
        names[value] = (found[0], found[1] or found[0]) if found else ("unknown", "a former user")
    return names[value]


def _display(model, field_name: str, value: Any, names: dict[int, tuple[str, str]]) -> Any:
    """The value as the API gives it."""
    if value is None or value == "":
        return value
    model_field = model._meta.get_field(field_name)
    if model_field.is_relation and model_field.related_model is User:
        return _person(value, names)[0]
    if model_field.is_relation:
        return value
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value


@dataclass(frozen=True)
class _Ref:
    """A record another field points at, named once the page is read (one query per kind of record)."""

    model: type
    pk: Any


def _text(model, field_name: str, value: Any, names: dict[int, tuple[str, str]]) -> Any:
    """The value as a person reads it: yes or no, a choice's label, a person's name, a UK time, the record
    pointed at by its name (a _Ref until then)."""
    if value in _EMPTY:
        return "(empty)"
    model_field = model._meta.get_field(field_name)
    if model_field.is_relation and model_field.related_model is User:
        return _person(value, names)[1]
    if model_field.is_relation:
        return _Ref(model_field.related_model, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return uk_time(value)
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(item).replace("_", " ").capitalize() if _CODE.fullmatch(str(item)) else str(item)
                         for item in value)
    return str(value)


def _entry(record, previous, source: HistorySource, describe,
           names: dict[int, tuple[str, str]]) -> HistoryEntry | None:
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
                old_text=_text(model, change.field, change.old, names),
                new_text=_text(model, change.field, change.new, names),
            ))
    elif record.history_type == "+":
        for f in model._meta.concrete_fields:
            if f.name in _SKIP_FIELDS or f.name in source.parent:
                continue
            value = getattr(record, f.attname)
            if value not in _EMPTY:
                changes.append(FieldChange(
                    field=f.name, label=str(f.verbose_name), old=None, new=_display(model, f.name, value, names),
                    old_text="(empty)", new_text=_text(model, f.name, value, names),
                ))
    if record.history_type == "~" and not changes:
        return None
    user = record.history_user
    return HistoryEntry(
        at=record.history_date,
        user=user.username if user else None,
        user_name=user.display_name if user else "Harbour",
        model=source.label,
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
    # What a row's name already says (an approval's message), left out of what a new row is listed with,
    # as the incident is.
    parent: tuple[str, ...] = ("incident",)


_HISTORY_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> None:
    """Other apps add their records (messages, approvals…) to the incident's history from AppConfig.ready().
    Register only what every member may see: protected identifiers, for one, are never registered."""
    _HISTORY_SOURCES.append(source)


def _membership_namer(incident: Incident) -> Callable[[Any], str]:
    people = {pk: full_name or username
              for pk, username, full_name in incident.memberships.values_list("id", "user__username", "user__full_name")}
    return lambda r: f"Membership of {people.get(r.id, 'a former member')}"


register_history_source(HistorySource(
    "Incident", lambda i: Incident.history.filter(id=i.pk), lambda i: (lambda r: r.reference)))
register_history_source(HistorySource(
    "Membership", lambda i: Membership.history.filter(incident_id=i.pk), _membership_namer))
register_history_source(HistorySource(
    "Decision", lambda i: Decision.history.filter(incident_id=i.pk), lambda i: (lambda r: f"Decision {r.number}")))
register_event_types(EventType)


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


# The history's cursor: the last record read, as (when, which source, its id).
HISTORY_CURSOR = ("time", "int", "int")


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
    # A source's number beyond the last is still a place in the order (after every source's records then).
    key = decode(cursor, HISTORY_CURSOR, param) if cursor else None
    # Nearly every person named in the history has been a member: one query names them all.
    names: dict[int, tuple[str, str]] = {
        pk: (username, full_name or username) for pk, username, full_name in
        User.objects.filter(memberships__incident=incident).values_list("id", "username", "full_name").distinct()
    }
    entries: list[tuple] = []
    for _round in range(HISTORY_ROUNDS):
        found, key = _history_read(incident, key, size - len(entries), names)
        entries += found
        if key is None or len(entries) >= size:
            break
    entries.sort(key=lambda e: e[:3], reverse=True)
    _name_records(incident, [e[3] for e in entries])
    return Page([e[3] for e in entries], encode(key) if key is not None else None, cursor or None)


def _name_records(incident: Incident, entries: list[HistoryEntry]) -> None:
    """Name every record the page's changes point at ("Corrects: Decision 3"), a query per kind of record,
    by the name its own history source gives it, else by what it calls itself."""
    refs = {value for entry in entries for change in entry.changes for value in (change.old_text, change.new_text)
            if isinstance(value, _Ref)}
    wanted: dict[type, set] = {}
    for ref in refs:
        wanted.setdefault(ref.model, set()).add(ref.pk)
    named: dict[_Ref, str] = {}
    for model, pks in wanted.items():
        source = next((s for s in _HISTORY_SOURCES if s.records(incident).model.instance_type is model), None)
        describe = source.describe(incident) if source is not None else str
        found = model._default_manager.in_bulk(pks)
        named.update({_Ref(model, pk): describe(found[pk]) if pk in found else "a record since deleted" for pk in pks})
    for entry in entries:
        for change in entry.changes:
            change.old_text = named.get(change.old_text, change.old_text)
            change.new_text = named.get(change.new_text, change.new_text)


HISTORY_ROUNDS = 4


def _history_read(incident: Incident, key: list | None, size: int,
                  names: dict[int, tuple[str, str]]) -> tuple[list, list | None]:
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
            entry = _entry(record, previous.get(record.previous_id), source, describe, names)
            if entry is not None:
                entries.append((record.history_date, index, record.history_id, entry))
    return entries, following


# --- what needs me now -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NowItem:
    """One thing that waits on a person: what it is, why it is theirs, and where to act on it.

    `incident` is set only when the person may see that incident (a wellbeing lead sees a request for
    support from a restricted incident they are not in, but not the incident). `due_at` is when it falls
    due, if it has a deadline; `since` is how long it has waited, which orders things that have none."""

    kind: str
    title: str
    why: str
    url: str
    incident: Incident | None = None
    due_at: datetime | None = None
    since: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at <= timezone.now()

    @property
    def label(self) -> str:
        return _NOW_LABELS.get(self.kind, self.kind)


# Each wing says what of its own waits on a person (registered from its AppConfig.ready, as history
# sources are): a function of the person and the time, returning NowItems already restricted by its policy,
# and the kinds it returns, each with its label.
_NOW_SOURCES: dict[str, Callable[[User, datetime], list[NowItem]]] = {}
_NOW_LABELS: dict[str, str] = {}


def register_now_source(source: Callable[[User, datetime], list[NowItem]], labels: dict[str, str]) -> None:
    _NOW_SOURCES[now_source_key(source)] = source
    _NOW_LABELS.update(labels)


# Each source lists at most this many of one kind: a list longer than that is a board's work, not a glance.
NOW_MOST = 50


def now_capped(rows: QuerySet) -> tuple[list, int]:
    """At most NOW_MOST rows of one kind of a Now source, and how many more there are (counted only when
    there are any, so a list within its limit costs one query)."""
    most = NOW_MOST
    shown = list(rows[:most + 1])
    if len(shown) <= most:
        return shown, 0
    return shown[:most], rows.count() - most


def now_more(more: int, what: str, url: str, where: str, *, at_most: bool = False) -> list[NowItem]:
    """The line that says a source's list was cut short, and where the rest are: never a silent limit.
    Such lines come last (now_sorted), after everything they follow."""
    if more <= 0:
        return []
    count = f"up to {more}" if at_most else str(more)
    return [NowItem(kind="more", title=f"And {count} more {what}", url=url,
                    why=f"Only the first {NOW_MOST} are listed here. See them all on {where}.")]


def now_source_key(source: Callable) -> str:
    """A source is known by its wing ("incidents", "comms", "support"): an event of a wing's may change
    only that wing's part of a list (core/realtime.py, now_on), which is all the Now socket reads again."""
    return source.__module__.split(".")[0]


def now_parts(person: User, at: datetime, keys: Iterable[str] | None = None) -> dict[str, list[NowItem]]:
    """Each wing's part of the person's list, for the wings named (every wing's by default)."""
    wanted = _NOW_SOURCES if keys is None else {k: _NOW_SOURCES[k] for k in keys if k in _NOW_SOURCES}
    return {key: source(person, at) for key, source in wanted.items()}


def now_sorted(parts: Iterable[list[NowItem]], at: datetime) -> list[NowItem]:
    """The parts as one list, soonest first. Something with no deadline waits now: it comes after what is
    already overdue and before what falls due later; among equals, the longest waiting first. The lines
    saying a list was cut short ("And 12 more…") come last."""
    return sorted((item for part in parts for item in part),
                  key=lambda i: (i.kind == "more", i.due_at or at, i.since or at, i.kind, i.url))


def now_for(person: User, at: datetime | None = None) -> list[NowItem]:
    """Everything that waits on the person, soonest first (see now_sorted)."""
    at = at or timezone.now()
    return now_sorted(now_parts(person, at).values(), at)


def now_fingerprint(items: list[NowItem]) -> tuple:
    """What the person would see, to tell whether their list changed (the Now socket compares these)."""
    return tuple((i.kind, i.url, i.title, i.why, i.due_at, i.overdue) for i in items)


def now_digest(items: list[NowItem]) -> str:
    """A short token of the list a page shows: its socket says so when the list is no longer this one."""
    import hashlib

    return hashlib.sha256(repr(now_fingerprint(items)).encode()).hexdigest()[:16]


# How far ahead "due soon" looks for a decision's review.
REVIEW_AHEAD = timedelta(hours=24)


def incident_now(person: User, at: datetime) -> list[NowItem]:
    """From the workspace: decisions of live incidents due for review, for their incident's command and
    whoever took them."""
    from django.urls import reverse

    items: list[NowItem] = []
    command = incidents.restrict(person, COMMAND).values("pk")
    # Whoever took a decision is asked to review it only where they may record the review.
    recorders = incidents.restrict(person, Action.RECORD_DECISION).values("pk")
    reviews, more_reviews = now_capped(
        Decision.objects.awaiting_review().filter(review_at__lte=at + REVIEW_AHEAD)
        .filter(Q(incident__in=command) | Q(decided_by=person, incident__in=recorders))
        .exclude(incident__status=IncidentStatus.CLOSED)
        .select_related("incident").order_by("review_at", "id"))
    for decision in reviews:
        items.append(NowItem(
            kind="decision_review", title=f"Review decision {decision.number}: {_short(decision.decision)}",
            incident=decision.incident,
            why=("Its review was due " if decision.review_at <= at else "Its review is due ")
                + f"{uk_day_time(decision.review_at)}.",
            url=reverse("incident-detail", args=[decision.incident_id]) + f"?reviews={decision.number}#decisions",
            due_at=decision.review_at, since=decision.decided_at))
    items += now_more(more_reviews, "decisions due for review", reverse("incident-list"),
                      "each incident's decision log")
    return items


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def only_visible_incidents(person: User, items: list[NowItem]) -> list[NowItem]:
    """Drop the incident from any item whose incident the person may not see, in one query: a wellbeing
    lead is asked to act on a request for support without learning of a restricted incident."""
    named = {i.incident.pk for i in items if i.incident is not None}
    if not named:
        return items
    seen = set(visible_incidents(person).filter(pk__in=named).values_list("pk", flat=True))
    return [i if i.incident is None or i.incident.pk in seen else replace(i, incident=None) for i in items]


# --- search ------------------------------------------------------------------------------------------------
#
# `/search/` and `GET /api/search/?q=`: incidents, decisions and messages, by words and by reference. Each
# wing registers a source (as it registers what waits on a person); every source restricts through its
# policy *before* it matches, so what a person may not see is never matched, never counted, never quoted.
#
# On PostgreSQL the words are matched by full-text search (English stemming: "flooding" finds "flood"),
# ranked, and excerpted by ts_headline; elsewhere (the embedded SQLite) every word must appear somewhere in
# the record, newest first. No index serves either, deliberately: the text is read from the rows the person
# may see, and a council has hundreds of incidents and thousands of entries, not millions. (Not measured at
# scale; a GIN index on the weighted vectors is the step to take if a search ever shows up as slow.)

SEARCH_LIMIT = 50  # hits in all; no paging: a person adds words to narrow
SEARCH_MAX_LENGTH = 200  # characters of a query
SEARCH_CONFIG = "english"
SNIPPET_LENGTH = 200  # characters, about two lines
# ts_headline marks every word the query matched (in any of its forms) in the whole text, with two control
# characters nobody types: the snippet is cut round the first, in Python, as it is on SQLite, and the marks
# are taken out again. (Its own fragments drop stop words and punctuation at their edges.)
_MARK, _END = "\x01", "\x02"
_HEADLINE = {"start_sel": _MARK, "stop_sel": _END, "highlight_all": True}
REFERENCE_RANK = 100.0  # above any word's rank: a reference found comes first


@dataclass(frozen=True)
class SearchHit:
    """One thing found: an incident, a decision or a message, always of an incident the person may see.

    `snippet` is plain text (templates escape it): a short excerpt around what matched. `rank` orders hits of
    every kind together, highest first (a reference found exactly, then how well the words match on
    PostgreSQL); among equals, the newest first."""

    kind: str
    title: str
    snippet: str
    url: str
    incident: Incident
    when: datetime
    rank: float = 0.0

    @property
    def label(self) -> str:
        return _SEARCH_LABELS.get(self.kind, self.kind)

    @property
    def is_the_incident(self) -> bool:
        """The hit is the incident itself, which a page need not name twice."""
        return self.kind == "incident"


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    more: bool  # more matched than are shown: "add words to narrow"


# Each wing's source: a function of the person, the query and a limit, returning at most that many hits of
# each of its kinds, already restricted by its policy; and the kinds it returns, each with its label.
_SEARCH_SOURCES: list[Callable[[User, str, int], list[SearchHit]]] = []
_SEARCH_LABELS: dict[str, str] = {}


def register_search_source(source: Callable[[User, str, int], list[SearchHit]], labels: dict[str, str]) -> None:
    if source not in _SEARCH_SOURCES:
        _SEARCH_SOURCES.append(source)
    _SEARCH_LABELS.update(labels)


def search(person: User, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """What the person may see that matches the words or the reference, best first, at most `limit` hits.
    Each source is asked for one more than fits, so `more` is exact; each query costs the same however many
    hits it finds (one query per kind, with the incident joined)."""
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if not query:
        return SearchResults(query, [], False)
    hits = [hit for source in _SEARCH_SOURCES for hit in source(person, query, limit + 1)]
    hits.sort(key=lambda h: (-h.rank, -h.when.timestamp(), h.kind, h.url))
    return SearchResults(query, hits[:limit], len(hits) > limit)


@dataclass(frozen=True)
class TextSearch:
    """How one kind of record is searched: its text fields with their weights ("A" counts most, then B, C,
    D), and the fields its snippet is cut from."""

    fields: dict[str, str]
    snippet: tuple[str, ...]


def search_words(query: str) -> list[str]:
    """The words of a query, each once, without the quotes a person may put round them."""
    words = (word.strip('"“”') for word in query.split())
    return list(dict.fromkeys(word for word in words if word))


# "INC-2026-0001", "inc 2026 1", "2026-0001", "0001", "1": a reference, whole or by its number.
_REFERENCE = re.compile(r"(?:inc[-\s]*)?(?:(\d{4})[-\s]+)?0*(\d{1,6})", re.IGNORECASE)


def reference_match(query: str, field_name: str = "reference") -> Q | None:
    """The incidents a query names by reference (None: it is not a reference)."""
    found = _REFERENCE.fullmatch(query.strip())
    if found is None:
        return None
    year, number = found.groups()
    if year:
        return Q(**{f"{field_name}__iexact": f"INC-{int(year)}-{int(number):04d}"})
    return Q(**{f"{field_name}__iendswith": f"-{int(number):04d}"})


def _joined(fields: tuple[str, ...]):
    if len(fields) == 1:
        return F(fields[0])
    parts: list = []
    for name in fields:
        parts += [F(name), Value("\n")]
    return Concat(*parts[:-1], output_field=TextField())


def text_search(queryset: QuerySet, query: str, how: TextSearch, *, also: Q | None = None) -> QuerySet:
    """The rows of `queryset` (already restricted to what the person may see) that match the query, each
    annotated with `search_rank`, and on PostgreSQL with `search_headline` for its snippet. `also`: rows
    found whatever their words (an incident named by its reference), ranked above the rest."""
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector

        vector = functools.reduce(operator.add, (SearchVector(name, config=SEARCH_CONFIG, weight=weight)
                                                 for name, weight in how.fields.items()))
        words = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        queryset = queryset.alias(search_document=vector).annotate(
            search_headline=SearchHeadline(_joined(how.snippet), words, config=SEARCH_CONFIG, **_HEADLINE))
        matched, rank = Q(search_document=words), SearchRank(vector, words)
    else:
        # Every word somewhere in the record (in any of its fields); nothing when there are no words.
        matched = Q(pk__in=[])
        words = search_words(query)
        if words:
            matched = functools.reduce(operator.and_, (
                functools.reduce(operator.or_, (Q(**{f"{name}__icontains": word}) for name in how.fields))
                for word in words))
        rank = Value(0.0)
    if also is not None:
        matched |= also
        rank = rank + Case(When(also, then=Value(REFERENCE_RANK)), default=Value(0.0))
    return queryset.filter(matched).annotate(search_rank=ExpressionWrapper(rank, output_field=FloatField()))


def search_snippet(row, query: str, how: TextSearch) -> str:
    text = "\n".join(getattr(row, name) or "" for name in how.snippet)
    return excerpt(text, query, getattr(row, "search_headline", None))


def excerpt(text: str, query: str, headline: str | None = None, size: int = SNIPPET_LENGTH) -> str:
    """A short plain-text excerpt of `text`, with "…" wherever it was cut: round the first word PostgreSQL
    marked in its headline (which knows "flooded" matched "flooding"), else round the first of the query's
    words found, else from its beginning."""
    if headline and _MARK in headline:
        before, after = headline.split(_MARK, 1)
        before, after = " ".join(_unmarked(before).split()), " ".join(_unmarked(after).split())
        text = f"{before} {after}".strip()
        start = len(before) + 1 if before else 0
    else:
        text = " ".join(_unmarked(text).split())
        found = [m.start() for word in search_words(query) if (m := re.search(re.escape(word), text, re.IGNORECASE))]
        start = min(found, default=0)
    if not text:
        return ""
    lead = size // 4  # some words before the match, for context
    begin = 0 if start <= lead else text.rfind(" ", 0, start - lead) + 1
    return _cut(text, begin, size)


def _unmarked(text: str) -> str:
    return text.replace(_MARK, "").replace(_END, "")


def _cut(text: str, begin: int, size: int) -> str:
    """`size` characters of `text` from `begin`, ended at a word's end where there is one."""
    end = begin + size
    if end >= len(text):
        end = len(text)
    else:
        space = text.rfind(" ", begin + size // 2, end)
        end = space if space > 0 else end
    return ("…" if begin else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


INCIDENT_SEARCH = TextSearch({"title": "A", "summary": "B"}, ("summary",))
DECISION_SEARCH = TextSearch({"decision": "A", "rationale": "B", "options_considered": "C", "information": "C"},
                             ("decision", "rationale", "options_considered", "information"))


def incident_search(person: User, query: str, limit: int) -> list[SearchHit]:
    """Incidents by reference or by words in their title and summary; decisions by words in the entry, of
    the incidents the person may see. A restricted incident's outsiders never reach its rows."""
    from django.urls import reverse

    seen = incidents.restrict(person, Action.VIEW)
    found = text_search(seen, query, INCIDENT_SEARCH, also=reference_match(query))
    hits = [SearchHit(kind="incident", title=incident.title, snippet=search_snippet(incident, query, INCIDENT_SEARCH),
                      url=reverse("incident-detail", args=[incident.pk]), incident=incident,
                      when=incident.opened_at, rank=incident.search_rank)
            for incident in found.order_by("-search_rank", "-opened_at", "-id")[:limit]]
    entries = text_search(Decision.objects.filter(incident__in=seen.values("pk")).select_related("incident"),
                          query, DECISION_SEARCH)
    hits += [SearchHit(kind="decision", title=f"Decision {entry.number}: {_short(entry.decision)}",
                       snippet=search_snippet(entry, query, DECISION_SEARCH),
                       url=reverse("incident-detail", args=[entry.incident_id]) + "#decisions",
                       incident=entry.incident, when=entry.decided_at, rank=entry.search_rank)
             for entry in entries.order_by("-search_rank", "-decided_at", "-id")[:limit]]
    return hits


SEARCH_EMPTY = "Enter words or a reference to search for."
SEARCH_TOO_LONG = f"Search for {SEARCH_MAX_LENGTH} characters or fewer: a few distinctive words are enough."


# --- the one-page summary (issue 11, point 7) --------------------------------------------------------------
#
# `/incidents/<id>/summary/`: a page for the Director and the Lead Member. The incident wing draws its own
# parts (status, key decisions); each other wing adds its parts from AppConfig.ready(), as it adds
# what waits on a person, so this wing never imports them. A section is data (read for a person who may see
# the incident, the incident already fetched through the policy) and a template snippet that shows it. Open
# actions are one table, a few rows from each wing.

SUMMARY_DECISIONS = 5  # the latest decisions; the decision log has the rest


@dataclass(frozen=True)
class SummarySection:
    """One part of the summary: `read(person, incident)` gives the snippet's `data` (None: nothing to say,
    and the part is left out); `order` places it on the page (the incident wing uses 10, 30…)."""

    key: str
    order: int
    template: str
    read: Callable[[User, Incident], Any]


@dataclass(frozen=True)
class OpenAction:
    """A line of the summary's "Open actions": what, how many, and a few words more (counts only for
    anything that names a person's wellbeing)."""

    what: str
    count: int | Shown  # a count of people comes already withheld where it must be (core/small_counts.py)
    detail: str = ""


_SUMMARY_SECTIONS: dict[str, SummarySection] = {}
_OPEN_ACTIONS: list[tuple[int, Callable[[User, Incident], list[OpenAction]]]] = []


def register_summary_section(section: SummarySection) -> None:
    _SUMMARY_SECTIONS[section.key] = section


def register_open_actions(source: Callable[[User, Incident], list[OpenAction]], order: int = 50) -> None:
    """A wing's lines of the summary's "Open actions", placed by `order`, lowest first (then in the order
    registered): the incident wing's decisions due for review are at 20."""
    if all(source is not known for _, known in _OPEN_ACTIONS):
        _OPEN_ACTIONS.append((order, source))
        _OPEN_ACTIONS.sort(key=lambda entry: entry[0])


@dataclass(frozen=True)
class SummaryPart:
    key: str
    template: str
    data: Any


def summary(person: User, incident: Incident) -> dict[str, Any]:
    """Everything the summary shows, for a person who may see the incident: the registered parts in order,
    each with its data, and the open actions of every wing. A fixed number of queries, whatever the size of
    the incident."""
    parts = []
    for section in sorted(_SUMMARY_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        data = section.read(person, incident)
        if data is not None:
            parts.append(SummaryPart(section.key, section.template, data))
    actions = [action for _, source in _OPEN_ACTIONS for action in source(person, incident) if action.count]
    return {"parts": parts, "open_actions": actions}


def summary_decisions(person: User, incident: Incident) -> list[Decision]:
    """The latest decisions, newest first; a corrected one is marked so (its correction is among them or
    in the log)."""
    return list(decisions(incident)[:SUMMARY_DECISIONS])


def incident_open_actions(person: User, incident: Incident) -> list[OpenAction]:
    """The incident wing's open actions: decisions due for review."""
    at = timezone.now()
    reviews = Decision.objects.awaiting_review().filter(incident=incident, review_at__lte=at + REVIEW_AHEAD).aggregate(
        n=Count("id"), late=Count("id", filter=Q(review_at__lte=at)))
    return [
        OpenAction("Decisions due for review", reviews["n"],
                   f"{reviews['late']} past the review date" if reviews["late"] else "within a day"),
    ]


register_summary_section(SummarySection("decisions", 10, "incidents/summary/_decisions.html", summary_decisions))
register_open_actions(incident_open_actions, order=20)


# --- the timeline as a time line (issue 11, point 7) --------------------------------------------------------
#
# A picture at the top of the Timeline tab: the events that shape the story (status changes, decisions,
# releases), each kind in its own lane with its own marker. Each wing names its kinds and the event types
# that make them from AppConfig.ready() (comms adds releases), so this wing names no other wing's types.

TIMELINE_MARKERS = 40  # the latest: more is no picture; a long incident's earliest are in the list and the CSV


@dataclass(frozen=True)
class MarkerKind:
    key: str
    label: str  # "Decisions": a lane's name, and the table's "Kind"
    shape: str  # core/charts.py SHAPES
    colour: str
    event_types: tuple[str, ...]
    order: int = 50


_MARKER_KINDS: dict[str, MarkerKind] = {}


def register_timeline_markers(kind: MarkerKind) -> None:
    _MARKER_KINDS[kind.key] = kind


def timeline_picture(incident: Incident):
    """The incident's time line (a core.charts Chart), from its opening to now: one query, however long
    the timeline, reading only the events of the registered types."""

    kinds = sorted(_MARKER_KINDS.values(), key=lambda k: (k.order, k.key))
    kind_of = {event_type: k.key for k in kinds for event_type in k.event_types}
    rows = list(TimelineEvent.objects.filter(incident_id=incident.pk, type__in=list(kind_of))
                .order_by("-id").values_list("at", "type", "summary")[:TIMELINE_MARKERS])
    rows.reverse()
    events = [charts.Event(at, kind_of[event_type], _short(summary, 120)) for at, event_type, summary in rows]
    return charts.timeline_chart(
        ident=f"timeline-chart-{incident.pk}",
        title=f"{incident.reference} as a time line" + (
            f": the latest {TIMELINE_MARKERS} decisions, releases and status changes"
            if len(rows) == TIMELINE_MARKERS else ""),
        events=events, kinds={k.key: charts.Kind(k.label, k.shape, k.colour) for k in kinds},
        end=timezone.now() if incident.status != IncidentStatus.CLOSED else None,
        empty="Nothing to show on the time line yet: status changes, decisions and releases appear here.")


def _register_markers() -> None:

    register_timeline_markers(MarkerKind("status", "Status changes", "square", charts.DARK_BLUE,
                                         (EventType.INCIDENT_OPENED, EventType.INCIDENT_STATUS_CHANGED), order=10))
    register_timeline_markers(MarkerKind("decision", "Decisions", "diamond", charts.BLUE,
                                         (EventType.DECISION_RECORDED,), order=20))


_register_markers()


# --- API tokens ----------------------------------------------------------------------------------------------


def api_tokens_of(actor: Actor) -> QuerySet[ApiToken]:
    """A person's own tokens, newest first: those that still work and those that ended in the last 90
    days (so the owner can see why a program stopped). Only what the policy lets them see: their own."""
    since = timezone.now() - timedelta(days=90)
    mine = ApiToken.objects.filter(user=person_of(actor)).filter(
        Q(ended_at__isnull=True, expires_at__gt=since) | Q(ended_at__gt=since))
    return api_tokens.restrict(actor, TokenAction.VIEW, mine).select_related("ended_by")


def api_token_for(actor: Actor, token_id) -> ApiToken:
    return api_tokens.fetch(actor, TokenAction.VIEW, token_id)


# --- the header's menu (core/wings.py) ----------------------------------------------------------------------


def standing(request) -> dict[str, bool]:
    """What the header's menu asks of the person, read once for the request in one query, whichever wing
    asks first: whether they command (lead or tactical lead) an incident, and whether they have made an
    API token."""
    found = request.__dict__.get("_harbour_standing")
    if found is None:
        user = request.user
        found = User.objects.filter(pk=user.pk).annotate(
            commands=Exists(incidents.restrict(user, COMMAND)),
            token=Exists(ApiToken.objects.filter(user=OuterRef("pk"))),
        ).values("commands", "token").first() or {"commands": False, "token": False}
        request.__dict__["_harbour_standing"] = found
    return found


def menu_offers(request) -> dict[str, int | None]:
    """The header's menu: the API (their tokens and its documentation) for administrators and anyone who
    has made a token."""
    if request.user.is_staff or standing(request)["token"]:
        return {"api": None}
    return {}
