"""Every change to an incident workspace, one function each.

Each function takes the acting person and keyword arguments, and in one transaction: locks the row and
guards the action with the policy (incidents/policy.py: who may, and from which state), saves
(simple-history records the field-level audit, attributed to the actor), appends a timeline event, and
queues the live broadcast for after commit. Pages, the API, the admin and management commands all call
these; none of them checks first, and none repeats their rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Exists, F, Max, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import notices, outbox, realtime, worker
from core.errors import Conflict, Http404, InvalidInput, PermissionDenied
from core.text import checked_text, is_one_line
from core.workdays import (
    calendar_days_due,
    hours_due,
    in_office_hours,
    next_office_moment,
    same_working_day_end,
    working_day_before,
    working_days_due,
)

from .models import (
    ApiToken,
    ClockKind,
    ClockStart,
    Decision,
    EventType,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    Notification,
    NotifyMethod,
    Obligation,
    ObligationFields,
    ObligationStatus,
    PlaybookObligation,
    PlaybookStep,
    ReminderKind,
    Severity,
    TimelineEvent,
    TokenEnd,
    User,
)
from .policy import (
    ROLE_NEEDS_ORG_ROLE,
    Action,
    ObligationAction,
    TokenAction,
    api_tokens,
    incidents,
    obligations,
)
from .rules import Actor, AdminSite, memberships_changed, parse_id, person_of

# A clock a few seconds fast on a laptop should not make "now" count as the future.
CLOCK_SKEW = dt.timedelta(minutes=2)

EDITABLE_FIELDS = ("title", "kind", "severity", "occurred_at", "aware_at", "summary", "restricted")

logger = logging.getLogger("harbour.incidents")


# --- shared steps ----------------------------------------------------------------------------------------


def _locked_incident(actor: Actor, incident_id: int, action: Action, *, state: bool = True) -> Incident:
    """The incident row, locked for this transaction, once the policy allows the actor this action."""
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


def _reason(errors: dict[str, list[str]], value: Any, what: str) -> str:
    """A reason for a change to an incident or its membership: as long as a membership's reason may be."""
    return checked_text(errors, Membership, "reason", value, key="reason", missing=f"Enter {what}.")


def _check_choice(errors: dict[str, list[str]], field: str, value: Any, choices, label: str) -> None:
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
    _check_choice(errors, "kind", kind, IncidentKind, "the kind of incident")
    _check_choice(errors, "severity", severity, Severity, "a severity")
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
        _tell_person(actor, incident)  # their approvals board follows the incident they now lead
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.INCIDENT_OPENED,
            summary=f"{actor.display_name} opened {incident.reference}: {title}"
            + (" (restricted)" if restricted else ""),
            data={"reference": incident.reference},
        )
        _sync_obligations(incident, actor, new=True)
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
        incident = _locked_incident(actor, incident_id, Action.EDIT)
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
            _check_choice(errors, "kind", changes["kind"], IncidentKind, "the kind of incident")
        if "severity" in changes:
            _check_choice(errors, "severity", changes["severity"], Severity, "a severity")
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
        clock_fields = [f for f in ("kind", "aware_at", "occurred_at") if f in changed]
        if clock_fields:
            why = " and ".join(CLOCK_FIELD_WORDS[f] for f in clock_fields) + " changed"
            _obligations_recomputed(incident, actor, _sync_obligations(incident, actor), why)
        elif "restricted" in changed:
            clocks_changed(incident)
    return incident


def incident_transition(*, actor: User, incident_id: int, status: str, reason: str) -> Incident:
    """Move the status along open → stabilising → closed (→ open to reopen), with a reason."""
    errors: dict[str, list[str]] = {}
    if status not in IncidentStatus.values:
        errors["status"] = [f"Choose a status from: {', '.join(IncidentStatus.values)}."]
    reason = _reason(errors, reason, "the reason for the change")
    with transaction.atomic():
        incident = _locked_incident(actor, incident_id, Action.CHANGE_STATUS, state=False)
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


# --- membership ------------------------------------------------------------------------------------------


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


