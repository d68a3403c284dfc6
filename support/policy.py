"""Who may see and act on staff support: the one statement of it. Wellbeing records are special category
(health) data: seen by the person themself and the organisation's wellbeing leads, nobody else — not the
senders of a briefing, not line managers, not the incident's leads. (An incident's wellbeing lead must
hold the organisation's wellbeing-lead role, so they are among those who see them.)

Services guard with `requests.check`, selectors and pages filter with `requests.restrict`.
(How a policy is written: incidents/rules.py.)
"""

from __future__ import annotations

from enum import StrEnum

from incidents.models import OrgRole
from incidents.rules import Policy, org, person

from .models import SupportRequest


class Action(StrEnum):
    VIEW = "view"
    SET_STATUS = "set_status"  # record where a request stands: outcomes only, never what was said


# --- who ---
WELLBEING_LEADS = org(OrgRole.WELLBEING_LEAD)
THEMSELF = person("person")

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
