"""Who may do what with an incident's communications. Built on the incident's need-to-know check:
anything about a message of an incident you cannot see is "not found"."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from incidents.models import Incident, MemberRole, OrgRole
from incidents.permissions import can_view, get_incident_for, membership_of, parse_id

from .models import Message


@dataclass(frozen=True)
class CommsCapacity:
    """What a person can do for one incident's communications."""

    as_comms: bool = False  # the comms lead, or an organisation comms officer who is a member
    as_command: bool = False  # the lead or tactical lead
    drafts: bool = False
    sees_identifiers: bool = False
    records_family_informed: bool = False

    @property
    def approves(self) -> bool:
        return self.as_comms or self.as_command

    # The same people release messages and log media enquiries.
    releases = approves
    logs_media = approves


COMMAND_ROLES = (MemberRole.LEAD, MemberRole.TACTICAL_LEAD)


def approver_roles(user) -> tuple[str, ...]:
    """The incident roles in which this person approves messages: command roles and the comms lead, and for
    an organisation comms officer any role but observer. The one statement of who approves."""
    if user.has_org_role(OrgRole.COMMS_OFFICER):
        return tuple(r for r in MemberRole.values if r != MemberRole.OBSERVER)
    return (*COMMAND_ROLES, MemberRole.COMMS_LEAD)


def capacity(user, incident: Incident) -> CommsCapacity:
    membership = membership_of(user, incident)
    if membership is None or membership.role not in approver_roles(user):
        return CommsCapacity()
    role = membership.role
    as_command = role in COMMAND_ROLES
    as_comms = role == MemberRole.COMMS_LEAD or user.has_org_role(OrgRole.COMMS_OFFICER)
    return CommsCapacity(
        as_comms=as_comms,
        as_command=as_command,
        drafts=as_command or as_comms,
        sees_identifiers=role in (MemberRole.LEAD, MemberRole.TACTICAL_LEAD, MemberRole.COMMS_LEAD),
        records_family_informed=as_command,
    )


_REFUSALS = {
    "drafts": "Only the incident's leads, its comms lead and communications officers in it can draft messages.",
    "approves": "Only the incident's comms or command approvers can do that.",
    "releases": "Only the incident's comms or command approvers can release messages.",
    "logs_media": "Only the incident's comms or command approvers can log media enquiries.",
    "sees_identifiers": "Only the lead, tactical lead and comms lead can see or change protected identifiers.",
    "records_family_informed": "Only the lead or tactical lead can record that the family has been informed.",
}


def check_capacity(user, incident: Incident, what: str) -> CommsCapacity:
    """404 if the incident is invisible, 403 if visible but this is not the person's to do."""
    if not can_view(user, incident):
        raise Http404("No such incident.")
    granted = capacity(user, incident)
    if not getattr(granted, what):
        raise PermissionDenied(_REFUSALS[what])
    return granted


def get_incident_for_comms(user, incident_id, what: str | None = None, *, for_update: bool = False) -> Incident:
    incident = get_incident_for(user, incident_id, for_update=for_update)
    if what:
        check_capacity(user, incident, what)
    return incident


def get_message_for(user, message_id, what: str | None = None, *, for_update: bool = False) -> Message:
    """The message, if its incident is visible to the person (else 404), and `what` is theirs (else 403)."""
    message_id = parse_id(message_id)
    if message_id is None:
        raise Http404("No such message.")
    queryset = Message.objects.select_related("incident")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    message = queryset.filter(pk=message_id).first()
    if message is None or not can_view(user, message.incident):
        raise Http404("No such message.")
    if what:
        check_capacity(user, message.incident, what)
    return message
