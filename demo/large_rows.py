"""How seed_large writes rows as they would have been written at their time: back-dated stamps, the
history rows one save would have made, and the plans and batches it builds from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import models

from incidents.models import Decision
from people.models import User


@contextmanager
def stamps_as_given(*model_classes: type[models.Model]) -> Iterator[None]:
    """auto_now and auto_now_add write "now" on every insert; back-dated rows keep the times we give them."""
    fields = [f for model in model_classes for f in model._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@cache
def historical(model: type[models.Model]) -> tuple[type[models.Model], list[str]]:
    """The model's history model and the fields it copies (reading `history` builds a manager each time)."""
    history = model.history.model
    return history, [f.attname for f in history.tracked_fields]


def history_row(obj: models.Model, at: dt.datetime, user: User | None, kind: str, reason: str = "",
                state: dict[str, Any] | None = None) -> models.Model:
    """The django-simple-history row one save would have written: the object's fields as they were then
    (`state`, by attname, over its final values), who saved it, when, and why."""
    history, fields = historical(type(obj))
    values = {name: getattr(obj, name) for name in fields}
    values.update(state or {})
    return history(history_date=at, history_user=user, history_type=kind,
                   history_change_reason=reason[:100] or None, **values)


@dataclass
class MessagePlan:
    audience: str
    status: str
    edited: bool = False
    to_lead: bool = False  # the lead is one of the people it reaches


@dataclass
class IncidentPlan:
    """One incident's sizes and frame, settled before any row is written so totals come out exact."""

    kind: str
    severity: str
    status: str
    restricted: bool
    opened_at: dt.datetime
    end: dt.datetime  # the last moment of its story: closure, or a few minutes ago
    events: int
    decisions: int
    members: int
    messages: list[MessagePlan]
    lead: User
    title: str = ""
    corrections: int = 0
    reminders: int = 0
    updates: int = 0  # "details changed" events, for what the rest of the story does not fill
    reference: str = ""


@dataclass
class Batch:
    """Rows of a few incidents, written together: parents first, then their history."""

    rows: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    corrections: list[Decision] = field(default_factory=list)  # after the entries they correct
    audits: list[tuple[models.Model, list[tuple]]] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)

    def add(self, obj: models.Model) -> models.Model:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    @property
    def size(self) -> int:
        return sum(len(r) for r in self.rows.values()) + len(self.events)


# --- the command -------------------------------------------------------------------------------------------


