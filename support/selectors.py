"""Every read of staff support, through support/policy.py: what a person may not see does not exist for
them, and what they may see is shown at the tier they may see it (private, or status only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import charts, small_counts
from core.actors import Actor
from core.errors import InvalidInput, PermissionDenied
from core.models import Notice
from core.paging import Keyset
from core.times import uk_day_time
from core.wings import NowItem, OpenAction
from incidents.models import Incident
from incidents.now import now_capped, now_more, only_visible_incidents
from incidents.policy import Action as IncidentView
from incidents.policy import incidents
from people.models import User

from .models import (
    NOTICE_KINDS,
    AffectedPerson,
    Debrief,
    DebriefInvitee,
    DebriefStatus,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Rsvp,
    SupportRequest,
    SupportStatus,
)
from .policy import (
    PRIVATE,
    WELLBEING_LEADS,
    Action,
    DebriefAction,
    FollowUpAction,
    IncidentAction,
    RegisterAction,
    debriefs,
    follow_ups,
    incident_support,
    register,
    requests,
)

REQUESTS = Keyset("-created_at", "-id")
FOLLOW_UPS = Keyset("due_at", "id", size=50)
REGISTER = Keyset("added_at", "id", size=50)
EXPOSURE = Keyset("full_name", "id", size=50)
NOTICES = 20
EXPOSURE_WINDOW = dt.timedelta(days=365)


def support_requests(actor: Actor) -> QuerySet[SupportRequest]:
    """The requests this person may see: their own, or every one for a wellbeing lead. Newest first."""
    return requests.restrict(actor, Action.VIEW).order_by("-created_at", "-id")


# --- follow-ups -----------------------------------------------------------------------------------------


def follow_ups_for(actor: Actor, *, mine: bool = False, team: bool = False, incident: Any = None,
                   status: Any = None) -> QuerySet[FollowUp]:
    """The follow-ups the person may see, soonest first: `mine` those they offer, `team` their direct
    reports' (the register's only), one incident's, or those in one state."""
    found = follow_ups.restrict(actor, FollowUpAction.VIEW).select_related(
        "person", "assignee", "incident", "affected__person")
    if mine:
        found = found.filter(assignee=actor)
    if team:
        found = found.filter(affected__person__line_manager=actor)
    if incident not in (None, ""):
        # Only an incident the person can see: filtering by one they cannot would tell them which of
        # their follow-ups belong to it.
        found = found.filter(incident=incident_support.fetch(actor, IncidentAction.VIEW, incident))
    if status not in (None, ""):
        if status not in FollowUpStatus.values:
            raise InvalidInput({"status": [f"Choose from: {', '.join(FollowUpStatus.values)}."]})
        found = found.filter(status=status)
    return found.order_by("due_at", "id")


def follow_up(actor: Actor, follow_up_id: Any) -> FollowUp:
    return follow_ups.fetch(actor, FollowUpAction.VIEW, follow_up_id,
                            FollowUp.objects.select_related("person", "assignee", "incident", "affected__person"))


def sees_private(actor: Actor, item: FollowUp) -> bool:
    """May this person see the follow-up's private tier (outcome, note, that a person asked)?"""
    return follow_ups.qualifies(actor, PRIVATE, item)


def sees_incident(actor: Actor, incident: Incident) -> bool:
    """Is the incident itself visible to the person? A restricted incident stays restricted, even to a
    wellbeing lead who sees its follow-ups."""
    return incidents.allows(actor, IncidentView.VIEW, incident)


def is_overdue(item: FollowUp, now: dt.datetime | None = None) -> bool:
    """Still open and past its time. Declined, completed and cancelled ones are never overdue."""
    return item.status == FollowUpStatus.SCHEDULED and item.due_at < (now or timezone.now())


BOARD_COLUMNS = (
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("week", "Next 7 days"),
    ("later", "Later"),
    ("done", "Done in the last 14 days"),
)


