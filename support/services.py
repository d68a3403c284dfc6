"""Every change to staff support, one function each: guard with support/policy.py, lock, audited save,
and the live boards told after commit.

The incident's timeline hears of debriefs only. Every member reads the timeline, and most may see the
register only as counts, withheld where small (core/small_counts.py): an entry for each person added to
the register, or each check-in completed, would let them count what the counts withhold, and the actor's
name on one would say who was added just then. So a change about one person's support is kept in its
record's own history (django-simple-history) and on the boards of those who may see it, never on the
timeline.

Opt-in by design. Check-ins are offered, never imposed: a person may decline one or all without a reason,
ask to rearrange, or choose who supports them, and a decline is a choice, not a failure. Outcomes are
recorded, never narratives; a note is private to the person, their supporter and the wellbeing leads.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import realtime, worker
from core.errors import Conflict, InvalidInput
from core.text import checked_text
from core.workdays import add_working_days, next_office_moment
from incidents.models import Incident
from incidents.policy import Action as IncidentView
from incidents.policy import incidents
from incidents.services import resolve_user, save_audited
from people.models import OrgRole, User

from .models import (
    AUDIT_REASON,
    AffectedPerson,
    Exposure,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    NoticeKind,
    Outcome,
    PlanStep,
    StepUnit,
    SupporterKind,
    SupportPlan,
    SupportRequest,
    SupportSource,
    SupportStatus,
)
from .notify import tell
from .policy import (
    COMMAND,
    WELLBEING_LEADS,
    Action,
    FollowUpAction,
    IncidentAction,
    RegisterAction,
    follow_ups,
    incident_support,
    register,
    requests,
)

LONDON = ZoneInfo("Europe/London")
FOLLOW_UPS_GROUP = "support.follow_ups"  # every follow-ups board; each socket re-reads through the policy

# What this wing changes on a Now list: its own part (support.selectors.now_items).
NOW_PART = ("support",)


# --- the live boards ------------------------------------------------------------------------------------


def _changed(*follow_up_ids: int) -> None:
    """Tell every follow-ups board after commit; each socket reads the follow-up again through the policy
    and shows it at the tier its person may see, or drops it."""
    for at, pk in enumerate(follow_up_ids, start=1):
        # With the last, the Now pages look again (a supporter need not be in the incident: all of them).
        also = [realtime.now_maybe()] if at == len(follow_up_ids) else []
        realtime.broadcast_on_commit(FOLLOW_UPS_GROUP, {"type": "follow_up.changed", "id": pk}, *also)


# --- plans ----------------------------------------------------------------------------------------------


def step_due(base: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """When a plan's step falls due after `base`. Hours are elapsed time; days and months keep the London
    wall-clock time, so a 28-day check-in across the clock change is still at the same hour of the day.
    A month later than the 31st is the month's last day."""
    if unit == StepUnit.HOURS:
        return base.astimezone(dt.UTC) + dt.timedelta(hours=amount)  # in UTC: aware arithmetic is wall-clock
    local = base.astimezone(LONDON)
    if unit == StepUnit.DAYS:
        wall = local.replace(tzinfo=None) + dt.timedelta(days=amount)
    else:
        month = local.month - 1 + amount
        year, month = local.year + month // 12, month % 12 + 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        wall = local.replace(tzinfo=None, year=year, month=month, day=day)
    return wall.replace(tzinfo=LONDON).astimezone(dt.UTC)


# The plan DOMAIN.md describes, written by a data migration and made again here should the default
# plan ever be deleted: removing its steps, not the plan, is how an organisation offers none.
DEFAULT_PLAN = (("72-hour check-in", 72, StepUnit.HOURS), ("One-month check-in", 28, StepUnit.DAYS),
                ("Three-month check-in", 3, StepUnit.MONTHS))


def default_steps() -> list[PlanStep]:
    plan = SupportPlan.objects.filter(is_default=True).first()
    if plan is None:
        try:
            with transaction.atomic():
                plan = SupportPlan.objects.create(name="Default plan", is_default=True)
                PlanStep.objects.bulk_create(PlanStep(plan=plan, label=label, amount=amount, unit=unit)
                                             for label, amount, unit in DEFAULT_PLAN)
        except IntegrityError:  # made by someone else a moment ago
            plan = SupportPlan.objects.get(is_default=True)
    return list(plan.steps.all())


# --- the exposure register ------------------------------------------------------------------------------


