"""Who may do what with an incident's communications, and from which states: the one statement of it.

Services guard with these policies' `check`, selectors and sockets filter with `restrict` and fetch with
`fetch`, pages and serializers offer `allowed_actions`. Anything of an incident a person cannot see does
not exist for them. (How a policy is written: core/policy.py.)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from core.actors import Actor
from core.grants import (
    ANY_MEMBER,
    UNRESTRICTED,
    WORKER,
    Grant,
    Rule,
    Transition,
    member,
    org,
    person,
    where,
)
from core.models import Notice
from core.policy import Policy
from incidents.models import Incident
from incidents.models import MemberRole as Role
from incidents.policy import SEES_THE_INCIDENT
from people.models import OrgRole

from .models import (  # noqa: F401 - Gate and OVERRIDE_WORDS: the policy's vocabulary, named from here too
    BEFORE_RELEASE,
    OVERRIDE_WORDS,
    UNDELIVERED,
    Approval,
    Gate,
    InboxItem,
    MediaEnquiry,
    Message,
)
from .models import MessageStatus as S


class Action(StrEnum):
    VIEW = "view"
    DRAFT = "draft"  # write a new message, start from a holding statement, check a draft for identifiers
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    RELEASE = "release"
    SCHEDULE = "schedule"  # release at the embargo time
    OVERRIDE_GATE = "override_gate"  # release before staff are briefed or the family's being told is recorded
    WITHDRAW = "withdraw"
    SEE_DELIVERY = "see_delivery"  # email states and how many have read it (never who)
    PROTECT_IDENTIFIERS = "protect_identifiers"  # see, add and remove the incident's protected identifiers
    # Let one version of an external or public message go out with part of a protected identifier in it
    # ("Brookfield" of "Brookfield Primary"), giving a reason for the decision log.
    CONFIRM_IDENTIFIER_PARTS = "confirm_identifier_parts"
    RECORD_FAMILY_INFORMED = "record_family_informed"
    LOG_MEDIA = "log_media"  # log and update media enquiries, and own one
    ACKNOWLEDGE = "acknowledge"  # "I have read this", on a briefing in your own inbox
    SEE_INCIDENT = "see_incident"  # which incident a briefing in your inbox is about: its reference
    RELEASE_AT_EMBARGO = "release_at_embargo"
    HOLD_AT_EMBARGO = "hold_at_embargo"
    RETRY_DELIVERY = "retry_delivery"  # try again the emails of a released message that could not be sent
    MARK_SEEN = "mark_seen"  # "I have seen this", on a notice told to you


# The lead or tactical lead may release past these, giving a reason that goes in the decision log.
OVERRIDABLE_GATES = frozenset({Gate.STAFF_NOT_BRIEFED, Gate.FAMILY_NOT_INFORMED})

def overridable(gates: list[str]) -> bool:
    """Would an override let the message go? Only when every failing gate may be overridden."""
    return bool(gates) and all(gate in OVERRIDABLE_GATES for gate in gates)


# What a board card says release is waiting for, gate by gate ("Waiting for the staff briefing"). The full
# reason is comms/gates.py's; the step that clears each gate, and where, is comms/progress.py's.
WAITING_FOR = {
    Gate.APPROVAL_REQUIRED: "the approvals it needs",
    Gate.IDENTIFIER_FOUND: "a protected identifier to be taken out",
    Gate.IDENTIFIER_PART_FOUND: "the comms lead to confirm part of a protected identifier",
    Gate.STAFF_NOT_BRIEFED: "the staff briefing",
    Gate.FAMILY_NOT_INFORMED: "a record that the family has been told",
}


class ApprovalSide(StrEnum):
    """Whose approval a message needs (approvals_by_side below is the rule)."""

    COMMUNICATIONS = "communications"
    COMMAND = "command"
    EITHER = "either"


# External and public messages need one approval from each side, from two people; an internal one needs either.
APPROVALS_REQUIRED = {
    "internal": (ApprovalSide.EITHER,),
    "external": (ApprovalSide.COMMUNICATIONS, ApprovalSide.COMMAND),
    "public": (ApprovalSide.COMMUNICATIONS, ApprovalSide.COMMAND),
}


def approvals_by_side(message: Message, approvals: Iterable[Approval]) -> dict[ApprovalSide, Approval | None]:
    """The rule of approval: which approval holds each side the message's scope needs (APPROVALS_REQUIRED),
    on its current version, or None. Internal: anyone's. External and public: two different people, one
    approving as communications and one as command; without such a pair, the first approver holds the
    side they approved as (someone who is both counts once). The release (approval_complete) and the
    boards' "Communications ✓ · Command —" (comms.progress.approvals_held) both read it."""
    live = [a for a in approvals if a.voided_at is None and a.version == message.version]
    sides = APPROVALS_REQUIRED[message.scope]
    if sides == (ApprovalSide.EITHER,):
        return {ApprovalSide.EITHER: live[0] if live else None}
    pair = next(((c, d) for c in live for d in live
                 if c.approver_id != d.approver_id and c.as_comms and d.as_command), None)
    if pair is None:
        first = live[0] if live else None
        pair = (first, None) if first is not None and first.as_comms else (None, first)
    return {ApprovalSide.COMMUNICATIONS: pair[0], ApprovalSide.COMMAND: pair[1]}


