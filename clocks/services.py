"""Every change to an incident's statutory clocks, one function each.

An incident copies its kind's playbook when it opens: one obligation per deadline, each with the time its
clock started and when it falls due (core/workdays.py counts). Changing the kind or the times recomputes
those still pending. The spine tells this wing of those moments (core/wings.py on_incident, declared in
clocks/apps.py), inside its own transaction, the incident locked; the changes here lock the incident too,
as every change to an incident does. Reminders are the worker's: its sweep finds them due and says each once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import notices, outbox, realtime
from core.actors import Actor, person_of
from core.errors import Conflict, InvalidInput
from core.grants import member
from core.text import checked_text
from core.workdays import (
    calendar_days_due,
    hours_due,
    in_office_hours,
    next_office_moment,
    same_working_day_end,
    working_day_before,
    working_days_due,
)
from incidents.models import Incident, MemberRole
from incidents.services import (
    CLOCK_SKEW,
    check_choice,
    decision_append,
    delete_audited,
    locked_incident,
    record_event,
    save_audited,
    shorten,
)
from people.models import User

from .models import (
    ClockKind,
    ClocksEvent,
    ClockStart,
    Notification,
    NotifyMethod,
    Obligation,
    ObligationFields,
    ObligationStatus,
    PlaybookObligation,
    PlaybookStep,
    ReminderKind,
)
from .policy import Action, ObligationAction, obligations

logger = logging.getLogger("harbour.clocks")

CLOCK_FIELD_WORDS = {"kind": "the kind", "aware_at": "the time of awareness", "occurred_at": "the time it happened"}


def playbook_items(kind: str) -> list[PlaybookObligation]:
    return list(PlaybookObligation.objects.filter(playbook__kind=kind).order_by("position", "id"))


def due_times(obligation: Obligation) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(due_at, remind_at) for an obligation whose clock started at `started_at`: remind_at is one working
    day before the due time, moved into office hours when that is still before it; None when the clock is
    shorter than that (an hour for the holding statement)."""
    start = obligation.started_at
    if start is None:
        return None, None
    amount = obligation.amount
    match obligation.clock:
        case ClockKind.WORKING_DAYS:
            due = same_working_day_end(start) if amount == 0 else working_days_due(start, amount)
        case ClockKind.CALENDAR_DAYS:
            due = calendar_days_due(start, amount)
        case _:  # hours, and "without delay", whose reminder comes after `amount` hours
            due = hours_due(start, amount)
    remind = working_day_before(due)
    if not in_office_hours(remind) and next_office_moment(remind) < due:
        remind = next_office_moment(remind)
    return due, (remind if remind > start else None)


def _start_of(obligation: Obligation, incident: Incident, resolved: dict[str, dt.datetime]) -> dt.datetime | None:
    match obligation.starts:
        case ClockStart.AWARE_AT:
            return incident.aware_at
        case ClockStart.OCCURRED_AT:
            return incident.occurred_at
        case ClockStart.MEDIA_ENQUIRY:
            return incident.media_interest_at
        case _:  # when another obligation is done (or found not to apply)
            return resolved.get(obligation.after)


def _resolved_at(obligation: Obligation) -> dt.datetime | None:
    if obligation.status == ObligationStatus.DONE:
        return obligation.done_at
    if obligation.status == ObligationStatus.NOT_APPLICABLE and obligation.decision_id:
        return obligation.decision.decided_at
    return None


def clocks_changed(incident: Incident) -> None:
    """Every Clocks board that may see this incident redraws; the workspace redraws its clocks."""
    realtime.broadcast_on_commit(realtime.CLOCKS_GROUP, realtime.clocks_changed_message(incident.pk))
    realtime.broadcast_on_commit(realtime.incident_group(incident.pk), realtime.panels_changed_message("clocks"))