def _wellbeing_lead(exclude: Any = ()) -> User | None:
    """The wellbeing lead who takes a follow-up when nobody else is named: the one with fewest open,
    leaving out those given (the person, and anyone who must not learn of it)."""
    leads = follow_ups.holders(WELLBEING_LEADS)
    leads = leads.exclude(pk__in=[u.pk if isinstance(u, User) else u for u in exclude if u is not None])
    return leads.annotate(open=Count("assigned_follow_ups", filter=Q(
        assigned_follow_ups__status=FollowUpStatus.SCHEDULED))).order_by("open", "full_name", "pk").first()


def in_command(incident: Incident, user: User | None) -> bool:
    """Does the person lead the incident (lead or tactical lead)? They see the register and counts, and
    must not become anyone's supporter by someone else's choice: a supporter reads outcomes and notes."""
    return user is not None and incident_support.qualifies(user, COMMAND, incident)


def _sees(incident: Incident, user: User) -> bool:

    return incidents.allows(user, IncidentView.VIEW, incident)


def _supporter(errors: dict[str, list[str]], incident: Incident, person: User | None, supporter: Any, kind: Any,
               *, chosen_by_person: bool = False) -> tuple[User | None, str]:
    """The person's supporter and how they stand to them: whoever was chosen, else their line manager,
    else the wellbeing lead with fewest open follow-ups. Someone in command of the incident is never made
    a supporter except by the person themself, and a line manager outside a restricted incident is not
    told of it by becoming one."""
    if kind not in (None, "") and kind not in SupporterKind.values:
        errors.setdefault("supporter_kind", []).append(f"Choose from: {', '.join(SupporterKind.values)}.")
        return None, ""
    chosen = None
    if supporter not in (None, ""):
        chosen = resolve_user(errors, "supporter", supporter)
        if chosen is None:
            return None, ""
        if person is not None and chosen.pk == person.pk:
            errors.setdefault("supporter", []).append("Choose someone other than the person themself.")
            return None, ""
        if not chosen_by_person and in_command(incident, chosen):
            errors.setdefault("supporter", []).append(
                f"{chosen.display_name} leads this incident, and a supporter sees how check-ins went: choose "
                "someone else. (The person may choose them themself.)")
            return None, ""
    elif person is not None:
        manager = person.line_manager
        suitable = manager is not None and manager.is_active and not in_command(incident, manager) \
            and (not incident.restricted or _sees(incident, manager))
        chosen = manager if suitable else _wellbeing_lead(exclude=[person, *command_ids(incident)])
        if chosen is None:
            errors.setdefault("supporter", []).append(
                f"{person.display_name} has no line manager in Harbour and there is no wellbeing lead: choose "
                "who will support them.")
            return None, ""
    if chosen is None:
        return None, ""
    if kind in (None, ""):
        if person is not None and chosen.pk == person.line_manager_id:
            kind = SupporterKind.LINE_MANAGER
        elif chosen.has_org_role(OrgRole.WELLBEING_LEAD):
            kind = SupporterKind.WELLBEING_LEAD
        else:
            kind = SupporterKind.COLLEAGUE
    return chosen, kind


def command_ids(incident: Incident) -> list[int]:
    """The incident's lead and tactical lead: never made someone's supporter, never told of their support."""
    return list(incident_support.holders(COMMAND, incident).values_list("pk", flat=True))


def checked_reason(errors: dict[str, list[str]], value: Any, what: str = "why",
            field: tuple[type, str] = (AffectedPerson, "reason")) -> str:
    """A reason, required, as the field it is kept in allows (AUDIT_REASON: only in the audit history)."""
    model, name = field
    return checked_text(errors, model, name, value, key="reason", required=True, missing=f"Say {what}.")