def _check_role_rules(actor: User, incident: Incident, person: User | None, role: str | None,
                      touches_lead: bool, errors: dict[str, list[str]]) -> None:
    """Who may hold which role, and who may hand out or take away the lead."""
    required = ROLE_NEEDS_ORG_ROLE.get(role)
    if person is not None and required and not person.has_org_role(required[0]):
        errors.setdefault("role", []).append(required[1])
    if touches_lead:
        incidents.check(actor, Action.HAND_OVER_LEAD, incident)


def _active_leads(incident: Incident) -> int:
    return incident.memberships.active().filter(role=MemberRole.LEAD).count()


def member_add(*, actor: User, incident_id: int, user: User | str, role: str, reason: str) -> Membership:
    """Bring someone into the incident on a need-to-know basis, saying why."""
    errors: dict[str, list[str]] = {}
    person = resolve_user(errors, "user", user)
    _check_choice(errors, "role", role, MemberRole, "a role")
    reason = _reason(errors, reason, "why they are being added")
    with transaction.atomic():
        incident = _locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
        _check_role_rules(actor, incident, person, role, role == MemberRole.LEAD, errors)
        if errors:
            raise InvalidInput(errors)
        existing = incident.memberships.active().filter(user=person).first()
        if existing is not None:
            raise Conflict(
                f"{person.display_name} is already a member, as {existing.get_role_display().lower()}. "
                "Change their role instead.",
                code="already_member",
            )
        membership = Membership(incident=incident, user=person, role=role, reason=reason, added_by=actor)
        try:
            with transaction.atomic():
                save_audited(membership, actor)
                memberships_changed()
        except IntegrityError:  # a concurrent add of the same person won the race
            raise Conflict(f"{person.display_name} is already a member.", code="already_member") from None
        _tell_person(membership.user, incident)
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.MEMBER_ADDED,
            summary=f"{actor.display_name} added {person.display_name} as {membership.get_role_display().lower()}: {reason}",
            data={"user": person.username, "role": role, "reason": reason},
        )
    return membership


def _active_membership(incident: Incident, username: str) -> Membership:
    membership = incident.memberships.active().select_related("user").filter(user__username=username).first()
    if membership is None:
        raise Http404("That person is not a member of this incident.")
    return membership


def member_change_role(*, actor: User, incident_id: int, username: str, role: str, reason: str) -> Membership:
    errors: dict[str, list[str]] = {}
    _check_choice(errors, "role", role, MemberRole, "a role")
    reason = _reason(errors, reason, "why their role is changing")
    with transaction.atomic():
        incident = _locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
        membership = _active_membership(incident, username)
        _check_role_rules(actor, incident, membership.user, role,
                          MemberRole.LEAD in (role, membership.role), errors)
        if errors:
            raise InvalidInput(errors)
        if membership.role == role:
            return membership
        if membership.role == MemberRole.LEAD and _active_leads(incident) == 1:
            raise Conflict(
                "An incident always has a lead. Make someone else lead before changing this person's role.",
                code="last_lead",
            )
        old_label = membership.get_role_display().lower()
        membership.role = role
        save_audited(membership, actor, reason)
        memberships_changed()
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.MEMBER_ROLE_CHANGED,
            summary=f"{actor.display_name} changed {membership.user.display_name} from {old_label} to "
            f"{membership.get_role_display().lower()}: {reason}",
            data={"user": username, "role": role, "reason": reason},
        )
        realtime.broadcast_on_commit(realtime.incident_group(incident.pk), realtime.access_changed_message(incident.pk))
        _tell_person(membership.user, incident)
    return membership


def _tell_person(person: User, incident: Incident) -> None:
    """The person's own sockets (their approvals board, say) follow what they may now do in the incident."""
    realtime.broadcast_on_commit(realtime.user_group(person.pk), realtime.access_changed_message(incident.pk))