def _sync_obligations(incident: Incident, actor: User | None, *, new: bool = False) -> dict[str, list[str]]:
    """Bring the incident's obligations in line with its kind's playbook and its times (in the caller's
    transaction, the incident locked): add the playbook's new ones, withdraw pending ones it no longer
    lists, and recompute the due times of those still pending. Done and not-applicable ones stay as
    recorded. Returns the titles added, withdrawn and moved.

    Nothing is enqueued: the worker's sweep, every minute, finds from the obligations themselves what is
    due to be said (sweep_due), so a recomputed due time needs no task cancelled, and opening an incident
    writes its obligations in two statements."""
    wanted = {item.code: item for item in playbook_items(incident.kind)}
    # The decision of one found not to apply is read with it: a clock that follows it starts at its time.
    existing = {} if new else {o.code: o for o in Obligation.objects.select_for_update(of=("self",))
                               .select_related("decision").filter(incident=incident)}
    changes: dict[str, list[str]] = {"added": [], "withdrawn": [], "moved": []}
    for code, obligation in list(existing.items()):
        if code not in wanted and obligation.is_pending:
            delete_audited(obligation, actor)
            del existing[code]
            changes["withdrawn"].append(obligation.title)
    added = []
    for code, item in wanted.items():
        if code not in existing:
            copied = {f.name: getattr(item, f.name) for f in ObligationFields._meta.get_fields()}
            existing[code] = Obligation(incident=incident, **copied)
            added.append(existing[code])
            changes["added"].append(item.title)
    resolved = {o.code: when for o in existing.values() if (when := _resolved_at(o)) is not None}
    # Those that start when another is done come after it, so one pass in this order settles them all.
    for obligation in sorted(existing.values(), key=lambda o: o.starts == ClockStart.OBLIGATION):
        if not obligation.is_pending:
            continue
        before = (obligation.started_at, obligation.due_at)
        obligation.started_at = _start_of(obligation, incident, resolved)
        obligation.due_at, obligation.remind_at = due_times(obligation)
        if obligation.pk is not None and before != (obligation.started_at, obligation.due_at):
            changes["moved"].append(obligation.title)
            save_audited(obligation, actor)
    if added:
        # One statement for the rows and one for their history, attributed to the actor as save_audited does.
        bulk_create_with_history(added, Obligation, default_user=actor)
    clocks_changed(incident)
    return changes


def _obligations_recomputed(incident: Incident, actor: User | None, changes: dict[str, list[str]], why: str) -> None:
    parts = [f"{label} {', '.join(titles)}" for label, titles in (
        ("added:", changes["added"]), ("withdrawn:", changes["withdrawn"]), ("due time moved:", changes["moved"]))
        if titles]
    if parts:
        record_event(incident=incident, actor=actor, type=ClocksEvent.OBLIGATIONS_RECOMPUTED,
                     summary=f"Statutory clocks recomputed ({why}): " + "; ".join(parts), data=changes)


# --- the incident's moments (core/wings.py on_incident, declared in clocks/apps.py) ---------------------------


def incident_opened(*, incident: Incident, actor: User) -> None:
    """A new incident copies its kind's playbook: its obligations, their clocks started where they can."""
    _sync_obligations(incident, actor, new=True)


def incident_changed(*, incident: Incident, actor: User, changed: list[str]) -> None:
    """A change of kind or times recomputes the pending obligations (said on the timeline when any moved);
    a change of access redraws the boards, whose people may now see the incident or no longer."""
    clock_fields = [f for f in ("kind", "aware_at", "occurred_at") if f in changed]
    if clock_fields:
        why = " and ".join(CLOCK_FIELD_WORDS[f] for f in clock_fields) + " changed"
        _obligations_recomputed(incident, actor, _sync_obligations(incident, actor), why)
    elif "restricted" in changed:
        clocks_changed(incident)


def media_interest(*, incident: Incident, at: dt.datetime) -> None:
    """The first media enquiry was logged: the clocks that wait for media interest, the holding
    statement's, start from it."""
    waiting = Obligation.objects.select_for_update().filter(
        incident=incident, starts=ClockStart.MEDIA_ENQUIRY, status=ObligationStatus.PENDING, started_at__isnull=True)
    for obligation in waiting:
        obligation.started_at = at
        obligation.due_at, obligation.remind_at = due_times(obligation)
        save_audited(obligation, None)
        record_event(incident=incident, actor=None, type=ClocksEvent.OBLIGATION_STARTED,
                     summary=f"The first media enquiry started a clock: {obligation.title}, {due_words(obligation)}.",
                     data={"obligation": obligation.pk, "code": obligation.code})
    clocks_changed(incident)


# --- obligations: done, or not applying ------------------------------------------------------------------------


def due_words(obligation: Obligation) -> str:
    if obligation.due_at is None:
        return "waiting for its clock to start"
    when = timezone.localtime(obligation.due_at)
    if obligation.clock == ClockKind.WITHOUT_DELAY:
        return f"without delay (a reminder at {when:%H:%M on %-d %B})"
    return f"due {when:%A %-d %B at %H:%M}"


