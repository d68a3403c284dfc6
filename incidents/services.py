"""Every change to an incident workspace, one function each.

Each function takes the acting person and keyword arguments, and in one transaction: locks the row and
guards the action with the policy (incidents/policy.py: who may, and from which state), saves
(simple-history records the field-level audit, attributed to the actor), appends a timeline event, and
queues the live broadcast for after commit. Pages, the API, the admin and management commands all call
these; none of them checks first, and none repeats their rules. The changes to who is in an incident are
in membership.py, and those to API tokens in tokens.py; the steps here marked as shared are theirs too,
and the wings'.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Exists, Max, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from core import realtime, wings, worker
from core.actors import Actor, memberships_changed, person_of
from core.errors import InvalidInput
from core.policy import parse_id
from core.text import checked_text, is_one_line
from people.models import User

from .models import (
    Decision,
    EventType,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    Severity,
    TimelineEvent,
)
from .policy import Action, incidents

# A clock a few seconds fast on a laptop should not make "now" count as the future.
CLOCK_SKEW = dt.timedelta(minutes=2)

EDITABLE_FIELDS = ("title", "kind", "severity", "occurred_at", "aware_at", "summary", "restricted")


# --- shared steps ----------------------------------------------------------------------------------------


def locked_incident(actor: Actor, incident_id: int, action: StrEnum, *, state: bool = True) -> Incident:
    """The incident row, locked for this transaction, once the policy allows the actor this action (one of
    the incident's own, or one a wing added to them). Every change to an incident locks it first."""
    return incidents.fetch(actor, action, incident_id, Incident.objects.select_for_update(), state=state)


def record_event(
    *, incident: Incident, actor: User | None, type: str, summary: str, data: dict[str, Any] | None = None
) -> TimelineEvent:
    """Append a timeline event and push it to the incident's sockets after commit.

    Public so that the other apps (communications, staff support) tell the same story in the same way.
    """
    event = TimelineEvent.objects.create(
        incident=incident, actor=actor, at=timezone.now(), type=type, summary=summary[:500], data=data or {}
    )
    # And to the Now pages, in the same hop, unless the event cannot change what waits on anyone.
    also = [realtime.now_maybe(incident.pk, parts=realtime.now_parts_for(type))] \
        if realtime.may_change_now(type, event.data) else []
    realtime.broadcast_on_commit(
        realtime.incident_group(incident.pk), realtime.timeline_event_message(event.as_payload()), *also)
    return event


def save_audited(instance, actor: User | None, reason: str = "") -> None:
    """Save so that the history row names the actor, whichever interface called (every app's services use it)."""
    # Attribute the history row to the actor whichever interface called us (API token, admin, command).
    instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]
    instance.save()


def delete_audited(instance, actor: User | None) -> None:
    """Delete so that the history row of the deletion names the actor."""
    instance._history_user = actor
    instance.delete()


def checked_reason(errors: dict[str, list[str]], value: Any, what: str) -> str:
    """A reason for a change to an incident or its membership: as long as a membership's reason may be."""
    return checked_text(errors, Membership, "reason", value, key="reason", missing=f"Enter {what}.")


def check_choice(errors: dict[str, list[str]], field: str, value: Any, choices, label: str) -> None:
    """Refuse a value that is not one of the choices, naming those that are."""
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        errors.setdefault(field, []).append(f"Choose {label} from: {allowed}.")


def _check_aware(errors: dict[str, list[str]], occurred_at: Any, aware_at: Any) -> None:
    now = timezone.now()
    for field, value, label in (("occurred_at", occurred_at, "when it happened"), ("aware_at", aware_at, "when you became aware")):
        if not isinstance(value, dt.datetime):
            errors.setdefault(field, []).append(f"Enter {label} as a date and time.")
        elif timezone.is_naive(value):
            errors.setdefault(field, []).append(f"Give {label} with a time zone.")
        elif value > now + CLOCK_SKEW:
            errors.setdefault(field, []).append(f"The time {label} cannot be in the future.")
    if isinstance(occurred_at, dt.datetime) and isinstance(aware_at, dt.datetime) and not errors.get("aware_at") \
            and not errors.get("occurred_at") and aware_at < occurred_at:
        errors.setdefault("aware_at", []).append(
            "The organisation cannot have become aware before the incident happened."
        )


