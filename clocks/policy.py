"""Who may do what with an incident's statutory clocks, and from which states.

An obligation is seen by whoever sees its incident, and completed (done, or found not to apply) by the
incident's lead and tactical lead or the role its playbook names; only the worker reminds. Recording who
was told (a step of the need-to-know ladder) is an action on the incident itself, so it is added to the
incident's own policy: an incident's `allowed_actions` offers it, as before. (How a policy is written:
core/policy.py.)
"""

from __future__ import annotations

from enum import StrEnum

from core.grants import WORKER, Transition, member, where
from core.policy import Policy
from incidents.models import MemberRole as Role
from incidents.policy import COMMAND, SEES_THE_INCIDENT, incidents

from .models import Obligation, ObligationStatus


class Action(StrEnum):
    """The clocks' actions on the incident itself."""

    RECORD_NOTIFICATION = "record_notification"  # a step of the need-to-know ladder


incidents.add_actions(
    rules={Action.RECORD_NOTIFICATION: COMMAND},
    refusals={Action.RECORD_NOTIFICATION: "Only the incident's lead or tactical lead records who has been told."},
)


class ObligationAction(StrEnum):
    VIEW = "view_obligation"
    MARK_DONE = "mark_done"
    MARK_NOT_APPLICABLE = "mark_not_applicable"
    REMIND = "remind"  # the worker, when one falls due


# The role the playbook names may complete its obligation, as the lead and tactical lead may any.
RESPONSIBLE = COMMAND
for _role in Role.values:
    if _role != Role.OBSERVER:
        RESPONSIBLE = RESPONSIBLE | member(_role) & where(responsible_role=_role)

_PENDING = [ObligationStatus.PENDING]

obligations = Policy(
    Obligation,
    visibility=ObligationAction.VIEW,
    not_found="No such obligation.",
    rules={
        ObligationAction.VIEW: SEES_THE_INCIDENT,
        ObligationAction.MARK_DONE: RESPONSIBLE,
        ObligationAction.MARK_NOT_APPLICABLE: RESPONSIBLE,
        ObligationAction.REMIND: WORKER,
    },
    refusals={
        ObligationAction.MARK_DONE: "Only the incident's lead, tactical lead or the role this obligation names "
                                    "can record it as done.",
        ObligationAction.MARK_NOT_APPLICABLE: "Only the incident's lead, tactical lead or the role this "
                                              "obligation names can record that it does not apply.",
        ObligationAction.REMIND: "Only Harbour's worker sends reminders.",
    },
    transitions={
        ObligationAction.MARK_DONE: Transition(_PENDING, ObligationStatus.DONE, code="not_pending",
                                               refusal="This obligation is already {state}."),
        ObligationAction.MARK_NOT_APPLICABLE: Transition(
            _PENDING, ObligationStatus.NOT_APPLICABLE, code="not_pending",
            refusal="This obligation is already recorded: {state}."),
        ObligationAction.REMIND: Transition(_PENDING, None, code="not_pending", refusal="It is {state}."),
    },
)
