"""Who may see and act on staff support: the one statement of it. Pages, the API, the sockets, the admin
and the exports all ask these policies; none has a rule of its own.

Wellbeing records are special category (health) data, seen in tiers (issue 9, DOMAIN.md "Looking after
staff"):

- **private** (outcomes, notes, a request for support): the person themself, their supporter (the
  follow-up's assignee) and the organisation's wellbeing leads. Nobody else, ever, including the
  incident's lead.
- **status** (where a follow-up stands and when it is due): also the person's line manager, for follow-ups
  of the register (a request for support is not on it, so their manager never learns they asked).
- **the register** (who was exposed, and how) and **counts** of follow-ups by status: the incident's lead
  and tactical lead; other members of the incident see the counts only. Outsiders: "not found".

An incident's details are shown with a follow-up only to those who may see the incident itself
(`incidents.policy`): a wellbeing lead sees every follow-up, but a restricted incident they are not in
stays a restricted incident. (How a policy is written: core/policy.py.)
"""

from __future__ import annotations

from enum import StrEnum

from core.grants import (
    ADMIN_SITE,
    ANY_MEMBER,
    UNRESTRICTED,
    WORKER,
    Transition,
    member,
    org,
    person,
    where,
)
from core.policy import Policy
from incidents.models import Incident
from incidents.models import MemberRole as Role
from incidents.policy import SEES_THE_INCIDENT
from people.models import OrgRole

from .models import AffectedPerson, Debrief, FollowUp, FollowUpKind, SupportRequest
from .models import DebriefStatus as D
from .models import FollowUpStatus as F


class Action(StrEnum):
    VIEW = "view"
    SET_STATUS = "set_status"  # record where a request stands: outcomes only, never what was said


# --- who ---
WELLBEING_LEADS = org(OrgRole.WELLBEING_LEAD)
COMMAND = member(Role.LEAD, Role.TACTICAL_LEAD)
THEMSELF = person("person")
SUPPORTER = person("assignee")
# An incident whose existence is no secret from them: an unrestricted one, or one they are in.
KNOWS_OF_IT = UNRESTRICTED | ANY_MEMBER
# A person's line manager, for the follow-ups that come from the register, of an incident whose existence
# is no secret from them (a restricted incident's follow-ups are not shown to a manager outside it).
LINE_MANAGER = person("affected__person__line_manager") & KNOWS_OF_IT
# Follow-ups of the register, not requests for support (that someone asked is private-tier).
OF_THE_REGISTER = where(affected__isnull=False)

requests = Policy(
    SupportRequest,
    visibility=Action.VIEW,
    not_found="No such support request.",
    rules={
        Action.VIEW: THEMSELF | WELLBEING_LEADS,
        Action.SET_STATUS: WELLBEING_LEADS,
    },
    refusals={
        Action.SET_STATUS: "A wellbeing lead records the progress of your request.",
    },
)


class IncidentAction(StrEnum):
    VIEW = "view"
    SEE_COUNTS = "see_counts"  # how many follow-ups stand where, never whose
    SEE_REGISTER = "see_register"  # who was exposed, and how
    ADD_TO_REGISTER = "add_to_register"
    SCHEDULE_DEBRIEF = "schedule_debrief"


incident_support = Policy(
    Incident,
    incident=None,
    visibility=IncidentAction.VIEW,
    not_found="No such incident.",
    rules={
        IncidentAction.VIEW: SEES_THE_INCIDENT,
        IncidentAction.SEE_COUNTS: SEES_THE_INCIDENT,
        IncidentAction.SEE_REGISTER: COMMAND | WELLBEING_LEADS,
        IncidentAction.ADD_TO_REGISTER: COMMAND | WELLBEING_LEADS,
        IncidentAction.SCHEDULE_DEBRIEF: COMMAND | WELLBEING_LEADS,
    },
    refusals={
        IncidentAction.SEE_COUNTS: "Only people in the incident see how staff support stands.",
        IncidentAction.SEE_REGISTER: "Only the incident's lead, tactical lead and wellbeing leads see who was affected.",
        IncidentAction.ADD_TO_REGISTER: "Only the incident's lead, tactical lead or a wellbeing lead can add "
                                        "someone to the register.",
        IncidentAction.SCHEDULE_DEBRIEF: "Only the incident's lead, tactical lead or a wellbeing lead can arrange "
                                         "a debrief.",
    },
)