def _next_reference(year: int) -> str:
    """INC-YYYY-NNNN, sequential per year, unique even when two leaders open incidents at once.

    One atomic upsert on the year's counter row: PostgreSQL and SQLite both lock the row for the rest
    of the transaction, so a concurrent opener waits and gets the next number.
    """
    table = connection.ops.quote_name("incidents_referencecounter")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 - table name is a constant
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        number = cursor.fetchone()[0]
    return f"INC-{year}-{number:04d}"


def resolve_user(errors: dict[str, list[str]], field: str, user: User | str | None) -> User | None:
    if isinstance(user, User):
        return user
    username = (user or "").strip() if isinstance(user, str) else ""
    if not username:
        errors.setdefault(field, []).append("Choose a member of staff.")
        return None
    found = User.objects.filter(username=username, is_active=True).first() if is_one_line(username) else None
    if found is None:
        errors.setdefault(field, []).append(f"There is no member of staff with the username “{username}”.")
    return found


def tell_access_changed(person: User, incident: Incident) -> None:
    """The person's own sockets (their approvals board, say) follow what they may now do in the incident."""
    realtime.broadcast_on_commit(realtime.user_group(person.pk), realtime.access_changed_message(incident.pk))


# --- incidents -------------------------------------------------------------------------------------------


def incident_open(
    *,
    actor: User,
    title: str,
    kind: str,
    severity: str,
    occurred_at: dt.datetime,
    aware_at: dt.datetime,
    summary: str,
    restricted: bool = False,
) -> Incident:
    """Open an incident workspace. Senior leaders only (and the admin site); the opener becomes its lead."""
    incidents.check(actor, Action.OPEN)
    actor = person_of(actor)
    errors: dict[str, list[str]] = {}
    title = checked_text(errors, Incident, "title", title, missing="Enter a title.")
    summary = checked_text(errors, Incident, "summary", summary, missing="Enter a summary.")
    check_choice(errors, "kind", kind, IncidentKind, "the kind of incident")
    check_choice(errors, "severity", severity, Severity, "a severity")
    _check_aware(errors, occurred_at, aware_at)
    if not isinstance(restricted, bool):
        errors["restricted"] = ["Say whether the incident is restricted (true or false)."]
    if errors:
        raise InvalidInput(errors)

    with transaction.atomic():
        incident = Incident(
            reference=_next_reference(timezone.localdate().year),
            title=title,
            kind=kind,
            severity=severity,
            occurred_at=occurred_at,
            aware_at=aware_at,
            summary=summary,
            restricted=restricted,
            opened_by=actor,
        )
        save_audited(incident, actor)
        membership = Membership(
            incident=incident, user=actor, role=MemberRole.LEAD, reason="Opened the incident", added_by=actor
        )
        save_audited(membership, actor)
        memberships_changed()
        tell_access_changed(actor, incident)  # their approvals board follows the incident they now lead
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.INCIDENT_OPENED,
            summary=f"{actor.display_name} opened {incident.reference}: {title}"
            + (" (restricted)" if restricted else ""),
            data={"reference": incident.reference},
        )
        wings.incident_moment("opened", incident=incident, actor=actor)
    _known_to_have(incident, "memberships", [membership])
    return incident


def _known_to_have(instance, relation: str, rows: list) -> None:
    """Record a new row's related rows as a prefetch would have read them (as Django's own prefetch does),
    so whoever presents it (the API answers with the incident and its lead) need not read back what was
    just written."""
    rows_qs = getattr(instance, relation).all()
    rows_qs._result_cache, rows_qs._prefetch_done = rows, True
    instance._prefetched_objects_cache = {relation: rows_qs}