def member_remove(*, actor: User, incident_id: int, username: str, reason: str) -> Membership:
    """Take someone out of the incident. Their open pages and sockets lose access at once."""
    errors: dict[str, list[str]] = {}
    reason = _reason(errors, reason, "why they are being removed")
    with transaction.atomic():
        incident = _locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
        membership = _active_membership(incident, username)
        _check_role_rules(actor, incident, None, None, membership.role == MemberRole.LEAD, errors)
        if errors:
            raise InvalidInput(errors)
        if membership.role == MemberRole.LEAD and _active_leads(incident) == 1:
            raise Conflict(
                "An incident always has a lead. Add another lead before removing this one.", code="last_lead"
            )
        membership.removed_at = timezone.now()
        membership.removed_by = actor
        membership.removed_reason = reason
        save_audited(membership, actor, reason)
        memberships_changed()
        # Access first, so the removed person's socket closes before the story of their removal is sent.
        realtime.broadcast_on_commit(realtime.incident_group(incident.pk), realtime.access_changed_message(incident.pk))
        _tell_person(membership.user, incident)
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.MEMBER_REMOVED,
            summary=f"{actor.display_name} removed {membership.user.display_name}: {reason}",
            data={"user": username, "reason": reason},
        )
    return membership


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
        incident = _locked_incident(actor, incident_id, Action.RECORD_DECISION)
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
            summary=f"{prefix} recorded by {actor.display_name}: {_shorten(decision)}",
            data={"decision": entry.pk, "number": number, "corrects": corrected.pk if corrected else None,
                  "reviews": reviewed.pk if reviewed else None,
                  "review_at": review_at.isoformat() if review_at else None},
        )
    return entry


def _next_decision_number(incident: Incident) -> int:
    """Decision 1, 2, 3… within the incident; its row is locked by the caller, so numbers stay in order."""
    return (incident.decisions.aggregate(n=Max("number"))["n"] or 0) + 1


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def person_access_changed(*, person: User, actor: Actor = None) -> None:
    """A person was deactivated or their organisation roles changed (admin, staff import): a deactivated
    person's API tokens end for good (reactivating them brings none back), and every socket of theirs
    re-checks what it may still see, straight away."""
    if not person.is_active:
        api_tokens_end(person=person, reason=TokenEnd.DEACTIVATED, actor=actor)
    realtime.broadcast_on_commit(realtime.user_group(person.pk), realtime.access_changed_message(0))


# --- API tokens ------------------------------------------------------------------------------------------
#
# A token is made by its owner alone, signed in as a person (the page, the API with a browser session, or
# `POST /api/auth/token/` with a password), never by a program with another token; shown once, and kept as
# a digest. It ends when it expires, when its
# owner or an administrator revokes it, and, all of a person's at once, when their password changes or they
# are deactivated. Sockets opened with a token close (4403) when it expires (a timer of their own) or ends:
# the ending is told to the owner's sockets, which look again.

LIVE_TOKENS_PER_PERSON = 25  # a script that makes a token on every run is told, rather than piling them up
TOKEN_PREFIX = "hbr_"  # noqa: S105 - a label saying what it is, to a person and to secret scanners


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_make(*, actor: User, name: Any, days: Any = None, through: ApiToken | None = None) -> tuple[ApiToken, str]:
    """Make a token for the actor: (the token, its key). The key is in no record: show it now or never.
    A request made with a token (`through`) may not make one: a key that leaked could otherwise make
    itself others that outlive its revocation, which its owner would have to find and revoke one by one.
    Making a credential takes the person: their password, or their session on the page."""
    api_tokens.check(actor, TokenAction.MAKE)
    if through is not None:
        raise PermissionDenied("An API token cannot make API tokens. Make one on the \"Your API tokens\" page, or "
                               "with your username and password at POST /api/auth/token/.")
    errors: dict[str, list[str]] = {}
    name = checked_text(errors, ApiToken, "name", name, required=True, missing="Enter a name for the token.")
    longest = settings.HARBOUR_API_TOKEN_DAYS
    if days is None or days == "":
        days = longest
    elif isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        errors["days"] = [f"Enter a whole number of days from 1 to {longest}."]
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    expires_at = now + dt.timedelta(days=days)
    with transaction.atomic():
        # One at a time per person, so two made at once cannot both slip under the limit.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if ApiToken.objects.live(now).filter(user=actor).count() >= LIVE_TOKENS_PER_PERSON:
            raise Conflict(f"You have {LIVE_TOKENS_PER_PERSON} API tokens that still work. Revoke one you no longer "
                           "use before making another.", code="too_many_tokens")
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=actor, name=name, digest=api_token_digest(key), created_at=now,
                                        expires_at=expires_at)
    return token, key