def _start_following(incident: Incident, actor: User | None, code: str, at: dt.datetime) -> list[str]:
    """Start the clocks that wait for this obligation (the rapid review, if set to follow the Panel)."""
    started = []
    waiting = Obligation.objects.select_for_update().filter(
        incident=incident, starts=ClockStart.OBLIGATION, after=code, status=ObligationStatus.PENDING)
    for obligation in waiting:
        obligation.started_at = at
        obligation.due_at, obligation.remind_at = due_times(obligation)
        save_audited(obligation, actor)
        started.append(f"{obligation.title} is now {due_words(obligation)}")
    return started


def _locked_obligation(actor: Actor, obligation_id: Any, action: ObligationAction) -> tuple[Obligation, Incident]:
    """The obligation and its incident, both locked, the incident first (as every incident service
    locks), once the policy allows the actor this action."""
    found = obligations.fetch(actor, ObligationAction.VIEW, obligation_id)
    incident = Incident.objects.select_for_update().get(pk=found.incident_id)
    obligation = obligations.fetch(actor, action, obligation_id, Obligation.objects.select_for_update(of=("self",)))
    obligation.incident = incident
    return obligation, incident


def _check_when(errors: dict[str, list[str]], field: str, value: Any, incident: Incident, label: str) -> dt.datetime:
    now = timezone.now()
    if value in (None, ""):
        return now
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        errors[field] = [f"Enter {label} as a date and time with a time zone."]
    elif value > now + CLOCK_SKEW:
        errors[field] = [f"The time {label} cannot be in the future."]
    elif value < incident.occurred_at:
        errors[field] = [f"The time {label} cannot be before the incident happened "
                         f"({timezone.localtime(incident.occurred_at):%-d %B %Y %H:%M})."]
    else:
        return min(value, now)
    return now


def obligation_done(*, actor: Actor, obligation_id: int, reference: str, done_at: dt.datetime | None = None) -> Obligation:
    """Record an obligation as done: when, by whom, and its reference (the notification's number, say).
    Clocks that wait for it start now."""
    errors: dict[str, list[str]] = {}
    reference = checked_text(errors, Obligation, "reference", reference, required=True,
                             missing="Enter a reference, or how it was done.")
    with transaction.atomic():
        obligation, incident = _locked_obligation(actor, obligation_id, ObligationAction.MARK_DONE)
        done_at = _check_when(errors, "done_at", done_at, incident, "it was done")
        if errors:
            raise InvalidInput(errors)
        actor = person_of(actor)
        _complete(obligation, incident, actor, reference=reference, done_at=done_at)
    return obligation


def _complete(obligation: Obligation, incident: Incident, actor: User, *, reference: str, done_at: dt.datetime) -> None:
    obligation.status = ObligationStatus.DONE
    obligation.done_at, obligation.done_by, obligation.reference = done_at, actor, reference
    save_audited(obligation, actor)
    late = obligation.due_at is not None and done_at > obligation.due_at
    following = _start_following(incident, actor, obligation.code, done_at)
    record_event(
        incident=incident, actor=actor, type=ClocksEvent.OBLIGATION_DONE,
        summary=f"{obligation.title}: done {timezone.localtime(done_at):%-d %B at %H:%M}"
                + (" (after its due time)" if late else "") + f", recorded by {actor.display_name}. "
                f"Reference: {reference}" + "".join(f". {words}" for words in following),
        data={"obligation": obligation.pk, "code": obligation.code, "late": late},
    )
    clocks_changed(incident)


def obligation_not_applicable(*, actor: Actor, obligation_id: int, reason: str) -> Obligation:
    """Record that an obligation does not apply, and why: a decision, so it is written to the decision log."""
    errors: dict[str, list[str]] = {}
    reason = checked_text(errors, Obligation, "reason", reason, required=True, missing="Enter why it does not apply.")
    with transaction.atomic():
        obligation, incident = _locked_obligation(actor, obligation_id, ObligationAction.MARK_NOT_APPLICABLE)
        if errors:
            raise InvalidInput(errors)
        actor = person_of(actor)
        now = timezone.now()
        entry = decision_append(incident, actor, decision=f"{obligation.title} does not apply to this incident.",
                                rationale=reason, information=obligation.basis, at=now)
        obligation.status = ObligationStatus.NOT_APPLICABLE
        obligation.reason, obligation.decision = reason, entry
        save_audited(obligation, actor, reason)
        following = _start_following(incident, actor, obligation.code, now)
        record_event(
            incident=incident, actor=actor, type=ClocksEvent.OBLIGATION_NOT_APPLICABLE,
            summary=f"{obligation.title}: does not apply (decision {entry.number}, {actor.display_name}): "
                    f"{shorten(reason)}" + "".join(f". {words}" for words in following),
            data={"obligation": obligation.pk, "code": obligation.code, "decision": entry.pk},
        )
        clocks_changed(incident)
    return obligation


