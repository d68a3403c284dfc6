"""Every read of the incident workspace, shared by pages, the API, exports and sockets.

The getters come through the policy (incidents/policy.py), so what a person may not see does not exist
for them; the panels below take an incident already fetched that way. The pages that gather every wing's
part have modules of their own: the history (`history.py`), Now (`now.py`) and search (`search.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from core import charts
from core.actors import Actor, forget, person_of
from core.paging import Keyset
from core.wings import OpenAction, marker_kinds, open_action_sources, summary_sections
from people.models import User

from .models import ApiToken, Decision, Incident, IncidentStatus, Membership, TimelineEvent
from .policy import COMMAND, Action, TokenAction, api_tokens, incidents

# The order of each list, newest first, and the key that pages it (core/paging.py).
INCIDENTS = Keyset("-opened_at", "-id")
# Read through the (incident, id) index: by the primary key alone, PostgreSQL may walk back through every
# newer event of every other incident to find an old incident's page.
TIMELINE = Keyset("-id", size=40, within=("-incident_id",))
CATCH_UP = Keyset("id", within=("incident_id",))  # a client that lost its socket reads on from its last event
DECISIONS = Keyset("-decided_at", "-number", size=20)  # an entry is long: a screenful or two
MEMBERS = Keyset("added_at", "id", size=25)  # the people who opened the incident first, as a reader expects


def incident_for(actor: Actor, incident_id, action: Action = Action.VIEW) -> Incident:
    """The incident, as this person may see it: 404 if it does not exist for them. With an action (to show
    the form for it), 403 when they may see it but not do that."""
    return incidents.fetch(actor, action, incident_id, state=False)


def visible_incidents(actor: Actor) -> QuerySet[Incident]:
    """Every incident the person may see, newest first."""
    return incidents.restrict(actor, Action.VIEW).order_by("-opened_at", "-id")


def sees_incident_now(user: Actor, incident_id: int) -> bool:
    """May the person see this incident now? Asked of the policy afresh, as their roles, memberships and
    account may have changed: a live socket asks before telling them anything of it."""
    forget(user)
    return visible_incidents(user).filter(pk=incident_id).exists()


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


def members(incident: Incident) -> QuerySet[Membership]:
    return incident.memberships.active().select_related("user", "user__team", "added_by").order_by("added_at", "id")


# How far ahead "due soon" looks for a decision's review (Now, and the summary's open actions).
REVIEW_AHEAD = timedelta(hours=24)


def short(text: str, limit: int = 80) -> str:
    """The text on one line, cut at `limit` with "…": a decision named in a list or a picture."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the one-page summary (issue 11, point 7) --------------------------------------------------------------
#
# `/incidents/<id>/summary/`: a page for the Director and the Lead Member. The incident wing draws its own
# parts (status, key decisions); each wing, this one too, declares its parts in its AppConfig.ready()
# (core/wings.py), as it declares what waits on a person, so this wing never imports them. A section is data (read for a person who may see
# the incident, the incident already fetched through the policy) and a template snippet that shows it. Open
# actions are one table, a few rows from each wing.

SUMMARY_DECISIONS = 5  # the latest decisions; the decision log has the rest


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
    for section in summary_sections():
        data = section.read(person, incident)
        if data is not None:
            parts.append(SummaryPart(section.key, section.template, data))
    actions = [action for source in open_action_sources() for action in source(person, incident) if action.count]
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




# --- the timeline as a time line (issue 11, point 7) --------------------------------------------------------
#
# A picture at the top of the Timeline tab: the events that shape the story (status changes, decisions,
# releases), each kind in its own lane with its own marker. Each wing declares its kinds and the event types
# that make them in AppConfig.ready() (core/wings.py; comms adds releases), so this wing names no other
# wing's types.

TIMELINE_MARKERS = 40  # the latest: more is no picture; a long incident's earliest are in the list and the CSV


def timeline_picture(incident: Incident):
    """The incident's time line (a core.charts Chart), from its opening to now: one query, however long
    the timeline, reading only the events of the registered types."""

    kinds = marker_kinds()
    kind_of = {event_type: k.key for k in kinds for event_type in k.event_types}
    rows = list(TimelineEvent.objects.filter(incident_id=incident.pk, type__in=list(kind_of))
                .order_by("-id").values_list("at", "type", "summary")[:TIMELINE_MARKERS])
    rows.reverse()
    events = [charts.Event(at, kind_of[event_type], short(summary, 120)) for at, event_type, summary in rows]
    return charts.timeline_chart(
        ident=f"timeline-chart-{incident.pk}",
        title=f"{incident.reference} as a time line" + (
            f": the latest {TIMELINE_MARKERS} decisions, releases and status changes"
            if len(rows) == TIMELINE_MARKERS else ""),
        events=events, kinds={k.key: charts.Kind(k.label, k.shape, k.colour) for k in kinds},
        end=timezone.now() if incident.status != IncidentStatus.CLOSED else None,
        empty="Nothing to show on the time line yet: status changes, decisions and releases appear here.")





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
