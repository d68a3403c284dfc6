"""Who may do what in an incident workspace, and from which states: the one statement of need to know.

Services guard with `incidents.check`, selectors and sockets fetch with `incidents.fetch` and filter with
`incidents.restrict`, pages offer `incidents.allowed_actions`. A restricted incident does not exist for
anyone outside it: not "forbidden", "not found". (How a policy is written: core/policy.py.)
"""

from __future__ import annotations

from enum import StrEnum

from core.grants import ADMIN_SITE, ANY_MEMBER, UNRESTRICTED, Grant, Transition, member, org, person
from core.policy import Policy
from people.models import OrgRole

from .models import ApiToken, Incident, MemberRole
from .models import IncidentStatus as Status

Role = MemberRole


class Action(StrEnum):
    OPEN = "open"  # open a new incident (not about any one incident)
    VIEW = "view"
    EDIT = "edit"  # change the incident's details
    CHANGE_STATUS = "change_status"
    MANAGE_MEMBERS = "manage_members"
    HAND_OVER_LEAD = "hand_over_lead"  # make someone lead, or change or remove a lead
    RECORD_DECISION = "record_decision"
    # A wing's own actions on the incident itself are declared in the wing's policy (`incidents.add_actions`).


# --- who ---
COMMAND = member(Role.LEAD, Role.TACTICAL_LEAD)
CONTRIBUTORS = member(*(r for r in Role.values if r != Role.OBSERVER))
# Members see their incidents; senior leaders also see every unrestricted one, read only. The admin site
# sees every incident. Everything of an incident (its messages, its media log) is seen by the same people.
SEES_THE_INCIDENT = ANY_MEMBER | org(OrgRole.SENIOR_LEADER) & UNRESTRICTED | ADMIN_SITE

incidents = Policy(
    Incident,
    incident=None,
    visibility=Action.VIEW,
    not_found="No such incident.",
    unbound=frozenset({Action.OPEN}),
    rules={
        Action.OPEN: org(OrgRole.SENIOR_LEADER) | ADMIN_SITE,
        Action.VIEW: SEES_THE_INCIDENT,
        Action.EDIT: COMMAND | ADMIN_SITE,
        Action.CHANGE_STATUS: COMMAND,
        Action.MANAGE_MEMBERS: COMMAND,
        Action.HAND_OVER_LEAD: member(Role.LEAD),
        Action.RECORD_DECISION: CONTRIBUTORS,
    },
    refusals={
        Action.OPEN: "Only senior leaders can open an incident.",
        Action.EDIT: "Only the incident's lead or tactical lead can change its details.",
        Action.CHANGE_STATUS: "Only the incident's lead or tactical lead can change its status.",
        Action.MANAGE_MEMBERS: "Only the incident's lead or tactical lead can add or remove members.",
        Action.HAND_OVER_LEAD: "Only the incident's lead can make someone lead, or change or remove a lead.",
        Action.RECORD_DECISION: "Observers and people outside the incident cannot record decisions.",
    },
    transitions={
        Action.CHANGE_STATUS: tuple(
            Transition([source], target, code="invalid_transition",
                       refusal="The incident is {state}; from here it can only move to {next}.")
            for source, target in (
                (Status.OPEN, Status.STABILISING),
                (Status.STABILISING, Status.CLOSED),
                (Status.CLOSED, Status.OPEN),  # reopen
            )
        ),
    },
)

# Roles that carry organisational authority: only people who hold it in the organisation may hold them.
ROLE_NEEDS_ORG_ROLE = {
    Role.LEAD: (OrgRole.SENIOR_LEADER, "Only a senior leader can be an incident's lead."),
    Role.WELLBEING_LEAD: (
        OrgRole.WELLBEING_LEAD,
        "Only one of the organisation's wellbeing leads can be an incident's wellbeing lead: the role sees "
        "who has asked for support.",
    ),
}


# --- API tokens ----------------------------------------------------------------------------------------------


class TokenAction(StrEnum):
    VIEW = "view_token"  # its name and dates: never its key, which nobody can read after it is made
    MAKE = "make_token"  # for oneself only: nobody, the admin site included, makes one for someone else
    REVOKE = "revoke_token"


THE_OWNER = person("user")
ANYONE_SIGNED_IN = Grant()  # an active person, whoever they are

api_tokens = Policy(
    ApiToken,
    incident=None,
    visibility=TokenAction.VIEW,
    not_found="No such token.",
    unbound=frozenset({TokenAction.MAKE}),
    rules={
        TokenAction.VIEW: THE_OWNER | ADMIN_SITE,
        TokenAction.MAKE: ANYONE_SIGNED_IN,
        TokenAction.REVOKE: THE_OWNER | ADMIN_SITE,
    },
    refusals={
        TokenAction.MAKE: "Sign in to make an API token.",
        TokenAction.REVOKE: "Only the token's owner or an administrator can revoke it.",
    },
)
