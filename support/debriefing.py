"""Debriefs: arranging, changing and cancelling them, the invitations and their answers, attendance and
learning. Coming is always a choice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import realtime
from core.errors import Conflict, InvalidInput
from core.text import checked_text, is_one_line
from core.workdays import next_office_moment
from incidents.models import Incident
from incidents.services import record_event, resolve_user, save_audited
from people.models import User

from .calendar import Invitation, Person, calendar_bytes
from .models import (
    AffectedPerson,
    Debrief,
    DebriefInvitee,
    DebriefKind,
    DebriefStatus,
    Exposure,
    Rsvp,
    SupportEvent,
)
from .notify import queue_email
from .policy import (
    DebriefAction,
    IncidentAction,
    debriefs,
    incident_support,
)
from .services import LONDON, NOW_PART, checked_reason

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
    reason = checked_reason(errors, reason, "why it is cancelled", (Debrief, "cancel_reason"))
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