def approval_complete(message: Message, approvals: Iterable[Approval]) -> bool:
    """Whether the message's current version has every approval it needs."""
    return all(held is not None for held in approvals_by_side(message, approvals).values())


APPROVAL_LABELS = {
    ApprovalSide.COMMUNICATIONS: "Communications",
    ApprovalSide.COMMAND: "Command",
    ApprovalSide.EITHER: "Communications or command",
}


# --- who ---
COMMAND = member(Role.LEAD, Role.TACTICAL_LEAD)
COMMUNICATIONS = member(Role.COMMS_LEAD) | org(OrgRole.COMMS_OFFICER) & member(
    *(r for r in Role.values if r != Role.OBSERVER))
# External and public messages need one approval from each side; an internal one needs either.
APPROVERS = COMMUNICATIONS | COMMAND
IDENTIFIER_KEEPERS = member(Role.LEAD, Role.TACTICAL_LEAD, Role.COMMS_LEAD)
# Who may let part of a protected identifier go out: the comms lead alone, who answers for what is said.
PART_CONFIRMERS = member(Role.COMMS_LEAD)
# Whom a message to "leadership" reaches.
LEADERSHIP = OrgRole.SENIOR_LEADER
# Told, once, when a release is held at its embargo time, or a released message could not be delivered to
# someone; only while they are still in the incident.
TOLD_OF_A_PROBLEM = member(Role.COMMS_LEAD) | ANY_MEMBER & person("author")
TOLD_OF_A_HOLD = TOLD_OF_A_PROBLEM

incident_comms = Policy(
    Incident,
    incident=None,
    visibility=Action.VIEW,
    not_found="No such incident.",
    rules={
        Action.VIEW: SEES_THE_INCIDENT,
        Action.DRAFT: APPROVERS,
        Action.PROTECT_IDENTIFIERS: IDENTIFIER_KEEPERS,
        Action.RECORD_FAMILY_INFORMED: COMMAND,
        Action.LOG_MEDIA: APPROVERS,
    },
    refusals={
        Action.DRAFT: "Only the incident's leads, its comms lead and communications officers in it can draft messages.",
        Action.PROTECT_IDENTIFIERS: "Only the lead, tactical lead and comms lead can see or change protected identifiers.",
        Action.RECORD_FAMILY_INFORMED: "Only the lead or tactical lead can record that the family has been informed.",
        Action.LOG_MEDIA: "Only the incident's comms or command approvers can log media enquiries.",
    },
)

_APPROVERS_ONLY = "Only the incident's comms or command approvers can do that."