# --- the need-to-know ladder -----------------------------------------------------------------------------------


def ladder_steps(incident: Incident) -> list[PlaybookStep]:
    return list(PlaybookStep.objects.filter(playbook__kind=incident.kind).order_by("position", "id"))


def notification_record(*, actor: User, incident_id: int, step: str, person: str, method: str,
                        at: dt.datetime | None = None) -> Notification:
    """Record a step of the need-to-know ladder: who was told, how and when, by the actor. Once per step.
    Telling the Director fulfils the Director obligation."""
    errors: dict[str, list[str]] = {}
    person = checked_text(errors, Notification, "person", person, missing="Enter who was told.")
    check_choice(errors, "method", method, NotifyMethod, "how they were told")
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.RECORD_NOTIFICATION)
        at = _check_when(errors, "at", at, incident, "they were told")
        steps = {s.code: s for s in ladder_steps(incident)}
        rung = steps.get(step) if isinstance(step, str) else None
        if rung is None:
            errors["step"] = [f"Choose a step of this incident's ladder: {', '.join(steps) or 'there are none'}."]
        if errors:
            raise InvalidInput(errors)
        earlier = incident.notifications.filter(step=rung.code).first()
        if earlier is not None:
            raise Conflict(f"{rung.title} was already recorded as told: {earlier.person}, "
                           f"{timezone.localtime(earlier.at):%-d %B at %H:%M}.", code="already_told")
        notification = Notification(incident=incident, step=rung.code, step_title=rung.title, person=person,
                                    method=method, at=at, told_by=actor)
        try:
            with transaction.atomic():
                save_audited(notification, actor)
        except IntegrityError:  # recorded by someone else a moment ago
            raise Conflict(f"{rung.title} was already recorded as told.", code="already_told") from None
        record_event(
            incident=incident, actor=actor, type=ClocksEvent.NOTIFICATION_RECORDED,
            summary=f"{rung.title} told: {person}, {notification.get_method_display().lower()}, "
                    f"{timezone.localtime(at):%-d %B at %H:%M} (by {actor.display_name})",
            data={"notification": notification.pk, "step": rung.code},
        )
        if rung.completes:
            fulfilled = Obligation.objects.select_for_update().filter(
                incident=incident, code=rung.completes, status=ObligationStatus.PENDING).first()
            if fulfilled is not None:
                _complete(fulfilled, incident, actor, done_at=at,
                          reference=f"{person}, told {notification.get_method_display().lower()}")
    return notification


# --- timed work: reminders ---------------------------------------------------------------------------------------
#
# Exactly once: what the worker has said is recorded on the obligation (`due_soon_said_for`, `overdue_said_for`:
# the due time it was said for) under the obligation's row lock, and each person's reminder is a notice
# (core/notices.py, kind "clocks.<ReminderKind>", keyed by the obligation and its due time) said once,
# written in the same transaction as its email. So two
# workers, a task and the sweep, or a task re-run after a crash, say each thing once. A recomputed due time
# is said again, for the new time only; done or not applicable, nothing more is said.
#
# No task is enqueued for a reminder: the sweep (every HARBOUR_SWEEP_SECONDS, a minute by default) finds
# from the obligations themselves what is due and not yet said, through the pending-by-due-time index, so a
# recomputed or completed deadline needs nothing cancelled and a reminder is at most a sweep late.
# Statutory deadlines do not keep office hours: these reminders go when they fall due.

CLOCKS_EMAIL = "clocks"  # the outbox's kind for a clock's reminder emails (core/outbox.py)


def _people(obligation: Obligation, roles) -> list:
    """The incident's members in these roles, as the policy names them for the obligation. A role no
    membership can hold (a playbook's row edited outside the admin, say) names nobody: the reminder then
    goes to the incident's command, rather than failing in the worker."""
    roles = [role for role in roles if role in MemberRole.values]
    if not roles:
        return []
    return list(obligations.holders(member(*roles), obligation).order_by("pk"))