def api_token_revoke(*, actor: Actor, token_id: Any) -> ApiToken:
    """Revoke one token (its owner, or the admin site). Revoking one that has already ended is refused."""
    with transaction.atomic():
        token = api_tokens.fetch(actor, TokenAction.REVOKE, token_id, ApiToken.objects.select_for_update())
        if not token.is_live():
            raise Conflict("This token has already stopped working.", code="token_ended")
        reason = TokenEnd.ADMIN if isinstance(actor, AdminSite) else TokenEnd.REVOKED
        _end(ApiToken.objects.filter(pk=token.pk), reason, person_of(actor))
    token.refresh_from_db()
    return token


def api_tokens_end(*, person: User, reason: str, actor: Actor = None) -> int:
    """End every token of the person that still works (a password change, deactivation). Returns how many."""
    return _end(ApiToken.objects.filter(user=person, ended_at__isnull=True), reason, person_of(actor))


def _end(tokens, reason: str, by: User | None) -> int:
    """End these tokens now, and tell their owners' sockets to look again after commit (a socket opened
    with one of them closes)."""
    owners = set(tokens.values_list("user_id", flat=True))
    ended = tokens.update(ended_at=timezone.now(), end_reason=reason, ended_by=by)
    for owner in owners:
        realtime.broadcast_on_commit(realtime.user_group(owner), realtime.access_changed_message(0))
    return ended


def api_token_used(token: ApiToken) -> None:
    """Note that a token was used, at most once a minute: a request should not cost a write."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- statutory clocks: obligations and the need-to-know ladder ---------------------------------------------
#
# An incident copies its kind's playbook when it opens: one obligation per deadline, each with the time its
# clock started and when it falls due (core/workdays.py counts). Changing the kind or the times recomputes
# those still pending. Reminders are the worker's (incidents/tasks.py): its sweep finds them due and says
# each once.

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
    due to be said (incidents/tasks.py), so a recomputed due time needs no task cancelled, and opening an
    incident writes its obligations in two statements."""
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
        record_event(incident=incident, actor=actor, type=EventType.OBLIGATIONS_RECOMPUTED,
                     summary=f"Statutory clocks recomputed ({why}): " + "; ".join(parts), data=changes)


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
        incident=incident, actor=actor, type=EventType.OBLIGATION_DONE,
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
        entry = _append_decision(incident, actor, decision=f"{obligation.title} does not apply to this incident.",
                                 rationale=reason, information=obligation.basis, at=now)
        obligation.status = ObligationStatus.NOT_APPLICABLE
        obligation.reason, obligation.decision = reason, entry
        save_audited(obligation, actor, reason)
        following = _start_following(incident, actor, obligation.code, now)
        record_event(
            incident=incident, actor=actor, type=EventType.OBLIGATION_NOT_APPLICABLE,
            summary=f"{obligation.title}: does not apply (decision {entry.number}, {actor.display_name}): "
                    f"{_shorten(reason)}" + "".join(f". {words}" for words in following),
            data={"obligation": obligation.pk, "code": obligation.code, "decision": entry.pk},
        )
        clocks_changed(incident)
    return obligation


def _append_decision(incident: Incident, actor: User, *, decision: str, rationale: str, information: str,
                     at: dt.datetime) -> Decision:
    """A decision-log entry written by another change (the incident is locked, so numbers stay in order)."""
    entry = Decision(incident=incident, number=_next_decision_number(incident), decision=decision, rationale=rationale,
                     information=information, decided_by=actor, decided_at=at, recorded_at=at, recorded_by=actor)
    save_audited(entry, actor)
    return entry