messages = Policy(
    Message,
    visibility=Action.VIEW,
    not_found="No such message.",
    rules={
        Action.VIEW: SEES_THE_INCIDENT,
        Action.EDIT: APPROVERS,
        Action.SUBMIT: APPROVERS,
        Action.APPROVE: APPROVERS,
        Action.REQUEST_CHANGES: APPROVERS,
        Action.RELEASE: APPROVERS,
        Action.SCHEDULE: APPROVERS,
        Action.OVERRIDE_GATE: COMMAND,
        Action.WITHDRAW: APPROVERS,
        Action.CONFIRM_IDENTIFIER_PARTS: PART_CONFIRMERS,
        Action.SEE_DELIVERY: APPROVERS,
        Action.RELEASE_AT_EMBARGO: WORKER,
        Action.HOLD_AT_EMBARGO: WORKER,
        Action.RETRY_DELIVERY: APPROVERS,
    },
    refusals={
        Action.EDIT: incident_comms.refusals[Action.DRAFT],
        Action.SUBMIT: incident_comms.refusals[Action.DRAFT],
        Action.APPROVE: _APPROVERS_ONLY,
        Action.REQUEST_CHANGES: _APPROVERS_ONLY,
        Action.RELEASE: "Only the incident's comms or command approvers can release messages.",
        Action.SCHEDULE: "Only the incident's comms or command approvers can release messages.",
        Action.OVERRIDE_GATE: "Only the lead or tactical lead can override a release gate.",
        Action.WITHDRAW: "Only the incident's drafters and approvers can withdraw a message.",
        Action.CONFIRM_IDENTIFIER_PARTS: "Only the incident's comms lead can confirm that part of a protected "
                                         "identifier may go out.",
        Action.SEE_DELIVERY: _APPROVERS_ONLY,
        Action.RETRY_DELIVERY: _APPROVERS_ONLY,
    },
    never={
        Action.APPROVE: (person("current_authors"),
                         "Nobody approves their own draft: another approver must approve it."),
    },
    # action: from these states → to this one
    transitions={
        Action.EDIT: Transition(BEFORE_RELEASE, S.DRAFT, code="not_editable",
                                refusal="This message is {state} and can no longer be changed."),
        Action.SUBMIT: Transition([S.DRAFT], S.IN_REVIEW, code="not_draft",
                                  refusal="Only a draft can be submitted for approval; this message is {state}."),
        # It stays in review until the approvals it needs are complete (comms/services.py).
        Action.APPROVE: Transition([S.IN_REVIEW], S.APPROVED, code="not_in_review",
                                   refusal="Only a message in review can be approved; this one is {state}."),
        Action.REQUEST_CHANGES: Transition(
            [S.IN_REVIEW, S.APPROVED], S.CHANGES_REQUESTED, code="not_in_review",
            refusal="Changes can be requested only while a message is in review or approved; this one is {state}."),
        # Before approval, the approval gate explains what is missing instead (comms/gates.py).
        Action.RELEASE: Transition([S.APPROVED], S.RELEASED, code="not_releasable",
                                   refusal="This message is already {state}."),
        Action.SCHEDULE: Transition([S.APPROVED], S.SCHEDULED, code="not_releasable",
                                    refusal="This message is already {state}."),
        Action.CONFIRM_IDENTIFIER_PARTS: Transition(
            BEFORE_RELEASE, None, code="not_confirmable",
            refusal="This message is {state}: there is nothing left to confirm."),
        Action.WITHDRAW: Transition(BEFORE_RELEASE, S.WITHDRAWN, code="not_withdrawable",
                                    refusal="This message is {state}: a released message cannot be withdrawn."),
        Action.RELEASE_AT_EMBARGO: Transition([S.SCHEDULED], S.RELEASED, code="moved_on", refusal="Moved on."),
        # A gate failed at the embargo time: back to approved, with the reason, for a person to decide.
        Action.HOLD_AT_EMBARGO: Transition([S.SCHEDULED], S.APPROVED, code="moved_on", refusal="Moved on."),
        # It stays released: only its emails that could not be sent go back in the outbox.
        Action.RETRY_DELIVERY: Transition([S.RELEASED], None, code="not_released",
                                          refusal="Only a released message has emails to try again; this one is {state}."),
    },
)