def register_add(*, actor: User, incident_id: int, user: Any, exposure: Any, reason: Any,
                 supporter: Any = None, supporter_kind: Any = None) -> AffectedPerson:
    """Put a person on the incident's register, with the organisation's default plan of check-ins from
    when it became aware (or from now, if later), each offered by their supporter."""
    errors: dict[str, list[str]] = {}
    if exposure not in Exposure.values:
        errors["exposure"] = [f"Choose how they were affected from: {', '.join(Exposure.values)}."]
    reason = checked_reason(errors, reason, "why they are on the register")
    now = timezone.now()
    with transaction.atomic():
        incident = incident_support.fetch(actor, IncidentAction.ADD_TO_REGISTER, incident_id,
                                          Incident.objects.select_for_update())
        person = resolve_user(errors, "user", user)
        if person is not None and incident.affected_staff.filter(person=person).exists():
            errors.setdefault("user", []).append(f"{person.display_name} is already on this incident's register.")
        chosen, kind = _supporter(errors, incident, person, supporter, supporter_kind)
        if errors:
            raise InvalidInput(errors)
        entry = AffectedPerson(incident=incident, person=person, exposure=exposure, reason=reason, added_at=now,
                               added_by=actor, supporter=chosen, supporter_kind=kind)
        try:
            with transaction.atomic():
                save_audited(entry, actor)
        except IntegrityError:  # added by someone else a moment ago
            raise InvalidInput({"user": [f"{person.display_name} is already on this incident's register."]}) from None
        base = max(incident.aware_at, now)
        plan = sorted((step_due(base, step.amount, step.unit), step.label) for step in default_steps())
        created = [_follow_up_create(actor, entry, FollowUpKind.CHECK_IN, label, due) for due, label in plan]
    entry.created_follow_ups = created
    return entry


def _follow_up_create(actor: User | None, entry: AffectedPerson, kind: str, label: str,
                      due_at: dt.datetime) -> FollowUp:
    follow_up = FollowUp(incident=entry.incident, person=entry.person, affected=entry, kind=kind, label=label,
                         due_at=due_at, assignee=entry.supporter)
    save_audited(follow_up, actor)
    _schedule(follow_up)
    _changed(follow_up.pk)
    return follow_up


def _schedule(follow_up: FollowUp) -> None:
    """Enqueue the follow-up's reminders, written in this transaction (rolled back with it). The sweep
    finds any whose task is lost; the task itself re-checks everything, so an early or extra run is
    harmless."""
    worker.enqueue("support.follow_up_due", follow_up.pk, run_after=next_office_moment(follow_up.due_at))
    worker.enqueue("support.follow_up_due", follow_up.pk,
                   run_after=next_office_moment(add_working_days(follow_up.due_at, 1)))


def register_change(*, actor: User, entry_id: int, exposure: Any, reason: Any) -> AffectedPerson:
    """Say differently how someone was affected, with the reason."""
    errors: dict[str, list[str]] = {}
    if exposure not in Exposure.values:
        errors["exposure"] = [f"Choose how they were affected from: {', '.join(Exposure.values)}."]
    reason = checked_reason(errors, reason, "why it changed", AUDIT_REASON)
    with transaction.atomic():
        entry = register.fetch(actor, RegisterAction.CHANGE_EXPOSURE, entry_id,
                               AffectedPerson.objects.select_for_update())
        if errors:
            raise InvalidInput(errors)
        entry.exposure = exposure
        save_audited(entry, actor, reason)
    return entry


def register_choose_supporter(*, actor: User, entry_id: int, supporter: Any, supporter_kind: Any = None,
                              reason: Any = "") -> AffectedPerson:
    """The person, or a wellbeing lead, chooses who supports them. Every open follow-up moves with it."""
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        entry = register.fetch(actor, RegisterAction.CHOOSE_SUPPORTER, entry_id,
                               AffectedPerson.objects.select_for_update().select_related("person", "incident"))
        if supporter in (None, ""):
            errors["supporter"] = ["Choose who will support them."]
            raise InvalidInput(errors)
        chosen, kind = _supporter(errors, entry.incident, entry.person, supporter, supporter_kind,
                                  chosen_by_person=actor.pk == entry.person_id)
        if errors:
            raise InvalidInput(errors)
        model, name = AUDIT_REASON
        why = checked_text(errors, model, name, reason, key="reason", required=False)
        if errors:
            raise InvalidInput(errors)
        why = why or "Supporter chosen"
        entry.supporter, entry.supporter_kind = chosen, kind
        save_audited(entry, actor, why)
        moved = []
        for follow_up in entry.follow_ups.select_for_update().filter(status=FollowUpStatus.SCHEDULED):
            follow_up.assignee, follow_up.assignee_told_for = chosen, None  # the new supporter is told too
            save_audited(follow_up, actor, why)
            moved.append(follow_up.pk)
        _changed(*moved)
    return entry


