"""An incident's history: who changed which field from what to what, and when, a page at a time.

Each wing declares the audited records it adds (core/wings.py `register_history_source`, this wing's own
in its apps.py); the history reads every declared source, merges them newest first and describes each
change as the API gives it and as a person reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.paging import CURSOR_PARAM, Page, decode, encode
from core.times import uk_time
from core.wings import HistorySource, history_sources
from people.models import User

from .models import Incident

HISTORY_SIZE = 25


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
        source = next((s for s in history_sources() if s.records(incident).model.instance_type is model), None)
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
    sources = history_sources()
    candidates = []
    for index, source in enumerate(sources):
        records = source.records(incident)
        if key is not None:
            records = records.filter(_before(key, index))
        records = _previous(records.select_related("history_user")).order_by("-history_date", "-history_id")
        candidates += [(record.history_date, index, record.history_id, record) for record in records[:size + 1]]
    candidates.sort(key=lambda c: c[:3], reverse=True)
    shown = candidates[:size]
    following = list(shown[-1][:3]) if len(candidates) > size else None
    entries = []
    for index, source in enumerate(sources):
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


def membership_namer(incident: Incident) -> Callable[[Any], str]:
    """How the history names a membership of the incident: by its person's name (one query per page)."""
    people = {pk: full_name or username
              for pk, username, full_name in incident.memberships.values_list("id", "user__username", "user__full_name")}
    return lambda r: f"Membership of {people.get(r.id, 'a former member')}"