class RegisterAction(StrEnum):
    VIEW = "view"
    SEE_PRIVATE = "see_private"  # how their support stands (declined the rest, check-ins open): not command
    SEE_WHY = "see_why"  # why they are on it and who added them: that tells of the incident
    CHANGE_EXPOSURE = "change_exposure"
    CHOOSE_SUPPORTER = "choose_supporter"  # moves every open follow-up to the new supporter
    ADD_CHECK_IN = "add_check_in"  # a trigger date: an inquest, a review's publication, the anniversary
    DECLINE_ALL = "decline_all"  # the person's choice: no more check-ins


register = Policy(
    AffectedPerson,
    visibility=RegisterAction.VIEW,
    not_found="No such person on the register.",
    rules={
        RegisterAction.VIEW: COMMAND | WELLBEING_LEADS | THEMSELF | person("supporter") | ADMIN_SITE,
        RegisterAction.SEE_PRIVATE: WELLBEING_LEADS | THEMSELF | person("supporter"),
        # A supporter, or a wellbeing lead, outside a restricted incident supports the person and is not told
        # of the incident: why someone is on its register (and who put them there) tells of it.
        RegisterAction.SEE_WHY: COMMAND | THEMSELF | (WELLBEING_LEADS | person("supporter")) & KNOWS_OF_IT,
        # Saying differently how someone was affected needs knowing what happened (issue 18).
        RegisterAction.CHANGE_EXPOSURE: COMMAND | WELLBEING_LEADS & KNOWS_OF_IT,
        RegisterAction.CHOOSE_SUPPORTER: THEMSELF | WELLBEING_LEADS,
        RegisterAction.ADD_CHECK_IN: WELLBEING_LEADS | person("supporter"),
        RegisterAction.DECLINE_ALL: THEMSELF,
    },
    refusals={
        RegisterAction.SEE_PRIVATE: "Only the person, their supporter and the wellbeing leads see how their support "
                                    "stands.",
        RegisterAction.SEE_WHY: "Only those who know of the incident see why someone is on its register.",
        RegisterAction.CHANGE_EXPOSURE: "Only the incident's lead, tactical lead or a wellbeing lead who knows of "
                                        "the incident can change how someone was affected.",
        RegisterAction.CHOOSE_SUPPORTER: "The person themself or a wellbeing lead chooses who supports them.",
        RegisterAction.ADD_CHECK_IN: "Only their supporter or a wellbeing lead can add a check-in.",
        RegisterAction.DECLINE_ALL: "Only the person themself can decline their check-ins.",
    },
)


class FollowUpAction(StrEnum):
    VIEW = "view"  # the status tier: what it is, when it is due, where it stands
    SEE_PRIVATE = "see_private"  # the private tier: outcome, note, and that the person asked for support
    COMPLETE = "complete"
    DECLINE = "decline"
    REQUEST_REARRANGE = "request_rearrange"
    RESCHEDULE = "reschedule"
    REASSIGN = "reassign"
    CANCEL = "cancel"
    REMIND = "remind"  # the worker, when it falls due
    HEAR_OVERDUE = "hear_overdue"  # told when it is a working day overdue


PRIVATE = THEMSELF | SUPPORTER | WELLBEING_LEADS
# That someone asked for support is not for their line manager, nor for the incident's command.
ASKED = where(kind=FollowUpKind.SUPPORT_REQUEST)
_OPEN_ONLY = "This check-in is {state}: it can no longer be changed."