def register_add_check_in(*, actor: User, entry_id: int, label: Any, due_at: Any) -> FollowUp:
    """An extra check-in before a trigger date: an inquest, a review's publication, the anniversary."""
    errors: dict[str, list[str]] = {}
    label = checked_text(errors, FollowUp, "label", label, missing="Say what the check-in is before (the inquest, say).")
    _check_future(errors, "due_at", due_at)
    with transaction.atomic():
        entry = register.fetch(actor, RegisterAction.ADD_CHECK_IN, entry_id,
                               AffectedPerson.objects.select_for_update().select_related("incident"))
        if entry.declined_all_at is not None:
            raise Conflict("They have said no to any more check-ins for this incident: that is their choice. "
                           "They can ask for support at any time.", code="declined_all")
        if errors:
            raise InvalidInput(errors)
        return _follow_up_create(actor, entry, FollowUpKind.TRIGGER, label, due_at)


def register_decline_all(*, actor: User, entry_id: int) -> AffectedPerson:
    """The person declines every check-in still to come. No reason is asked; nothing more is sent."""
    now = timezone.now()
    with transaction.atomic():
        entry = register.fetch(actor, RegisterAction.DECLINE_ALL, entry_id, AffectedPerson.objects.select_for_update())
        entry.declined_all_at = now
        save_audited(entry, actor)
        declined = []
        for follow_up in entry.follow_ups.select_for_update().filter(status=FollowUpStatus.SCHEDULED):
            follow_up.status, follow_up.closed_at, follow_up.closed_by = FollowUpStatus.DECLINED, now, actor
            save_audited(follow_up, actor)
            declined.append(follow_up.pk)
        _changed(*declined)
    return entry


# --- follow-ups -----------------------------------------------------------------------------------------


def _check_future(errors: dict[str, list[str]], field: str, value: Any) -> None:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        errors.setdefault(field, []).append("Enter a date and time.")
    elif value <= timezone.now():
        errors.setdefault(field, []).append("Choose a time in the future.")


def _locked(actor, action: FollowUpAction, follow_up_id: int) -> FollowUp:
    return follow_ups.fetch(actor, action, follow_up_id, FollowUp.objects.select_for_update(of=("self",))
                            .select_related("incident", "person"))


def follow_up_complete(*, actor: User, follow_up_id: int, outcome: Any, note: Any = "") -> FollowUp:
    """Record that a check-in happened and its outcome (and, privately, a note)."""
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [f"Choose the outcome from: {', '.join(Outcome.values)}."]
    note = checked_text(errors, FollowUp, "note", note)
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.COMPLETE, follow_up_id)
        if errors:
            raise InvalidInput(errors)
        follow_up.status, follow_up.outcome, follow_up.note = FollowUpStatus.COMPLETED, outcome, note
        follow_up.closed_at, follow_up.closed_by = timezone.now(), actor
        save_audited(follow_up, actor)
        _request_closed(follow_up, actor)
        _changed(follow_up.pk)
    return follow_up


def follow_up_decline(*, actor: User, follow_up_id: int) -> FollowUp:
    """The person declines this check-in (or their supporter records that they did). No reason."""
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.DECLINE, follow_up_id)
        follow_up.status, follow_up.closed_at, follow_up.closed_by = FollowUpStatus.DECLINED, timezone.now(), actor
        save_audited(follow_up, actor)
        _changed(follow_up.pk)
    return follow_up


def follow_up_request_rearrange(*, actor: User, follow_up_id: int) -> FollowUp:
    """The person asks for another time. Their supporter is told, in Harbour, straight away."""
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.REQUEST_REARRANGE, follow_up_id)
        follow_up.rearrange_requested_at = timezone.now()
        save_audited(follow_up, actor)
        tell(follow_up, follow_up.assignee, NoticeKind.REARRANGE, email=False)
        _changed(follow_up.pk)
    return follow_up


def follow_up_reschedule(*, actor: User, follow_up_id: int, due_at: Any, reason: Any) -> FollowUp:
    """Move a check-in, saying why. Reminders follow the new time only."""
    errors: dict[str, list[str]] = {}
    _check_future(errors, "due_at", due_at)
    reason = checked_reason(errors, reason, "why it moved", AUDIT_REASON)
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.RESCHEDULE, follow_up_id)
        if errors:
            raise InvalidInput(errors)
        follow_up.due_at, follow_up.rearrange_requested_at = due_at, None
        save_audited(follow_up, actor, reason)
        _schedule(follow_up)
        _changed(follow_up.pk)
    return follow_up