def _remind(obligation: Obligation, recipients, kind: str, text: str) -> int:
    told = 0
    for person in {p.pk: p for p in recipients}.values():
        if notices.notify_once(person, f"clocks.{kind}", about_id=obligation.pk, when=obligation.due_at,
                               text=text) is None:
            continue
        told += 1
        if person.email:
            outbox.queue(CLOCKS_EMAIL, recipient=person, to=person.email,
                         subject=f"{obligation.incident.reference}: {text}",
                         body=f"{text}\n\n{obligation.basis}\n\n{settings.HARBOUR_BASE_URL}/incidents/"
                              f"{obligation.incident_id}/#clocks\n")
    return told


def obligation_remind(obligation_id: int) -> str:
    """Say what is due about one obligation, once each: one working day before, to the people responsible;
    at its due time, to them again and, as overdue, to the lead and tactical lead."""
    now = timezone.now()
    with transaction.atomic():
        obligation = (Obligation.objects.select_for_update(of=("self",)).select_related("incident")
                      .filter(pk=obligation_id).first())
        if obligation is None:
            return "gone"
        try:
            obligations.check(None, ObligationAction.REMIND, obligation)
        except Conflict:
            return "closed"
        due = obligation.due_at
        if due is None:
            return "waiting"
        command = (MemberRole.LEAD, MemberRole.TACTICAL_LEAD)
        responsible = _people(obligation, [obligation.responsible_role]) or _people(obligation, command)
        said, changes = [], {}
        ref = obligation.incident.reference
        if due <= now:
            if obligation.overdue_said_for != due:
                when = timezone.localtime(due)
                record_event(incident=obligation.incident, actor=None, type=ClocksEvent.OBLIGATION_OVERDUE,
                             summary=f"Overdue: {obligation.title} was due {when:%A %-d %B at %H:%M}.",
                             data={"obligation": obligation.pk, "code": obligation.code})
                leads = _people(obligation, command)
                _remind(obligation, [p for p in responsible if p not in leads], ReminderKind.DUE,
                        f"{obligation.title} ({ref}) was due {when:%-d %B at %H:%M}. Record it when it is done.")
                _remind(obligation, leads, ReminderKind.OVERDUE,
                        f"Overdue: {obligation.title} ({ref}) was due {when:%-d %B at %H:%M}.")
                changes["overdue_said_for"] = due
                changes["due_soon_said_for"] = due  # past its due time, "due soon" is no longer worth saying
                said.append("overdue")
                clocks_changed(obligation.incident)
        elif obligation.remind_at is not None and obligation.remind_at <= now and obligation.due_soon_said_for != due:
            record_event(incident=obligation.incident, actor=None, type=ClocksEvent.OBLIGATION_DUE_SOON,
                         summary=f"Due soon: {obligation.title}, {due_words(obligation)}.",
                         data={"obligation": obligation.pk, "code": obligation.code})
            _remind(obligation, responsible, ReminderKind.DUE_SOON,
                    f"{obligation.title} ({ref}) is {due_words(obligation)}.")
            changes["due_soon_said_for"] = due
            said.append("due soon")
        if changes:
            # Bookkeeping of what was said, not a change to the obligation: no history row for it.
            Obligation.objects.filter(pk=obligation.pk).update(**changes)
    return "said " + ", ".join(said) if said else "nothing due"


def sweep_due() -> int:
    """Reminders due and not yet said, found from the obligations themselves (so one whose task was lost is
    said after all, once)."""
    now = timezone.now()
    unsaid_soon = Q(due_soon_said_for__isnull=True) | ~Q(due_soon_said_for=F("due_at"))
    unsaid_overdue = Q(overdue_said_for__isnull=True) | ~Q(overdue_said_for=F("due_at"))
    due = Obligation.objects.filter(status=ObligationStatus.PENDING, due_at__isnull=False).filter(
        Q(due_at__lte=now) & unsaid_overdue | Q(remind_at__lte=now, due_at__gt=now) & unsaid_soon,
    ).values_list("pk", flat=True)
    done = 0
    for pk in due:
        try:
            done += obligation_remind(pk).startswith("said")
        except Exception:  # one obligation's failure must not hold up the others; the next sweep tries again
            logger.exception("Reminding obligation %s failed.", pk)
    return done