follow_ups = Policy(
    FollowUp,
    visibility=FollowUpAction.VIEW,
    not_found="No such follow-up.",
    rules={
        # The admin site sees the status tier of the register's follow-ups, never a request for support.
        FollowUpAction.VIEW: PRIVATE | LINE_MANAGER | ADMIN_SITE & OF_THE_REGISTER,
        FollowUpAction.SEE_PRIVATE: PRIVATE,
        FollowUpAction.COMPLETE: SUPPORTER | WELLBEING_LEADS,
        FollowUpAction.DECLINE: PRIVATE,
        FollowUpAction.REQUEST_REARRANGE: THEMSELF,
        FollowUpAction.RESCHEDULE: SUPPORTER | WELLBEING_LEADS,
        FollowUpAction.REASSIGN: SUPPORTER | WELLBEING_LEADS,
        FollowUpAction.CANCEL: WELLBEING_LEADS,
        FollowUpAction.REMIND: WORKER,
        FollowUpAction.HEAR_OVERDUE: WELLBEING_LEADS,
    },
    told=frozenset({FollowUpAction.HEAR_OVERDUE}),
    never={
        FollowUpAction.HEAR_OVERDUE: (THEMSELF | ASKED & (person("person__line_manager") | COMMAND),
                                      "A wellbeing lead is not told of their own check-in, nor of a request "
                                      "for support by someone they manage or in an incident they lead."),
    },
    refusals={
        FollowUpAction.SEE_PRIVATE: "Only the person, their supporter and the wellbeing leads see how a check-in went.",
        FollowUpAction.COMPLETE: "Only their supporter or a wellbeing lead records a check-in.",
        FollowUpAction.DECLINE: "Only the person, their supporter or a wellbeing lead can record that a check-in "
                                "was declined.",
        FollowUpAction.REQUEST_REARRANGE: "Only the person themself asks to rearrange their check-in.",
        FollowUpAction.RESCHEDULE: "Only their supporter or a wellbeing lead can move a check-in.",
        FollowUpAction.REASSIGN: "Only their supporter or a wellbeing lead can hand a check-in to someone else.",
        FollowUpAction.CANCEL: "Only a wellbeing lead can cancel a check-in.",
        FollowUpAction.HEAR_OVERDUE: "Only the wellbeing leads are told that a check-in is overdue.",
    },
    transitions={
        action: Transition([F.SCHEDULED], target, code="not_open", refusal=_OPEN_ONLY)
        for action, target in (
            (FollowUpAction.COMPLETE, F.COMPLETED),
            (FollowUpAction.DECLINE, F.DECLINED),
            (FollowUpAction.CANCEL, F.CANCELLED),
            (FollowUpAction.REQUEST_REARRANGE, None),
            (FollowUpAction.RESCHEDULE, None),
            (FollowUpAction.REASSIGN, None),
            (FollowUpAction.REMIND, None),
        )
    },
)


class DebriefAction(StrEnum):
    VIEW = "view"
    SEE_INVITEES = "see_invitees"  # who is invited and how they answered (others see counts)
    CHANGE = "change"  # time, place, facilitator, invitees: every invitation is sent again
    CANCEL = "cancel"
    RSVP = "rsvp"  # your own answer to your invitation
    RECORD_ATTENDANCE = "record_attendance"
    RECORD_LEARNING = "record_learning"  # a cold debrief's learning, for the incident


FACILITATOR = person("facilitator")
INVITEE = person("invitees__person")
# A wellbeing lead arranges the debriefs of the incidents they are in (a restricted incident's debriefs,
# with their invitees and learning, are not shown to those outside it).
ARRANGERS = COMMAND | WELLBEING_LEADS & ANY_MEMBER | FACILITATOR

debriefs = Policy(
    Debrief,
    visibility=DebriefAction.VIEW,
    not_found="No such debrief.",
    rules={
        DebriefAction.VIEW: ARRANGERS | INVITEE | ADMIN_SITE,
        DebriefAction.SEE_INVITEES: ARRANGERS | ADMIN_SITE,
        DebriefAction.CHANGE: ARRANGERS,
        DebriefAction.CANCEL: ARRANGERS,
        DebriefAction.RSVP: INVITEE,
        DebriefAction.RECORD_ATTENDANCE: FACILITATOR | WELLBEING_LEADS & ANY_MEMBER,
        DebriefAction.RECORD_LEARNING: FACILITATOR | COMMAND,
    },
    refusals={
        DebriefAction.SEE_INVITEES: "Only those arranging the debrief see who is invited.",
        DebriefAction.CHANGE: "Only the facilitator, the incident's leads or a wellbeing lead can change a debrief.",
        DebriefAction.CANCEL: "Only the facilitator, the incident's leads or a wellbeing lead can cancel a debrief.",
        DebriefAction.RSVP: "Only the people invited answer an invitation.",
        DebriefAction.RECORD_ATTENDANCE: "Only the facilitator or a wellbeing lead records who came.",
        DebriefAction.RECORD_LEARNING: "Only the facilitator or the incident's leads record a debrief's learning.",
    },
    transitions={
        action: Transition([D.SCHEDULED], target, code="cancelled", refusal="This debrief was {state}.")
        for action, target in (
            (DebriefAction.CHANGE, None),
            (DebriefAction.CANCEL, D.CANCELLED),
            (DebriefAction.RSVP, None),
            (DebriefAction.RECORD_ATTENDANCE, None),
            (DebriefAction.RECORD_LEARNING, None),
        )
    },
)