def follow_up_reassign(*, actor: User, follow_up_id: int, assignee: Any, reason: Any) -> FollowUp:
    """Hand a check-in to someone else, saying why."""
    errors: dict[str, list[str]] = {}
    reason = checked_reason(errors, reason, "why it is handed over", AUDIT_REASON)
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.REASSIGN, follow_up_id)
        chosen = resolve_user(errors, "assignee", assignee)
        if chosen is not None and chosen.pk == follow_up.person_id:
            errors.setdefault("assignee", []).append("Choose someone other than the person themself.")
        elif chosen is not None and in_command(follow_up.incident, chosen):
            errors.setdefault("assignee", []).append(
                f"{chosen.display_name} leads this incident, and whoever offers a check-in sees how it went: "
                "choose someone else.")
        if chosen is not None and follow_up.kind == FollowUpKind.SUPPORT_REQUEST \
                and not chosen.has_org_role(OrgRole.WELLBEING_LEAD):
            errors.setdefault("assignee", []).append("A request for support stays with a wellbeing lead.")
        elif chosen is not None and follow_up.is_support_request and chosen.pk == follow_up.person.line_manager_id:
            errors.setdefault("assignee", []).append("Their line manager is not told that they asked.")
        if errors:
            raise InvalidInput(errors)
        follow_up.assignee, follow_up.assignee_told_for = chosen, None  # the new assignee is told too
        save_audited(follow_up, actor, reason)
        _changed(follow_up.pk)
    return follow_up


def follow_up_cancel(*, actor: User, follow_up_id: int, reason: Any) -> FollowUp:
    """A wellbeing lead cancels a check-in that is no longer needed (they left, say), saying why."""
    errors: dict[str, list[str]] = {}
    reason = checked_reason(errors, reason, "why it is cancelled", AUDIT_REASON)
    with transaction.atomic():
        follow_up = _locked(actor, FollowUpAction.CANCEL, follow_up_id)
        if errors:
            raise InvalidInput(errors)
        follow_up.status, follow_up.closed_at, follow_up.closed_by = FollowUpStatus.CANCELLED, timezone.now(), actor
        save_audited(follow_up, actor, reason)
        _request_closed(follow_up, actor)
        _changed(follow_up.pk)
    return follow_up


# --- support requests -----------------------------------------------------------------------------------


def _request_closed(follow_up: FollowUp, actor: User) -> None:
    """A request for support stands where its follow-up does: once that is closed, so is the request."""
    if follow_up.request_id is not None:
        request = SupportRequest.objects.select_for_update().get(pk=follow_up.request_id)
        if request.status != SupportStatus.CLOSED:
            request.status = SupportStatus.CLOSED
            save_audited(request, actor)


def request_follow_up(request: SupportRequest, actor: User | None) -> FollowUp | None:
    """The wellbeing lead's follow-up of a request for support: never the person's line manager nor the
    incident's command, who must not learn they asked. None when there is no wellbeing lead to take it
    (the sweep tries again)."""
    person = request.person
    lead = _wellbeing_lead(exclude=[person, person.line_manager_id, *command_ids(request.incident)])
    if lead is None:
        return None
    follow_up = FollowUp(incident=request.incident, person=person, request=request, kind=FollowUpKind.SUPPORT_REQUEST,
                         label="Asked to talk to someone", due_at=timezone.now(), assignee=lead)
    save_audited(follow_up, actor)
    _schedule(follow_up)
    _changed(follow_up.pk)
    return follow_up


def support_request_from_briefing(*, person: User, message) -> SupportRequest:
    """"I would like to talk to someone", ticked when acknowledging a briefing (comms checks that the
    briefing is in the person's own inbox). It becomes a follow-up for a wellbeing lead, due at once. Seen
    by the person and the wellbeing leads; never by the message's senders, their line manager or the
    incident's command, and it does not put them on the register."""
    with transaction.atomic():
        request, created = SupportRequest.objects.get_or_create(
            person=person, message=message,
            defaults={"incident": message.incident, "source": SupportSource.BRIEFING, "status": SupportStatus.OPEN},
        )
        if created:
            request_follow_up(request, person)
            realtime.now_may_change(parts=NOW_PART)  # the wellbeing leads' lists
    return request


def support_request_set_status(*, actor: User, request_id: int, status: str) -> SupportRequest:
    """A wellbeing lead records where a request stands. Outcomes only: no notes about what was said."""
    if status not in SupportStatus.values:
        raise InvalidInput({"status": [f"Choose from: {', '.join(SupportStatus.values)}."]})
    with transaction.atomic():
        request = requests.fetch(actor, Action.SET_STATUS, request_id, SupportRequest.objects.select_for_update())
        request.status = status
        save_audited(request, actor)
        realtime.now_may_change(parts=NOW_PART)
    return request



