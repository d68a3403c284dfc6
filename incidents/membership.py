"""Who is in an incident, and in which role: adding, changing and removing members, one function each.

Like every service (incidents/services.py), each takes the acting person, locks the incident, guards with
the policy, saves (audited), tells the timeline, and tells the sockets of everyone whose access changed,
after commit.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import realtime
from core.actors import Actor, memberships_changed
from core.errors import Conflict, Http404, InvalidInput
from people.models import User

from .models import EventType, Incident, MemberRole, Membership, TokenEnd
from .policy import ROLE_NEEDS_ORG_ROLE, Action, incidents
from .services import (
    check_choice,
    checked_reason,
    locked_incident,
    record_event,
    resolve_user,
    save_audited,
    tell_access_changed,
)
from .tokens import api_tokens_end


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
    check_choice(errors, "role", role, MemberRole, "a role")
    reason = checked_reason(errors, reason, "why they are being added")
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
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
        tell_access_changed(membership.user, incident)
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
    check_choice(errors, "role", role, MemberRole, "a role")
    reason = checked_reason(errors, reason, "why their role is changing")
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
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
        tell_access_changed(membership.user, incident)
    return membership


def member_remove(*, actor: User, incident_id: int, username: str, reason: str) -> Membership:
    """Take someone out of the incident. Their open pages and sockets lose access at once."""
    errors: dict[str, list[str]] = {}
    reason = checked_reason(errors, reason, "why they are being removed")
    with transaction.atomic():
        incident = locked_incident(actor, incident_id, Action.MANAGE_MEMBERS)
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
        tell_access_changed(membership.user, incident)
        record_event(
            incident=incident,
            actor=actor,
            type=EventType.MEMBER_REMOVED,
            summary=f"{actor.display_name} removed {membership.user.display_name}: {reason}",
            data={"user": username, "reason": reason},
        )
    return membership


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


def person_access_changed(*, person: User, actor: Actor = None) -> None:
    """A person was deactivated or their organisation roles changed (admin, staff import): a deactivated
    person's API tokens end for good (reactivating them brings none back), and every socket of theirs
    re-checks what it may still see, straight away."""
    if not person.is_active:
        api_tokens_end(person=person, reason=TokenEnd.DEACTIVATED, actor=actor)
    realtime.broadcast_on_commit(realtime.user_group(person.pk), realtime.access_changed_message(0))