def board(actor: Actor, **filters: Any) -> dict[str, list[FollowUp]]:
    """The follow-ups board: open ones by when they are due, and those closed in the last 14 days. Each
    column holds at most FOLLOW_UPS.size cards, the soonest (or latest closed) first."""
    now = timezone.now()
    visible = follow_ups_for(actor, **filters)
    recent = Q(status__in=[FollowUpStatus.COMPLETED, FollowUpStatus.DECLINED, FollowUpStatus.CANCELLED],
               closed_at__gte=now - dt.timedelta(days=14))
    open_ = visible.filter(status=FollowUpStatus.SCHEDULED)
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    size = FOLLOW_UPS.size
    columns = {
        "overdue": list(open_.filter(due_at__lt=now)[:size]),
        "today": list(open_.filter(due_at__gte=now, due_at__lte=end_of_today)[:size]),
        "week": list(open_.filter(due_at__gt=end_of_today, due_at__lte=now + dt.timedelta(days=7))[:size]),
        "later": list(open_.filter(due_at__gt=max(end_of_today, now + dt.timedelta(days=7)))[:size]),
        "done": list(visible.filter(recent).order_by("-closed_at", "-id")[:size]),
    }
    return columns


# --- the register ---------------------------------------------------------------------------------------


def incident_for(actor: Actor, incident_id: Any, action: IncidentAction = IncidentAction.VIEW) -> Incident:
    return incident_support.fetch(actor, action, incident_id)


def register_of(actor: Actor, incident: Incident) -> QuerySet[AffectedPerson]:
    """Who is on the incident's register and how, for those who may see it (others: 403)."""
    incident_support.check(actor, IncidentAction.SEE_REGISTER, incident)
    return (register.restrict(actor, RegisterAction.VIEW).filter(incident=incident)
            .select_related("person", "person__team", "supporter").order_by("added_at", "id"))


def entry(actor: Actor, entry_id: Any) -> AffectedPerson:
    return register.fetch(actor, RegisterAction.VIEW, entry_id,
                          AffectedPerson.objects.select_related("person", "supporter", "incident"))


def exact_counts(incident: Incident) -> dict[str, int]:
    """How many people on the register have a check-in in each state (overdue worked out now), and how
    many people are on it: the numbers behind `counts`, never shown as they are. People, not check-ins:
    a count is withheld when it is few *people*, and one person's three declined check-ins are one person.
    A request for support is not on the register and is never counted here, so nobody in the incident
    learns that someone asked."""
    now = timezone.now()
    scheduled = Q(status=FollowUpStatus.SCHEDULED)

    def people(condition: Q) -> Count:
        return Count("affected", filter=condition, distinct=True)

    found = FollowUp.objects.filter(affected__incident=incident).aggregate(
        scheduled=people(scheduled & Q(due_at__gte=now)),
        overdue=people(scheduled & Q(due_at__lt=now)),
        completed=people(Q(status=FollowUpStatus.COMPLETED)),
        declined=people(Q(status=FollowUpStatus.DECLINED)),
        cancelled=people(Q(status=FollowUpStatus.CANCELLED)),
    )
    found["people"] = incident.affected_staff.count()
    return found


def counts(incident: Incident) -> dict[str, small_counts.Shown]:
    """How staff support stands in the incident, as every reader of the counts may see it (its members,
    its command and the wellbeing leads alike): how many are on the register, on its own, and how many
    of them have a check-in in each state, each a part of that group (core/small_counts.py)."""
    found = exact_counts(incident)
    people = found.pop("people")
    return {"people": small_counts.alone(people),
            **{state: small_counts.part(n, people) for state, n in found.items()}}


# --- a person's own support, and the organisation's view -----------------------------------------------


def my_support(person: User) -> dict[str, Any]:
    """Everything Harbour holds about the person's support, for them to see (they see every tier)."""
    return {
        "register": list(AffectedPerson.objects.filter(person=person).select_related("incident", "supporter")
                         .order_by("-added_at", "-id")[:REGISTER.size]),
        "follow_ups": list(FollowUp.objects.filter(person=person).select_related("incident", "assignee", "person", "affected__person")
                           .order_by("-due_at", "-id")[:FOLLOW_UPS.size]),
        "requests": list(SupportRequest.objects.filter(person=person).select_related("incident")
                         .order_by("-created_at", "-id")[:REQUESTS.size]),
    }