def _describe_change(field: str, old: Any, new: Any) -> str:
    label = Incident._meta.get_field(field).verbose_name
    if field == "summary":
        return "summary updated"
    if field == "restricted":
        return "now restricted to members" if new else "no longer restricted: senior leaders can see it"
    if field in ("kind", "severity"):
        choices = dict(Incident._meta.get_field(field).choices)
        return f"{label} {choices.get(old, old)} → {choices.get(new, new)}"
    if isinstance(new, dt.datetime):
        return f"{label} → {timezone.localtime(new):%d %b %Y %H:%M}"
    return f"{label} → {new}"


def incident_update(*, actor: Actor, incident_id: int, changes: dict[str, Any]) -> Incident:
    """Change an incident's details (lead or tactical lead). Only the fields given are changed."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.EDIT)
        actor = person_of(actor)
        errors: dict[str, list[str]] = {}
        values = {field: getattr(incident, field) for field in EDITABLE_FIELDS}
        values.update(changes)
        if "title" in changes:
            values["title"] = checked_text(errors, Incident, "title", changes["title"], missing="Enter a title.")
        if "summary" in changes:
            values["summary"] = checked_text(errors, Incident, "summary", changes["summary"],
                                             missing="Enter a summary.")
        if "kind" in changes:
            check_choice(errors, "kind", changes["kind"], IncidentKind, "the kind of incident")
        if "severity" in changes:
            check_choice(errors, "severity", changes["severity"], Severity, "a severity")
        if "occurred_at" in changes or "aware_at" in changes:
            _check_aware(errors, values["occurred_at"], values["aware_at"])
        if "restricted" in changes and not isinstance(changes["restricted"], bool):
            errors["restricted"] = ["Say whether the incident is restricted (true or false)."]
        if errors:
            raise InvalidInput(errors)

        changed = [f for f in EDITABLE_FIELDS if values[f] != getattr(incident, f)]
        if not changed:
            return incident
        descriptions = [_describe_change(f, getattr(incident, f), values[f]) for f in changed]
        for field in changed:
            setattr(incident, field, values[field])
        save_audited(incident, actor)
        if "restricted" in changed:
            # Access first, so people who lose sight of it are closed before the new details are sent.
            realtime.broadcast_on_commit(
                realtime.incident_group(incident.pk), realtime.access_changed_message(incident.pk)
            )
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.INCIDENT_UPDATED,
            summary=f"{actor.display_name} changed the details: " + "; ".join(descriptions),
            data={"fields": changed},
        )
        wings.incident_moment("changed", incident=incident, actor=actor, changed=changed)
    return incident


def incident_transition(*, actor: User, incident_id: int, status: str, reason: str) -> Incident:
    """Move the status along open → stabilising → closed (→ open to reopen), with a reason."""
    errors: dict[str, list[str]] = {}
    if status not in IncidentStatus.values:
        errors["status"] = [f"Choose a status from: {', '.join(IncidentStatus.values)}."]
    reason = checked_reason(errors, reason, "the reason for the change")
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.CHANGE_STATUS, state=False)
        if errors:
            raise InvalidInput(errors)
        incidents.check(actor, Action.CHANGE_STATUS, incident, to=status)
        current = incident.status
        incident.status = status
        save_audited(incident, actor, reason)
        verb = "reopened the incident" if current == IncidentStatus.CLOSED else (
            f"moved the incident to {IncidentStatus(status).label.lower()}"
        )
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.INCIDENT_STATUS_CHANGED,
            summary=f"{actor.display_name} {verb}: {reason}",
            data={"from": current, "to": status, "reason": reason},
        )
    return incident


# --- decision log ----------------------------------------------------------------------------------------


def decision_record(
    *,
    actor: User,
    incident_id: int,
    decision: str,
    rationale: str,
    options_considered: str = "",
    information: str = "",
    decided_by: User | str | None = None,
    decided_at: dt.datetime | None = None,
    late_entry_reason: str = "",
    review_at: dt.datetime | None = None,
    corrects: int | None = None,
    reviews: int | None = None,
) -> Decision:
    """Write a decision-log entry. Entries are never edited: a correction is a new entry that names the
    one it corrects, which every view then shows struck through; a review is a new entry that names the
    one it reviews (whether it stands, and why), which is then no longer waiting for its review."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    decision = checked_text(errors, Decision, "decision", decision, missing="Enter the decision.")
    rationale = checked_text(errors, Decision, "rationale", rationale, missing="Enter the rationale.")
    options_considered = checked_text(errors, Decision, "options_considered", options_considered)
    information = checked_text(errors, Decision, "information", information)
    late_entry_reason = checked_text(errors, Decision, "late_entry_reason", late_entry_reason)
    if decided_at is None:
        decided_at = now
    if not isinstance(decided_at, dt.datetime) or timezone.is_naive(decided_at):
        errors["decided_at"] = ["Enter when the decision was made as a date and time."]
    elif decided_at > now + CLOCK_SKEW:
        errors["decided_at"] = ["A decision cannot be recorded before it is made: the time is in the future."]
    else:
        decided_at = min(decided_at, now)
        late_limit = dt.timedelta(minutes=settings.HARBOUR_LATE_ENTRY_MINUTES)
        if now - decided_at > late_limit and not late_entry_reason and "late_entry_reason" not in errors:
            errors["late_entry_reason"] = [
                f"This entry is written more than {settings.HARBOUR_LATE_ENTRY_MINUTES} minutes after the "
                "decision. Say briefly why it is being recorded late."
            ]
    if review_at is not None:
        if not isinstance(review_at, dt.datetime) or timezone.is_naive(review_at):
            errors["review_at"] = ["Enter the review time as a date and time."]
        elif isinstance(decided_at, dt.datetime) and review_at <= decided_at:
            errors["review_at"] = ["The review must be after the decision."]

    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.RECORD_DECISION)
        decider = actor
        if decided_by not in (None, ""):
            decider = resolve_user(errors, "decided_by", decided_by)
            if decider is not None and not incident.memberships.active().filter(user=decider).exists():
                errors.setdefault("decided_by", []).append(
                    f"{decider.display_name} is not a member of this incident."
                )
        corrected = None
        if corrects not in (None, ""):
            corrected = incident.decisions.filter(pk=parse_id(corrects) or 0).first()
            if corrected is None:
                errors["corrects"] = ["Choose an earlier entry in this incident's decision log."]
        reviewed = None
        if reviews not in (None, ""):
            reviewed = incident.decisions.filter(pk=parse_id(reviews) or 0).first()
            if reviewed is None:
                errors["reviews"] = ["Choose an earlier entry in this incident's decision log."]
            elif reviewed.corrections.exists():
                errors["reviews"] = [f"Decision {reviewed.number} has been corrected: review the entry that "
                                     "corrects it."]
        if errors:
            raise InvalidInput(errors)
        number = _next_decision_number(incident)
        entry = Decision(
            incident=incident,
            number=number,
            decision=decision,
            rationale=rationale,
            options_considered=options_considered,
            information=information,
            decided_by=decider,
            decided_at=decided_at,
            recorded_at=now,
            recorded_by=actor,
            late_entry_reason=late_entry_reason,
            review_at=review_at,
            corrects=corrected,
            reviews=reviewed,
        )
        save_audited(entry, actor)
        if review_at is not None:
            # Written in this transaction: if the entry is rolled back, so is its reminder.
            worker.enqueue("incidents.decision_review_due", entry.pk, run_after=review_at)
        said = [f"corrects decision {corrected.number}"] if corrected else []
        said += [f"reviews decision {reviewed.number}"] if reviewed else []
        prefix = f"Decision {number}" + (f" ({', '.join(said)})" if said else "")
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.DECISION_RECORDED,
            summary=f"{prefix} recorded by {actor.display_name}: {shorten(decision)}",
            data={"decision": entry.pk, "number": number, "corrects": corrected.pk if corrected else None,
                  "reviews": reviewed.pk if reviewed else None,
                  "review_at": review_at.isoformat() if review_at else None},
        )
    return entry


