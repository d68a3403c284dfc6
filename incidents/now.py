"""Now: everything that waits on a person, from every wing, soonest first.

Each wing declares what of its own waits on a person (core/wings.py `register_now_source`, this wing's
own in its apps.py); this module asks every declared source and makes one list of their parts, and gives
the sources the ways to cap and end their lists that every Now part shares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.times import uk_day_time
from core.wings import NowItem, now_sources
from people.models import User

from .models import Decision, IncidentStatus
from .policy import COMMAND, Action, incidents
from .selectors import REVIEW_AHEAD, short, visible_incidents

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



def now_parts(person: User, at: datetime, keys: Iterable[str] | None = None) -> dict[str, list[NowItem]]:
    """Each wing's part of the person's list, for the wings named (every wing's by default)."""
    sources = now_sources()
    wanted = sources if keys is None else {k: sources[k] for k in keys if k in sources}
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
    return hashlib.sha256(repr(now_fingerprint(items)).encode()).hexdigest()[:16]



def incident_now(person: User, at: datetime) -> list[NowItem]:
    """From the workspace: decisions of live incidents due for review, for their incident's command and
    whoever took them."""
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
            kind="decision_review", title=f"Review decision {decision.number}: {short(decision.decision)}",
            incident=decision.incident,
            why=("Its review was due " if decision.review_at <= at else "Its review is due ")
                + f"{uk_day_time(decision.review_at)}.",
            url=reverse("incident-detail", args=[decision.incident_id]) + f"?reviews={decision.number}#decisions",
            due_at=decision.review_at, since=decision.decided_at))
    items += now_more(more_reviews, "decisions due for review", reverse("incident-list"),
                      "each incident's decision log")
    return items



def only_visible_incidents(person: User, items: list[NowItem]) -> list[NowItem]:
    """Drop the incident from any item whose incident the person may not see, in one query: a wellbeing
    lead is asked to act on a request for support without learning of a restricted incident."""
    named = {i.incident.pk for i in items if i.incident is not None}
    if not named:
        return items
    seen = set(visible_incidents(person).filter(pk__in=named).values_list("pk", flat=True))
    return [i if i.incident is None or i.incident.pk in seen else replace(i, incident=None) for i in items]

