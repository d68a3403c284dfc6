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
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import notices, outbox, realtime, worker
from core.errors import Conflict, InvalidInput
from core.models import Email
from core.text import checked_text, is_one_line
from core.workdays import add_working_days, in_office_hours, next_office_moment
from incidents.models import Incident, MemberRole, OrgRole, User
from incidents.policy import Action as IncidentView
from incidents.policy import incidents
from incidents.services import record_event, resolve_user, save_audited

from .calendar import Invitation, Person, calendar_bytes
from .models import (
    AUDIT_REASON,
    EMAIL_KIND,
    AffectedPerson,
    Debrief,
    DebriefInvitee,
    DebriefKind,
    DebriefStatus,
    Exposure,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    NoticeKind,
    Outcome,
    PlanStep,
    Rsvp,
    StepUnit,
    SupporterKind,
    SupportEvent,
    SupportPlan,
    SupportRequest,
    SupportSource,
    SupportStatus,
    notice_kind,
)
from .policy import (
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
    from django.db.models import Count, Q

    leads = User.objects.filter(is_active=True, groups__name=OrgRole.WELLBEING_LEAD)
    leads = leads.exclude(pk__in=[u.pk if isinstance(u, User) else u for u in exclude if u is not None])
    return leads.annotate(open=Count("assigned_follow_ups", filter=Q(
        assigned_follow_ups__status=FollowUpStatus.SCHEDULED))).order_by("open", "full_name", "pk").first()


def in_command(incident: Incident, user: User | None) -> bool:
    """Does the person lead the incident (lead or tactical lead)? They see the register and counts, and
    must not become anyone's supporter by someone else's choice: a supporter reads outcomes and notes."""
    return user is not None and incident.memberships.active().filter(
        user=user, role__in=[MemberRole.LEAD, MemberRole.TACTICAL_LEAD]).exists()


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
    return list(incident.memberships.active().filter(role__in=[MemberRole.LEAD, MemberRole.TACTICAL_LEAD])
                .values_list("user_id", flat=True))


def _reason(errors: dict[str, list[str]], value: Any, what: str = "why",
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
    reason = _reason(errors, reason, "why they are on the register")
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
    reason = _reason(errors, reason, "why it changed", AUDIT_REASON)
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
    reason = _reason(errors, reason, "why it moved", AUDIT_REASON)
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
    reason = _reason(errors, reason, "why it is handed over", AUDIT_REASON)
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
    reason = _reason(errors, reason, "why it is cancelled", AUDIT_REASON)
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



# --- debriefs -------------------------------------------------------------------------------------------

# When each kind of debrief is suggested, after the organisation became aware (DOMAIN.md: hot the same
# day, support planning at 24–48 hours, cold at 1–2 weeks): never sooner than an hour from now, and in
# office hours.
SUGGESTED_AFTER = {DebriefKind.HOT: dt.timedelta(hours=2), DebriefKind.PLANNING: dt.timedelta(hours=36),
                   DebriefKind.COLD: dt.timedelta(days=10)}
MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_INVITEES = 200


def suggested_start(incident: Incident, kind: str) -> dt.datetime:
    """A time to offer for a debrief of this kind: its interval after awareness, not before an hour from
    now, moved into office hours, on the next half hour."""

    wanted = max(incident.aware_at + SUGGESTED_AFTER.get(kind, dt.timedelta(hours=2)),
                 timezone.now() + dt.timedelta(hours=1))
    moment = next_office_moment(wanted).astimezone(LONDON)
    if moment.minute % 30 or moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=30 - moment.minute % 30)
    return moment


def _debrief_fields(errors: dict[str, list[str]], *, kind: Any = None, starts_at: Any = None,
                    duration_minutes: Any = None, location: Any = None, partial: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if not partial or kind is not None:
        if kind not in DebriefKind.values:
            errors["kind"] = [f"Choose the kind of debrief from: {', '.join(DebriefKind.values)}."]
        fields["kind"] = kind
    if not partial or starts_at is not None:
        if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
            errors["starts_at"] = ["Enter when it starts as a date and time."]
        elif starts_at <= timezone.now():
            errors["starts_at"] = ["A debrief cannot start in the past: choose a time to come."]
        fields["starts_at"] = starts_at
    if not partial or duration_minutes is not None:
        if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int) \
                or not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
            errors["duration_minutes"] = [f"Give a length from {MIN_MINUTES} to {MAX_MINUTES} minutes."]
        fields["duration_minutes"] = duration_minutes
    if not partial or location is not None:
        fields["location"] = checked_text(errors, Debrief, "location", location,
                                          missing="Say where: a room, or a link to join.")
    return fields


def _invitees(errors: dict[str, list[str]], usernames: Any) -> list[User]:
    if not isinstance(usernames, list | tuple) or not usernames:
        errors["invitees"] = ["Invite at least one person (their usernames)."]
        return []
    if len(usernames) > MAX_INVITEES:
        errors["invitees"] = [f"Invite at most {MAX_INVITEES} people to one debrief."]
        return []
    wanted = list(dict.fromkeys(u.strip() for u in usernames if isinstance(u, str) and u.strip()))
    found = {u.username: u for u in User.objects.filter(username__in=[u for u in wanted if is_one_line(u)],
                                                          is_active=True)}
    unknown = [u for u in wanted if u not in found] + [u for u in usernames if not isinstance(u, str)]
    if unknown or not wanted:
        errors["invitees"] = ["There is no member of staff with the username " + ", ".join(
            f"“{u}”" for u in unknown) + "." if unknown else "Invite at least one person (their usernames)."]
    return [found[u] for u in wanted if u in found]


def _check_facilitator(errors, incident: Incident, facilitator: User | None, starts_at, duration: int,
                       confirmed: bool, debrief_id: int | None = None) -> None:
    """A facilitator is not booked twice at once (409), and one directly involved in the incident needs
    someone to confirm they are the right person to hold it (400 until they do)."""
    if facilitator is None or errors:
        return
    involved = AffectedPerson.objects.filter(incident=incident, person=facilitator,
                                             exposure=Exposure.DIRECTLY_INVOLVED).exists()
    if involved and not confirmed:
        errors["confirm_facilitator_involved"] = [
            f"{facilitator.display_name} was directly involved in this incident. Confirm they are the right "
            "person to facilitate, or choose someone else."]
        return
    # Two people booking the same facilitator at once: the second waits here, then sees the first's.
    User.objects.select_for_update().filter(pk=facilitator.pk).first()
    ends_at = starts_at + dt.timedelta(minutes=duration)
    # Those starting before this one ends and no longer ago than the longest debrief: then exactly.
    nearby = Debrief.objects.filter(facilitator=facilitator, status=DebriefStatus.SCHEDULED, starts_at__lt=ends_at,
                                    starts_at__gt=starts_at - dt.timedelta(minutes=MAX_MINUTES)).exclude(pk=debrief_id)
    clash = next((d for d in nearby.order_by("starts_at")
                  if d.starts_at + dt.timedelta(minutes=d.duration_minutes) > starts_at), None)
    if clash is not None:  # which debrief is not said: it may be of an incident the reader is not in
        raise Conflict(f"{facilitator.display_name} is already facilitating a debrief then: choose another "
                       "time or facilitator.", code="facilitator_booked")


def debrief_schedule(*, actor: User, incident_id: int, kind: Any, starts_at: Any, duration_minutes: Any,
                     location: Any, facilitator: Any, invitees: Any,
                     confirm_facilitator_involved: bool = False) -> Debrief:
    """Arrange a debrief and send each invitee (and the facilitator) a calendar invitation."""
    errors: dict[str, list[str]] = {}
    fields = _debrief_fields(errors, kind=kind, starts_at=starts_at, duration_minutes=duration_minutes,
                             location=location)
    with transaction.atomic():
        incident = incident_support.fetch(actor, IncidentAction.SCHEDULE_DEBRIEF, incident_id,
                                          Incident.objects.select_for_update())
        chosen = resolve_user(errors, "facilitator", facilitator)
        people = _invitees(errors, invitees)
        _check_facilitator(errors, incident, chosen, starts_at, duration_minutes, bool(confirm_facilitator_involved))
        if errors:
            raise InvalidInput(errors)
        debrief = Debrief(incident=incident, facilitator=chosen, created_by=actor, **fields)
        save_audited(debrief, actor)
        for person in people:
            save_audited(DebriefInvitee(debrief=debrief, person=person), actor)
        record_event(incident=incident, actor=actor, type=SupportEvent.DEBRIEF_SCHEDULED,
                     summary=f"{debrief.get_kind_display().split(' (')[0]} arranged for "
                             f"{timezone.localtime(debrief.starts_at).strftime('%-d %B at %H:%M')}.")
        _send_invitations(debrief, people)
        _debriefs_changed(incident.pk)
    return debrief


def _locked_debrief(actor, action: DebriefAction, debrief_id: int) -> Debrief:
    return debriefs.fetch(actor, action, debrief_id, Debrief.objects.select_for_update(of=("self",))
                          .select_related("incident", "facilitator"))


def debrief_change(*, actor: User, debrief_id: int, starts_at: Any = None, duration_minutes: Any = None,
                   location: Any = None, facilitator: Any = None, invitees: Any = None,
                   confirm_facilitator_involved: bool = False, learning_notes: Any = None) -> Debrief:
    """Move it, change where or who: every invitee gets the invitation again (same UID, next SEQUENCE),
    anyone no longer invited a cancellation. A new time asks everyone to answer again. A cold debrief's
    learning (`learning_notes`) goes to the incident."""
    if learning_notes is not None:
        return debrief_record_learning(actor=actor, debrief_id=debrief_id, notes=learning_notes)
    errors: dict[str, list[str]] = {}
    fields = _debrief_fields(errors, starts_at=starts_at, duration_minutes=duration_minutes, location=location,
                             partial=True)
    with transaction.atomic():
        debrief = _locked_debrief(actor, DebriefAction.CHANGE, debrief_id)
        if facilitator is not None:
            fields["facilitator"] = resolve_user(errors, "facilitator", facilitator)
        people = _invitees(errors, invitees) if invitees is not None else None
        if not fields and people is None and not errors:
            errors["starts_at"] = ["Say what changes: the time, length, place, facilitator or invitees."]
        _check_facilitator(errors, debrief.incident, fields.get("facilitator", debrief.facilitator),
                           fields.get("starts_at", debrief.starts_at),
                           fields.get("duration_minutes", debrief.duration_minutes),
                           bool(confirm_facilitator_involved) or "facilitator" not in fields
                           and "starts_at" not in fields, debrief.pk)
        if errors:
            raise InvalidInput(errors)
        retimed = any(fields.get(f, getattr(debrief, f)) != getattr(debrief, f) for f in ("starts_at", "duration_minutes"))
        old_facilitator = debrief.facilitator
        for name, value in fields.items():
            setattr(debrief, name, value)
        debrief.sequence += 1
        save_audited(debrief, actor)
        current = {i.person_id: i for i in debrief.invitees.select_related("person")}
        removed = []
        if people is not None:
            wanted = {p.pk for p in people}
            for pk, invitation in current.items():
                if pk not in wanted:
                    removed.append(invitation.person)
                    invitation._history_user = actor
                    invitation.delete()
            for person in people:
                if person.pk not in current:
                    save_audited(DebriefInvitee(debrief=debrief, person=person), actor)
        if retimed:
            for invitation in debrief.invitees.exclude(response=Rsvp.PENDING):
                invitation.response, invitation.responded_at = Rsvp.PENDING, None
                save_audited(invitation, actor, "The time changed")
        record_event(incident=debrief.incident, actor=actor, type=SupportEvent.DEBRIEF_CHANGED,
                     summary=f"A debrief was changed: now {timezone.localtime(debrief.starts_at).strftime('%-d %B at %H:%M')}.")
        invited = [i.person for i in debrief.invitees.select_related("person")]
        _send_invitations(debrief, invited)
        if removed:
            _send_invitations(debrief, removed, cancel=True, facilitator=False)
        if old_facilitator != debrief.facilitator:  # their calendar loses it
            _send_invitations(debrief, [old_facilitator], cancel=True, facilitator=False)
        _debriefs_changed(debrief.incident_id)
    return debrief


def debrief_cancel(*, actor: User, debrief_id: int, reason: Any) -> Debrief:
    """Call it off, saying why: every invitee's calendar is told (METHOD:CANCEL)."""
    errors: dict[str, list[str]] = {}
    reason = _reason(errors, reason, "why it is cancelled", (Debrief, "cancel_reason"))
    with transaction.atomic():
        debrief = _locked_debrief(actor, DebriefAction.CANCEL, debrief_id)
        if errors:
            raise InvalidInput(errors)
        debrief.status, debrief.cancel_reason = DebriefStatus.CANCELLED, reason
        debrief.sequence += 1
        save_audited(debrief, actor, reason)
        record_event(incident=debrief.incident, actor=actor, type=SupportEvent.DEBRIEF_CANCELLED,
                     summary=f"A debrief on {timezone.localtime(debrief.starts_at).strftime('%-d %B')} was cancelled.")
        _send_invitations(debrief, [i.person for i in debrief.invitees.select_related("person")], cancel=True)
        _debriefs_changed(debrief.incident_id)
    return debrief


def debrief_rsvp(*, actor: User, debrief_id: int, response: Any) -> DebriefInvitee:
    """Your answer to your invitation: accepted, declined or tentative. No reason is asked."""
    answers = (Rsvp.ACCEPTED, Rsvp.DECLINED, Rsvp.TENTATIVE)
    if response not in answers:
        raise InvalidInput({"response": [f"Answer {', '.join(answers)}."]})
    with transaction.atomic():
        debrief = _locked_debrief(actor, DebriefAction.RSVP, debrief_id)
        invitation = debrief.invitees.select_for_update().get(person=actor)
        invitation.response, invitation.responded_at = response, timezone.now()
        save_audited(invitation, actor)
        _debriefs_changed(debrief.incident_id)
    return invitation


def debrief_record_attendance(*, actor: User, debrief_id: int, attended: Any) -> Debrief:
    """Who came (the facilitator, once it has started): everyone invited and not named did not."""
    errors: dict[str, list[str]] = {}
    if not isinstance(attended, list | tuple) or not all(isinstance(u, str) for u in attended):
        errors["attended"] = ["Give the usernames of those who came (an empty list if nobody did)."]
        attended = ()
    with transaction.atomic():
        debrief = _locked_debrief(actor, DebriefAction.RECORD_ATTENDANCE, debrief_id)
        if debrief.starts_at > timezone.now():
            raise Conflict("Attendance is recorded once the debrief has started.", code="not_started")
        invitations = {i.person.username: i for i in debrief.invitees.select_for_update(of=("self",))
                       .select_related("person")}
        strangers = [u for u in attended or () if isinstance(u, str) and u not in invitations]
        if strangers and not errors:
            errors["attended"] = ["These people were not invited: " + ", ".join(strangers) + "."]
        if errors:
            raise InvalidInput(errors)
        for username, invitation in invitations.items():
            came = username in attended
            if invitation.attended != came:
                invitation.attended = came
                save_audited(invitation, actor)
        _debriefs_changed(debrief.incident_id)
    return debrief


def debrief_record_learning(*, actor: User, debrief_id: int, notes: Any) -> Debrief:
    """A cold debrief's learning, for the incident (its timeline says so): never anyone's wellbeing record."""
    errors: dict[str, list[str]] = {}
    notes = checked_text(errors, Debrief, "learning_notes", notes, required=True, missing="Write what was learned.")
    with transaction.atomic():
        debrief = _locked_debrief(actor, DebriefAction.RECORD_LEARNING, debrief_id)
        if debrief.kind != DebriefKind.COLD:
            raise InvalidInput({"learning_notes": ["Learning is recorded from a cold debrief."]})
        if errors:
            raise InvalidInput(errors)
        debrief.learning_notes = notes
        save_audited(debrief, actor)
        record_event(incident=debrief.incident, actor=actor, type=SupportEvent.DEBRIEF_LEARNING,
                     summary=f"Learning from the cold debrief: {notes}")
        _debriefs_changed(debrief.incident_id)
    return debrief


def _debriefs_changed(incident_id: int) -> None:
    realtime.broadcast_on_commit(realtime.incident_group(incident_id),
                                 realtime.panels_changed_message("debriefs", "support"))
    realtime.now_may_change(parts=NOW_PART)  # invitees and facilitators need not be in the incident


def _calendar_person(user: User):
    """The person as a calendar address, or None when their email cannot be one."""

    try:
        return Person(user.display_name, user.email) if user.email else None
    except ValueError:
        return None


def invitation_of(debrief: Debrief, *, reader: User, cancel: bool = False):
    """The debrief as a calendar invitation (support/calendar.py) for one reader: one UID for its life, its
    SEQUENCE. Who else is invited is for those arranging it (the policy's SEE_INVITEES, as the debrief's page
    and JSON): anyone else's copy, emailed or downloaded, names only the organiser and them. There is no
    copy for nobody in particular: every calendar made is someone's."""

    host = settings.HARBOUR_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "harbour"
    everyone = [i.person for i in debrief.invitees.select_related("person")]
    if not debriefs.qualifies(reader, debriefs.rules[DebriefAction.SEE_INVITEES], debrief):
        everyone = [p for p in everyone if p.pk == reader.pk] or [reader]
    attendees = tuple(a for a in map(_calendar_person, everyone) if a is not None)
    organiser = _calendar_person(debrief.facilitator) or Person(debrief.facilitator.display_name, f"noreply@{host}")
    return Invitation(
        uid=f"debrief-{debrief.pk}@{host}", sequence=debrief.sequence, method="CANCEL" if cancel else "REQUEST",
        summary=debrief.get_kind_display().split(" (")[0], description=_debrief_words(debrief),
        location=debrief.location, starts_at=debrief.starts_at, duration_minutes=debrief.duration_minutes,
        organiser=organiser, attendees=attendees, url=f"{settings.HARBOUR_BASE_URL}/support/debriefs/{debrief.pk}/")


def _debrief_words(debrief: Debrief) -> str:
    return {
        DebriefKind.HOT: "A chance to check on each other: welfare, practical needs and where support is. "
                         "Nobody will be asked to go over what happened.",
        DebriefKind.PLANNING: "Planning support for everyone affected, including those less obviously so.",
        DebriefKind.COLD: "Learning together, a little later. It is not an investigation and nobody is blamed.",
    }[debrief.kind] + " Coming is your choice."


def _send_invitations(debrief: Debrief, people: list[User], *, cancel: bool = False,
                      facilitator: bool = True) -> None:
    """Queue the invitation (or cancellation) for each person (and the facilitator), in this transaction,
    each naming only whom its reader may know is invited. Quiet hours hold them to the morning, unless
    the debrief starts before then: an invitation that came after the meeting would be no invitation."""

    when = timezone.localtime(debrief.starts_at).strftime("%A %-d %B at %H:%M")
    urgent = debrief.starts_at <= next_office_moment(timezone.now())
    recipients = {p.pk: p for p in people}
    if facilitator:
        recipients.setdefault(debrief.facilitator_id, debrief.facilitator)
    for person in recipients.values():
        if _calendar_person(person) is None:
            continue
        invitation = invitation_of(debrief, cancel=cancel, reader=person)
        body = (f"{'This debrief is cancelled.' if cancel else invitation.description}\n\n"
                f"When: {when} ({debrief.duration_minutes} minutes)\nWhere: {debrief.location}\n"
                f"Facilitator: {debrief.facilitator.display_name}\n\n{invitation.url}\n")
        queue_email(person, f"{'Cancelled: ' if cancel else ''}{invitation.summary}, {when}", body,
                    calendar=calendar_bytes(invitation).decode(), method=invitation.method, urgent=urgent)


# --- reminders, notices and emails ---------------------------------------------------------------------------
# Timed work for staff support: reminders said exactly once, in working hours; emails go by the one outbox
# (core/outbox.py), which sends support's in office hours only (`email_not_before`, declared in apps.py).
#
# When a follow-up falls due its assignee is told, in Harbour and by email; the person gets their one
# message about it; a working day later, if it is still open, the wellbeing leads are told. Nothing goes out
# outside working hours (core/workdays.py): it waits for the next working morning.
#
# Exactly once: each saying is a notice (core/notices.py) whose key (follow-up, kind, due time) is unique
# among the recipient's open notices, and support never closes one: a second is refused, written in the same
# transaction as its email and under the follow-up's row lock, so two workers, a task and the sweep, or a
# task re-run after a crash, say it once. A reschedule is a new due time, so it is said again for the new
# time only; a closed follow-up says nothing.

logger = logging.getLogger("harbour.support")
BOARD = "/support/board/"
MINE = "/support/me/"


def _words(follow_up: FollowUp, recipient: User, kind: str) -> tuple[str, str, str]:
    """(notice text, email subject, email body) for one saying. Never the note or the outcome; a request
    for support is named as such only to the wellbeing lead answering it."""
    person, label = follow_up.person.display_name, follow_up.label
    due = timezone.localtime(follow_up.due_at).strftime("%-d %B at %H:%M")
    link = settings.HARBOUR_BASE_URL
    if kind == NoticeKind.OFFER:
        supporter = follow_up.assignee.display_name
        text = f"Your {label.lower()} is due. {supporter} will offer to talk; you can rearrange or decline it."
        body = (f"{text}\n\nIt is your choice: you can say no, ask for another time, or choose someone else, "
                f"without giving a reason.\n\n{link}{MINE}\n")
        return text, f"Your {label.lower()}", body
    if kind == NoticeKind.OVERDUE:
        text = f"{label} with {person} was due {due} and is still open (offered by {follow_up.assignee.display_name})."
        return text, f"Check-in still open: {person}", f"{text}\n\n{link}{BOARD}\n"
    if kind == NoticeKind.REARRANGE:
        text = f"{person} asked to rearrange their {label.lower()}."
        return text, f"{person} asked to rearrange", f"{text}\n\n{link}{BOARD}\n"
    text = f"{label} with {person} is due ({due})."
    return text, f"Check-in due: {person}", f"{text}\n\nOffer it in the way they find easiest.\n\n{link}{BOARD}\n"


def tell(follow_up: FollowUp, recipient: User, kind: str, *, email: bool = True) -> bool:
    """Say one thing to one person about a follow-up, once (in the caller's transaction): a notice in
    Harbour and, for reminders, an email. False if it had already been said."""
    text, subject, body = _words(follow_up, recipient, kind)
    # Once per person, follow-up, kind and due time: asking twice to rearrange the same check-in tells the
    # supporter once; a reschedule makes a new due time.
    said = notices.notify_once(recipient, notice_kind(kind), about_id=follow_up.pk, when=follow_up.due_at,
                               text=text, url=MINE if kind == NoticeKind.OFFER else BOARD)
    if said is None:
        return False
    if email and recipient.email:
        queue_email(recipient, subject, body)
    return True


def queue_email(recipient: User, subject: str, body: str, calendar: str = "", method: str = "",
                urgent: bool = False) -> Email:
    """Put an email in the one outbox, in the caller's transaction, its first attempt queued with it."""
    return outbox.queue(EMAIL_KIND, to=recipient.email, subject=subject, body=body, recipient=recipient,
                        calendar=calendar, calendar_method=method, urgent=urgent)


def follow_up_remind(follow_up_id: int) -> str:
    """Say what is due about one follow-up, once each: to its assignee when it falls due, to the person
    once, and to the wellbeing leads a working day later if it is still open (the `follow_up_due` task)."""
    now = timezone.now()
    if not in_office_hours(now):
        worker.enqueue("support.follow_up_due", follow_up_id, run_after=next_office_moment(now))
        return "waits"
    with transaction.atomic():
        follow_up = (FollowUp.objects.select_for_update(of=("self",))
                     .select_related("person", "assignee", "affected").filter(pk=follow_up_id).first())
        if follow_up is None:
            return "gone"
        try:
            follow_ups.check(None, FollowUpAction.REMIND, follow_up)
        except Conflict:
            return "closed"
        if follow_up.due_at > now:
            return "not yet"
        said, changes = [], {}
        if follow_up.assignee_told_for != follow_up.due_at:
            if tell(follow_up, follow_up.assignee, NoticeKind.DUE):
                said.append("assignee")
            changes["assignee_told_for"] = follow_up.due_at
        if follow_up.person_told_at is None and follow_up.kind != FollowUpKind.SUPPORT_REQUEST:
            if tell(follow_up, follow_up.person, NoticeKind.OFFER):
                said.append("person")
            changes["person_told_at"] = now
        if follow_up.leads_told_for != follow_up.due_at \
                and now >= next_office_moment(add_working_days(follow_up.due_at, 1)):
            leads = User.objects.filter(is_active=True, groups__name=OrgRole.WELLBEING_LEAD).exclude(
                pk=follow_up.person_id)
            if follow_up.is_support_request:  # that they asked is not for their line manager or command
                leads = leads.exclude(pk__in=[follow_up.person.line_manager_id, *command_ids(follow_up.incident)])
            said += ["leads" for lead in leads if tell(follow_up, lead, NoticeKind.OVERDUE)][:1]
            changes["leads_told_for"] = follow_up.due_at
        if changes:
            # Bookkeeping of what was said, not a change to the follow-up: no history row for it.
            FollowUp.objects.filter(pk=follow_up.pk).update(**changes)
    return "told " + ", ".join(said) if said else "already told"


def email_not_before(email: Email, now: dt.datetime) -> dt.datetime:
    """When one of support's emails may go (the outbox asks, support/apps.py declares it): in office hours,
    unless it is an invitation to a debrief that starts before they open again."""
    return now if email.urgent else next_office_moment(now)


def sweep_due() -> int:
    """Reminders due and not yet said, found from the follow-ups themselves (so one whose task was lost
    is said after all, once). Outside working hours, nothing: it all waits for the morning. (Support's
    emails waiting past their time are the outbox's sweep's, core/outbox.py.)"""
    now = timezone.now()
    if not in_office_hours(now):
        return 0
    open_due = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
    untold = open_due.filter(
        Q(assignee_told_for__isnull=True) | ~Q(assignee_told_for=F("due_at"))
        | Q(due_at__lte=now - dt.timedelta(days=1)) & (Q(leads_told_for__isnull=True) | ~Q(leads_told_for=F("due_at")))
    ).values_list("pk", flat=True)
    done = 0
    for pk in untold:
        try:
            done += follow_up_remind(pk).startswith("told")
        except Exception:  # one follow-up's failure must not hold up the others; the next sweep tries again
            logger.exception("Reminding follow-up %s failed.", pk)
    # A request for support made when there was no wellbeing lead to take it, once there is one.
    waiting = SupportRequest.objects.filter(follow_up__isnull=True).exclude(status=SupportStatus.CLOSED)
    for request in waiting.select_related("person", "incident")[:100]:
        with transaction.atomic():
            if request_follow_up(request, None) is not None:
                done += 1
    return done