WHO_SEES = {
    "register": "You, your supporter, the incident's lead and tactical lead, and the wellbeing leads. Why you are "
                "on it, only those of them who know of the incident.",
    "follow_ups": "When they are due and where they stand: you, your supporter, your line manager and the "
                  "wellbeing leads. How they went and any note: you, your supporter and the wellbeing leads only.",
    "requests": "You and the wellbeing leads. Your line manager and the incident's leads are not told.",
}


def cumulative_exposure(actor: Actor, since: dt.datetime | None = None) -> QuerySet[User]:
    """People on the register of two or more incidents in the last 12 months, by name: for wellbeing
    leads only (others: 403)."""

    if not register.qualifies(actor, WELLBEING_LEADS):
        raise PermissionDenied("Only wellbeing leads see the organisation's cumulative exposure.")
    since = since or timezone.now() - EXPOSURE_WINDOW
    return (User.objects.filter(exposures__added_at__gte=since)
            .annotate(incidents=Count("exposures__incident", distinct=True))
            .filter(incidents__gte=2).select_related("team").order_by("full_name", "pk"))



def open_counts_by_entry(entries) -> dict[int, int]:
    """How many check-ins are still open for each register entry shown (one query): what the register
    shows its readers, who may not see anyone's follow-ups themselves."""
    found = (FollowUp.objects.filter(affected__in=list(entries), status=FollowUpStatus.SCHEDULED)
             .values("affected").annotate(n=Count("id")))
    return {row["affected"]: row["n"] for row in found}


def notices_for(person: User) -> list:
    """What Harbour has told the person about staff support, newest first."""

    return list(Notice.objects.filter(recipient=person, kind__in=NOTICE_KINDS).order_by("-created_at", "-id")[:NOTICES])


def follow_up_history(item: FollowUp) -> list[dict[str, Any]]:
    """Every change to the follow-up, newest first, for those who may see its private tier: who, when,
    which fields and why."""
    labels = {"due_at": "the time", "assignee": "who offers it", "status": "where it stands", "outcome": "the outcome",
              "note": "the note", "rearrange_requested_at": "asked for another time", "label": "its name"}
    hidden = {"assignee_told_for", "leads_told_for", "person_told_at", "updated_at", "closed_at", "closed_by"}
    records = list(item.history.select_related("history_user").order_by("-history_date", "-history_id")[:50])
    entries = []
    for record, before in zip(records, [*records[1:], None], strict=True):
        if before is None:
            changed = ["offered"]
        else:
            changed = [labels.get(c.field, c.field.replace("_", " ")) for c in record.diff_against(before).changes
                       if c.field not in hidden]
            if not changed:
                continue
        entries.append({"at": record.history_date, "by": record.history_user.display_name if record.history_user else
                        "Harbour", "changed": changed, "reason": record.history_change_reason or ""})
    return entries


# --- debriefs -------------------------------------------------------------------------------------------

DEBRIEFS = Keyset("starts_at", "id", size=50)


def debriefs_of(actor: Actor, incident: Incident) -> QuerySet:
    """The incident's debriefs this person may see (those arranging them: all; an invitee: theirs), with
    how many have answered each way."""

    counted = {f"{answer}_count": Count("invitees", filter=Q(invitees__response=answer)) for answer in Rsvp.values}
    return (debriefs.restrict(actor, DebriefAction.VIEW, Debrief.objects.filter(incident=incident))
            .select_related("facilitator", "incident").annotate(invited_count=Count("invitees"), **counted)
            .order_by("starts_at", "id"))


def debrief(actor: Actor, debrief_id: Any):

    return debriefs.fetch(actor, DebriefAction.VIEW, debrief_id,
                          Debrief.objects.select_related("facilitator", "incident"))


def rsvp_counts(invitations) -> dict[str, int]:
    """How many of these invitations were answered each way (from rows already read): the numbers behind
    `answers`, never shown as they are."""

    found = {answer: 0 for answer in Rsvp.values}
    for invitation in invitations:
        found[invitation.response] += 1
    return found