def incident_roles(rule: Grant | Rule) -> frozenset[str]:
    """The incident roles a rule made of memberships alone names, so a page can say who holds them
    ("Alice Adams (lead)"). A rule with any other condition cannot be read that way: it fails at import."""
    grants = rule.grants if isinstance(rule, Rule) else (rule,)
    if not grants or any(g.member_roles is None or g.org_role or g.person or g.where or g.unrestricted
                         or g.actor != "person" for g in grants):
        raise ImproperlyConfigured("Only a rule of incident roles alone can be named by who holds them.")
    return frozenset().union(*(g.member_roles for g in grants))


# Named beside a gate: who may release past it, and who records that the family has been told.
OVERRIDERS = incident_roles(messages.rules[Action.OVERRIDE_GATE])
FAMILY_RECORDERS = incident_roles(incident_comms.rules[Action.RECORD_FAMILY_INFORMED])
PART_CONFIRMER_ROLES = incident_roles(messages.rules[Action.CONFIRM_IDENTIFIER_PARTS])
if set(WAITING_FOR) != set(Gate) or set(APPROVALS_REQUIRED) != {"internal", "external", "public"}:
    raise ImproperlyConfigured("comms/policy.py: every gate needs its words, and every scope its approvals.")

enquiries = Policy(
    MediaEnquiry,
    visibility=Action.VIEW,
    not_found="No such media enquiry.",
    rules={Action.VIEW: SEES_THE_INCIDENT, Action.LOG_MEDIA: APPROVERS},
    refusals={Action.LOG_MEDIA: incident_comms.refusals[Action.LOG_MEDIA]},
)

# A person's inbox holds only their own briefings: anyone else's does not exist for them. A briefing of a
# restricted incident may go to people outside it (all staff, or staff chosen by name): they read what it
# says, and are not told which incident it is about (its reference, its title), in the inbox, on the page,
# in the email or through the API.
RECIPIENT = person("recipient")
inbox = Policy(
    InboxItem,
    incident="message__incident",
    visibility=Action.VIEW,
    not_found="No such message in your inbox.",
    rules={
        Action.VIEW: RECIPIENT,
        Action.ACKNOWLEDGE: RECIPIENT,
        Action.SEE_INCIDENT: RECIPIENT & (UNRESTRICTED | ANY_MEMBER),
    },
    refusals={
        Action.ACKNOWLEDGE: "Only the person a briefing was sent to can acknowledge it.",
        Action.SEE_INCIDENT: "Only those in a restricted incident are told which incident a briefing is about.",
    },
)


class MessageNotices:
    """The policy of a kind of notice about a message (core.models.Notice, whose `about_id` is the message).
    The ground floor's notice names its message by id, not by a foreign key a Policy could follow to the
    incident, so its rules come in two: the notice's own (`notices`: which kind, whose), and the incident's,
    through the message (`in_incident`, read by the messages policy)."""

    def __init__(self, notices: Policy, in_incident: Grant | Rule) -> None:
        self.notices, self.in_incident = notices, in_incident
        self.not_found = notices.not_found

    def restrict(self, actor: Actor, action: StrEnum, queryset: QuerySet | None = None) -> QuerySet:
        """The notices the actor may take this action on: of this kind, theirs, about a message of an
        incident they are in."""
        about = messages.restrict(actor, self.in_incident).values("pk")
        return self.notices.restrict(actor, action, queryset).filter(about_id__in=about)


# A notice that a message could not be delivered is its person's own: nobody else sees or closes it, and it
# is theirs only while they are in the incident.
THEIR_OWN_NOTICE = person("recipient") & where(kind=UNDELIVERED)
undelivered = MessageNotices(Policy(
    Notice,
    incident=None,
    visibility=Action.VIEW,
    not_found="No such notice.",
    rules={Action.VIEW: THEIR_OWN_NOTICE, Action.MARK_SEEN: THEIR_OWN_NOTICE},
    refusals={Action.MARK_SEEN: "Only the person it was told to can mark it seen."},
), in_incident=ANY_MEMBER)