def _next_decision_number(incident: Incident) -> int:
    """Decision 1, 2, 3… within the incident; its row is locked by the caller, so numbers stay in order."""
    return (incident.decisions.aggregate(n=Max("number"))["n"] or 0) + 1


def shorten(text: str, limit: int = 160) -> str:
    """The text on one line, cut at `limit` with "…": for a timeline summary that quotes a person's words."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- what the wings ask of the spine -------------------------------------------------------------------------


def decision_append(incident: Incident, actor: User, *, decision: str, rationale: str, information: str,
                    at: dt.datetime) -> Decision:
    """A decision-log entry written by another change that is a decision too (a wing's), in its
    transaction: the incident is locked, so numbers stay in order."""
    entry = Decision(incident=incident, number=_next_decision_number(incident), decision=decision, rationale=rationale,
                     information=information, decided_by=actor, decided_at=at, recorded_at=at, recorded_by=actor)
    save_audited(entry, actor)
    return entry


def media_interest(*, incident: Incident, at: dt.datetime) -> None:
    """The first media enquiry about the incident was logged (a wing calls this, the incident locked): its
    time is kept on the incident, and the wings that declared the moment act on it. Later enquiries change
    nothing."""
    if incident.media_interest_at is not None:
        return
    Incident.objects.filter(pk=incident.pk).update(media_interest_at=at)
    incident.media_interest_at = at
    wings.incident_moment("media_interest", incident=incident, at=at)


# --- timed work: review reminders -----------------------------------------------------------------------


def decision_review_remind(decision_id: int) -> str:
    """When a decision's review time arrives, say so once on the incident's timeline (the
    `decision_review_due` task)."""
    with transaction.atomic():
        entry = Decision.objects.select_for_update().select_related("incident").filter(pk=decision_id).first()
        if entry is None or entry.review_at is None:
            return "gone"
        if entry.review_at > timezone.now():
            return "not yet"  # enqueued early (clock change); the scheduled run will come
        if entry.corrections.exists():
            return "corrected"  # the correcting entry carries its own review time
        if entry.reviewed_in.filter(corrections__isnull=True).exists():
            return "reviewed"  # reviewed before its time: nothing to remind anyone of
        already = TimelineEvent.objects.filter(
            incident=entry.incident, type=EventType.DECISION_REVIEW_DUE, data__decision=entry.pk
        ).exists()
        if already:
            return "already said"
        record_event(
            incident=entry.incident,
            actor=None,
            type=EventType.DECISION_REVIEW_DUE,
            summary=f"Decision {entry.number} is due for review.",
            data={"decision": entry.pk, "number": entry.number},
        )
    return "said"


def sweep_due() -> int:
    """Review reminders that are due and not yet said, found from the decision log itself, so a reminder
    whose task was lost (a worker killed mid-run, a restart) is still said, once. Returns how many."""
    # The reminder names its decision in its data; compared as text, which PostgreSQL and SQLite share.
    said = TimelineEvent.objects.filter(incident=OuterRef("incident"), type=EventType.DECISION_REVIEW_DUE).annotate(
        decision_key=KeyTextTransform("decision", "data")).filter(decision_key=Cast(OuterRef("pk"), CharField()))
    due = (Decision.objects.filter(review_at__lte=timezone.now())
           .exclude(Exists(Decision.objects.filter(corrects=OuterRef("pk"))))
           .exclude(Exists(Decision.objects.reviews_standing().filter(reviews=OuterRef("pk"))))
           .exclude(Exists(said)).values_list("pk", flat=True))
    return sum(decision_review_remind(pk) == "said" for pk in due)