def answers(actor: Actor, debrief, counts: dict[str, int]) -> dict[str, small_counts.Shown]:
    """How many answered each way, as this reader may see it: exactly for those arranging the debrief, who
    are shown every invitee's answer anyway; to an invitee each count on its own, "fewer than 5" when small
    (core/small_counts.py). How many were invited is not shown beside them, so no answer can be worked
    out from the others."""
    if debriefs.allows(actor, DebriefAction.SEE_INVITEES, debrief):
        return {answer: small_counts.exact(n) for answer, n in counts.items()}
    return {answer: small_counts.alone(n) for answer, n in counts.items()}


def with_answers(actor: Actor, items: list) -> list:
    """Each debrief of `debriefs_of` with its `answers` as this reader may see them."""

    for item in items:
        item.answers = answers(actor, item, {a: getattr(item, f"{a}_count") for a in Rsvp.values})
    return items


# --- what needs me now (incidents.now.now_for) ---------------------------------------------------------------

# A check-in shows as needing its supporter from this long before it is due; a debrief its facilitator.
FOLLOW_UP_AHEAD = dt.timedelta(hours=24)
DEBRIEF_AHEAD = dt.timedelta(hours=48)


def now_items(person: User, at: dt.datetime) -> list[NowItem]:
    """Check-ins the person supports that are due within a day, overdue, or that the person asked to move;
    debriefs they facilitate in the next two days and invitations they have not answered; and, for
    wellbeing leads, requests for support still waiting for contact. Names and times only: never how a
    check-in went."""
    from django.urls import reverse

    items: list[NowItem] = []
    mine, more_mine = now_capped(follow_ups.restrict(person, FollowUpAction.COMPLETE)
                                 .filter(assignee=person, status=FollowUpStatus.SCHEDULED)
                                 .filter(Q(due_at__lte=at + FOLLOW_UP_AHEAD) | Q(rearrange_requested_at__isnull=False))
                                 .select_related("person", "incident").order_by("due_at", "id"))
    for item in mine:
        if item.kind == FollowUpKind.SUPPORT_REQUEST:  # theirs to answer: one item, with the request's words
            items.append(NowItem(
                kind="support_request", title=f"{item.person.display_name} asked to talk to someone",
                incident=item.incident, url=reverse("follow-up", args=[item.pk]),
                why=f"Asked {uk_day_time(item.created_at)}. You are to get in touch.",
                due_at=item.due_at, since=item.created_at))
            continue
        if item.rearrange_requested_at is not None:
            why = f"{item.person.display_name} asked to rearrange it; it is set for {uk_day_time(item.due_at)}."
        elif item.due_at <= at:
            why = f"It was due {uk_day_time(item.due_at)} and is not yet recorded."
        else:
            why = f"It is due {uk_day_time(item.due_at)}. You are their supporter."
        items.append(NowItem(
            kind="follow_up", title=f"{item.label} with {item.person.display_name}", incident=item.incident,
            url=reverse("follow-up", args=[item.pk]), why=why, due_at=item.due_at, since=item.created_at))
    items += now_more(more_mine, "check-ins of yours", reverse("follow-ups-board"), "the check-ins board")
    # Through the debriefs policy, as the debrief's page is: what the facilitator records, and the
    # invitations a person may answer.
    leading, more_leading = now_capped(
        debriefs.restrict(person, DebriefAction.RECORD_ATTENDANCE)
        .filter(facilitator=person, status=DebriefStatus.SCHEDULED,
                starts_at__lte=at + DEBRIEF_AHEAD, starts_at__gte=at - dt.timedelta(hours=12))
        .select_related("incident").order_by("starts_at", "id"))
    for debrief in leading:
        items.append(NowItem(
            kind="debrief", title=debrief.get_kind_display().split(" (")[0], incident=debrief.incident,
            url=reverse("debrief", args=[debrief.pk]),
            why=f"You facilitate it, {uk_day_time(debrief.starts_at)} at {debrief.location}.",
            due_at=debrief.starts_at, since=debrief.created_at))
    items += now_more(more_leading, "debriefs you facilitate", reverse("my-support"), "My support")
    unanswered, more_unanswered = now_capped(
        DebriefInvitee.objects.filter(person=person, response=Rsvp.PENDING,
                                      debrief__in=debriefs.restrict(person, DebriefAction.RSVP),
                                      debrief__status=DebriefStatus.SCHEDULED, debrief__starts_at__gt=at)
        .exclude(debrief__facilitator=person)
        .select_related("debrief", "debrief__incident").order_by("debrief__starts_at", "id"))
    for invitation in unanswered:
        debrief = invitation.debrief
        items.append(NowItem(
            kind="invitation", title=debrief.get_kind_display().split(" (")[0], incident=debrief.incident,
            url=reverse("debrief", args=[debrief.pk]),
            why=f"You are invited, {uk_day_time(debrief.starts_at)}: say whether you can come.",
            due_at=debrief.starts_at, since=debrief.created_at))
    items += now_more(more_unanswered, "debrief invitations to answer", reverse("my-support"), "My support")
    if requests.qualifies(person, WELLBEING_LEADS):
        # Those handed to this lead are on the list already, as theirs to answer (above).
        waiting, more_waiting = now_capped(requests.restrict(person, Action.VIEW).filter(status=SupportStatus.OPEN)
                                           .exclude(person=person)
                                           .exclude(follow_up__assignee=person, follow_up__status=FollowUpStatus.SCHEDULED)
                                           .select_related("person", "incident").order_by("created_at", "id"))
        for request in waiting:
            items.append(NowItem(
                kind="support_request", title=f"{request.person.display_name} asked to talk to someone",
                incident=request.incident, url=reverse("support-requests") + f"#request-{request.pk}",
                why=f"Asked {uk_day_time(request.created_at)}; nobody has been in touch yet.",
                since=request.created_at))
        items += now_more(more_waiting, "requests for support", reverse("support-requests"), "Support requests")
    return only_visible_incidents(person, items)


