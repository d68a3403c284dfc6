"""Every read of the statutory clocks, shared by pages, the API, the summary, Now and sockets.

The getters come through the policies (clocks/policy.py, and the incident's own), so what a person may not
see does not exist for them; the panels take an incident already fetched that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from core.paging import Keyset
from core.wings import NowItem, OpenAction
from incidents.models import Incident, IncidentStatus
from incidents.now import now_capped, now_more
from incidents.selectors import standing
from people.models import User

from .models import Notification, Obligation, ObligationStatus, Playbook, PlaybookStep
from .policy import ObligationAction, obligations

OBLIGATIONS = Keyset("position", "id", within=("incident_id",))  # in the playbook's order
CLOCKS = Keyset("due_at", "id", size=100)  # pending and started, soonest first
NOTIFICATIONS = Keyset("at", "id", within=("incident_id",))
PLAYBOOKS = Keyset("kind", "id")


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


# --- what needs me now (core/wings.py register_now_source) ------------------------------------------------------


def now_items(person: User, at: datetime) -> list[NowItem]:
    """Obligations of live incidents due within a working day or overdue, that the person may complete."""
    items: list[NowItem] = []
    due, more_due = now_capped(obligations.restrict(person, ObligationAction.MARK_DONE)
                               .filter(status=ObligationStatus.PENDING, due_at__isnull=False)
                               .filter(Q(remind_at__lte=at) | Q(due_at__lte=at))
                               .exclude(incident__status=IncidentStatus.CLOSED)
                               .select_related("incident").order_by(*CLOCKS.fields))
    for obligation in due:
        overdue = obligation.due_at <= at
        items.append(NowItem(
            kind="obligation", title=f"{obligation.title}", incident=obligation.incident,
            why=("Past its deadline. " if overdue else "Due within a working day. ")
                + "Record it done, or that it does not apply.",
            url=reverse("incident-detail", args=[obligation.incident_id]) + "#clocks",
            due_at=obligation.due_at, since=obligation.started_at))
    items += now_more(more_due, "deadlines due or overdue", reverse("clocks-board"), "the Clocks board")
    return items


# --- the one-page summary (core/wings.py register_summary_section) ---------------------------------------------


@dataclass(frozen=True)
class SummaryClocks:
    pending: list[Obligation]
    waiting: list[Obligation]  # pending, clock not started (its start point not reached)
    settled: list[Obligation]  # done, or found not to apply
    now: datetime


def summary_clocks(person: User, incident: Incident) -> SummaryClocks:
    every = list(obligations.restrict(person, ObligationAction.VIEW).filter(incident=incident).select_related("done_by")
                 .order_by(*OBLIGATIONS.within, *OBLIGATIONS.fields))
    pending = sorted((o for o in every if o.status == ObligationStatus.PENDING and o.due_at is not None),
                     key=lambda o: o.due_at)
    return SummaryClocks(
        pending=pending,
        waiting=[o for o in every if o.status == ObligationStatus.PENDING and o.due_at is None],
        settled=[o for o in every if o.status != ObligationStatus.PENDING],
        now=timezone.now(),
    )


def summary_open_actions(person: User, incident: Incident) -> list[OpenAction]:
    """The clocks' open actions: statutory obligations still to do."""
    at = timezone.now()
    counts = (obligations.restrict(person, ObligationAction.VIEW).filter(incident=incident, status=ObligationStatus.PENDING)
              .aggregate(pending=Count("id"), overdue=Count("id", filter=Q(due_at__lte=at))))
    return [OpenAction("Statutory obligations pending", counts["pending"],
                       f"{counts['overdue']} past the deadline" if counts["overdue"] else "")]


# --- the header's menu (core/wings.py) ---------------------------------------------------------------------------


def menu_offers(request) -> dict[str, int | None]:
    """The Clocks board, for senior leaders and incidents' leads and tactical leads (read with the rest of
    the header's questions, in one query: incidents.selectors.standing)."""
    if request.user.is_senior_leader or standing(request)["commands"]:
        return {"clocks": None}
    return {}