def media_interest(*, incident: Incident, at: dt.datetime) -> None:
    """The first media enquiry about the incident was logged (comms calls this, the incident locked): the
    clocks that wait for media interest, the holding statement's, start from it. Later enquiries change
    nothing."""
    if incident.media_interest_at is not None:
        return
    Incident.objects.filter(pk=incident.pk).update(media_interest_at=at)
    incident.media_interest_at = at
    waiting = Obligation.objects.select_for_update().filter(
        incident=incident, starts=ClockStart.MEDIA_ENQUIRY, status=ObligationStatus.PENDING, started_at__isnull=True)
    for obligation in waiting:
        obligation.started_at = at
        obligation.due_at, obligation.remind_at = due_times(obligation)
        save_audited(obligation, None)
        record_event(incident=incident, actor=None, type=EventType.OBLIGATION_STARTED,
                     summary=f"The first media enquiry started a clock: {obligation.title}, {due_words(obligation)}.",
                     data={"obligation": obligation.pk, "code": obligation.code})
    clocks_changed(incident)


def ladder_steps(incident: Incident) -> list[PlaybookStep]:
    return list(PlaybookStep.objects.filter(playbook__kind=incident.kind).order_by("position", "id"))


def notification_record(*, actor: User, incident_id: int, step: str, person: str, method: str,
                        at: dt.datetime | None = None) -> Notification:
    """Record a step of the need-to-know ladder: who was told, how and when, by the actor. Once per step.
    Telling the Director fulfils the Director obligation."""
    errors: dict[str, list[str]] = {}
    person = checked_text(errors, Notification, "person", person, missing="Enter who was told.")
    _check_choice(errors, "method", method, NotifyMethod, "how they were told")
    with transaction.atomic():
        incident = _locked_incident(actor, incident_id, Action.RECORD_NOTIFICATION)
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
            incident=incident, actor=actor, type=EventType.NOTIFICATION_RECORDED,
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


class RowsInvalid(InvalidInput):
    """Some rows of a several-at-once change were refused: `rows` maps each row's index to its errors, as
    InvalidInput's `errors` does for one. Nothing was changed."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        super().__init__({f"{index + 1}.{field}": messages
                          for index, fields in rows.items() for field, messages in fields.items()})


def members_add(*, actor: User, incident_id: int, rows: list[tuple[User | str, str]], reason: str) -> list[Membership]:
    """Bring several people in at once, each with a role, for one reason: all of them or, if any row is
    refused, none (every row is still checked, so each refusal can be shown against its row). Each person
    is added by member_add, so the rules, history, timeline and broadcasts are those of adding one."""
    if not rows:
        raise RowsInvalid({0: {"user": ["Choose a member of staff."]}})
    errors: dict[int, dict[str, list[str]]] = {}
    added: list[Membership] = []
    with transaction.atomic():
        for index, (user, role) in enumerate(rows):
            try:
                with transaction.atomic():
                    added.append(member_add(actor=actor, incident_id=incident_id, user=user, role=role, reason=reason))
            except InvalidInput as error:
                errors[index] = error.errors
            except Conflict as conflict:
                errors[index] = {"user": [conflict.detail]}
        if errors:
            # Undo the rows that were added; their broadcasts are sent only on commit, so none goes out.
            transaction.set_rollback(True)
    if errors:
        raise RowsInvalid(errors)
    return added


# --- timed work: review reminders and clock reminders --------------------------------------------------



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


# --- statutory clocks --------------------------------------------------------------------------------------
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

CLOCKS_URL = "/clocks/"
CLOCKS_EMAIL = "clocks"  # the outbox's kind for a clock's reminder emails (core/outbox.py)


def _people(obligation: Obligation, roles) -> list:
    return [m.user for m in Membership.objects.active().filter(incident_id=obligation.incident_id, role__in=roles,
                                                               user__is_active=True).select_related("user")]


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
                record_event(incident=obligation.incident, actor=None, type=EventType.OBLIGATION_OVERDUE,
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
            record_event(incident=obligation.incident, actor=None, type=EventType.OBLIGATION_DUE_SOON,
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


def sweep_clocks() -> int:
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