# --- the incident's one-page summary (incidents/selectors.py summary) ---------------------------------------


def summary_open_actions(person: User, incident: Incident) -> list:
    """Staff support on the summary: how many people on the register have a check-in to come, and how
    many one past its time. The same two counts the Staff support tab shows, withheld in the same way
    (a count the tab withholds must not be worked out from a different one here); never whose, and
    requests for support are not on the register and never counted."""

    if not incident_support.allows(person, IncidentAction.SEE_COUNTS, incident):
        return []
    found = counts(incident)
    overdue = found["overdue"]
    return [OpenAction("Staff with a check-in to come (counts only)", found["scheduled"],
                       "none with one past its time" if overdue.count == 0 else f"{overdue} with one past its time")]


# --- check-ins by week, for the wellbeing leads (issue 11, point 7) -------------------------------------------

CHECK_IN_WEEKS = 12
CHECK_IN_KINDS = (FollowUpKind.CHECK_IN, FollowUpKind.TRIGGER)  # not a request for support: that is a request


def check_ins_by_week(actor: Actor, weeks: int = CHECK_IN_WEEKS,
                      now: dt.datetime | None = None) -> list[tuple[dt.date, int, int, int]]:
    """The organisation's check-ins over the last `weeks` ISO weeks (Monday to Sunday, Europe/London),
    oldest first: (the week's Monday, due, done, declined), each how many *people* (a count is withheld
    when it is few people, and one person's two check-ins in a week are one person). Due: still scheduled
    and due that week; done and declined: closed that week. Exact numbers, for `check_ins_picture` to
    withhold; counts only, in two queries however many there are; for wellbeing leads only (others: 403)."""
    from django.db.models.functions import Coalesce, TruncWeek

    if not follow_ups.qualifies(actor, WELLBEING_LEADS):
        raise PermissionDenied("Only wellbeing leads see the organisation's check-ins by week.")
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = [this_monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    start = dt.datetime.combine(mondays[0], dt.time(), tzinfo=zone)
    end = dt.datetime.combine(this_monday + dt.timedelta(weeks=1), dt.time(), tzinfo=zone)
    check_ins = FollowUp.objects.filter(kind__in=CHECK_IN_KINDS).order_by()
    due = (check_ins.filter(status=FollowUpStatus.SCHEDULED, due_at__gte=start, due_at__lt=end)
           .annotate(week=TruncWeek("due_at", tzinfo=zone)).values("week").annotate(n=Count("person", distinct=True))
           .values_list("week", "n"))
    closed_at = Coalesce("closed_at", "due_at")
    closed = (check_ins.filter(status__in=[FollowUpStatus.COMPLETED, FollowUpStatus.DECLINED])
              .alias(closed=closed_at).filter(closed__gte=start, closed__lt=end)
              .annotate(week=TruncWeek(closed_at, tzinfo=zone)).values("week")
              .annotate(done=Count("person", filter=Q(status=FollowUpStatus.COMPLETED), distinct=True),
                        declined=Count("person", filter=Q(status=FollowUpStatus.DECLINED), distinct=True))
              .values_list("week", "done", "declined"))

    def monday(week) -> dt.date:
        return (week.astimezone(zone).date() if isinstance(week, dt.datetime) else week)

    due_by = {monday(week): n for week, n in due}
    closed_by = {monday(week): (done, declined) for week, done, declined in closed}
    return [(m, due_by.get(m, 0), *closed_by.get(m, (0, 0))) for m in mondays]


def check_ins_picture(actor: Actor):
    """`check_ins_by_week` as a picture (a core.charts Chart) and its table: every week's count on its own
    (core/small_counts.py), "fewer than 5" when it is a few people, as for anyone but the people counted;
    no total beside them that would give a withheld week away."""

    weeks = check_ins_by_week(actor)
    labels = [f"{m.day} {m:%b}" for m, *_ in weeks]

    def column(i: int) -> tuple[small_counts.Shown, ...]:
        return tuple(small_counts.alone(w[i]) for w in weeks)

    return charts.bar_chart(
        ident="check-ins-by-week", title=f"Check-ins by week, the last {len(weeks)} weeks",
        categories=labels, category_header="Week commencing", what="People with check-ins, of every incident",
        series=[charts.Series("Due, still scheduled", column(1), charts.BLUE, "solid"),
                charts.Series("Done", column(2), charts.GREEN, "hatched"),
                charts.Series("Declined", column(3), charts.PURPLE, "dotted")],
        empty=f"No check-ins were due, done or declined in the last {len(weeks)} weeks.")


def is_wellbeing_lead(actor: Actor) -> bool:
    return requests.qualifies(actor, WELLBEING_LEADS)


# --- the header's menu (core/wings.py) ----------------------------------------------------------------------


def menu_offers(request) -> dict[str, int | None]:
    """The header's menu (core/wings.py): the follow-ups board, My support (with how many notices are
    unread) and support requests, each for those who use it."""
    found = _offered(request)
    offered: dict[str, int | None] = {}
    if found["support_board"]:
        offered["follow-ups"] = None
    if found["shows_support"]:
        offered["my-support"] = found["support_unread"] or None
    if found["support_leads"]:
        offered["support-requests"] = None
    return offered


def _offered(request) -> dict:
    """What staff support offers this person, in one query."""
    user = request.user
    leads = requests.qualifies(user, WELLBEING_LEADS)
    unread = (Notice.objects.filter(recipient=OuterRef("pk"), kind__in=NOTICE_KINDS, seen_at__isnull=True)
              .values("recipient").annotate(n=Count("id")).values("n"))
    # The board, for those who offer check-ins or manage people who have them (everyone sees their own
    # in "My support"); wellbeing leads always.
    others = follow_ups.restrict(user, FollowUpAction.VIEW, FollowUp.objects.filter(~Q(person=user)))
    # "My support", for those who have some: a check-in, a place on a register, a request or a notice.
    own = (Exists(FollowUp.objects.filter(person=OuterRef("pk"))) | Exists(AffectedPerson.objects.filter(person=OuterRef("pk")))
           | Exists(SupportRequest.objects.filter(person=OuterRef("pk")))
           | Exists(Notice.objects.filter(recipient=OuterRef("pk"), kind__in=NOTICE_KINDS)))
    found = User.objects.filter(pk=user.pk).annotate(
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        board=Value(True) if leads else Exists(others),
        own=own,
    ).values("unread", "board", "own").first() or {"unread": 0, "board": False, "own": False}
    return {"shows_support": found["own"], "support_board": found["board"], "support_leads": leads,
            "support_unread": found["unread"]}
