"""What a message's release still needs, read the same by a board card, the message page, the API and the
Now page: which approvals it has, each gate that stops it (the release service's own, comms/gates.py),
the step that clears each gate and where to take it, and who may release anyway."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from core.actors import Actor
from incidents.models import Incident, MemberRole
from people.models import User

from .gates import failing_gates, gate_facts
from .models import BEFORE_RELEASE, STAFF_BRIEFING_AUDIENCES, Approval, Message, MessageStatus
from .policy import (
    APPROVAL_LABELS,
    FAMILY_RECORDERS,
    OVERRIDABLE_GATES,
    OVERRIDERS,
    PART_CONFIRMER_ROLES,
    WAITING_FOR,
    Action,
    ApprovalSide,
    Gate,
    approvals_by_side,
    incident_comms,
    messages,
    overridable,
)

# --- what a release still needs (issue 11): a board card, the message page and the API read the same --------
# The rules stay where they are: the gates and their reasons are comms/gates.py's `failing_gates` (the
# same call the release service and the worker make), the approvals each scope needs and who may override
# are comms/policy.py's. This adds only what a person needs to act: who holds each approval, the step that
# clears each gate and where to take it, and who may release anyway.


@dataclass(frozen=True)
class ApprovalHeld:
    """One approval a message needs, and who gave it for the current version (None: still needed)."""

    side: ApprovalSide
    by: User | None

    @property
    def label(self) -> str:
        return APPROVAL_LABELS[self.side]

    @property
    def held(self) -> bool:
        return self.by is not None


@dataclass(frozen=True)
class Named:
    """Someone named beside a step: "Alice Adams (lead)"."""

    username: str
    name: str
    role: str

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


def either(people: tuple[Named, ...] | list[Named]) -> str:
    """"Alice Adams (lead) or Tom Tactical (tactical lead)"."""
    words = [str(p) for p in people]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class Step:
    """What clears a gate and where to take it. `you_may`: the person looking may take it (otherwise the
    page names `who` may, rather than link to a refusal)."""

    label: str
    url: str
    you_may: bool
    who: tuple[Named, ...] = ()

    @property
    def who_names(self) -> str:
        return either(self.who)


@dataclass(frozen=True)
class Blocker:
    """A gate that stops the release now, with the release service's own reason for it."""

    code: Gate
    reason: str
    step: Step
    override_by: tuple[Named, ...]  # who may release past it, giving a reason; empty when nobody may

    @property
    def waiting_for(self) -> str:
        return WAITING_FOR[self.code]

    @property
    def overridable(self) -> bool:
        return self.code in OVERRIDABLE_GATES

    @property
    def override_names(self) -> str:
        return either(self.override_by) or "the incident's lead or tactical lead"


@dataclass(frozen=True)
class ReleaseProgress:
    approvals: tuple[ApprovalHeld, ...]
    blocked_by: tuple[Blocker, ...]
    finished: bool  # released or withdrawn: nothing is waiting
    overridable: bool  # every gate left may be overridden, so the lead or tactical lead could release it now
    you_may_override: bool  # …and the person looking is one of them

    @property
    def ready(self) -> bool:
        """Nothing stops its release now (or, if scheduled, at its embargo time)."""
        return not self.finished and not self.blocked_by

    @property
    def gates(self) -> tuple[Blocker, ...]:
        """What blocks it besides approval, which a card shows as its approvals line instead."""
        return tuple(b for b in self.blocked_by if b.code != Gate.APPROVAL_REQUIRED)

    @property
    def approved_by(self) -> str:
        """"Cora Comms (communications) and Tom Tactical (command)"; "" when nobody has approved yet."""
        held = [a for a in self.approvals if a.held]
        if len(self.approvals) == 1:
            return held[0].by.display_name if held else ""
        return " and ".join(f"{a.by.display_name} ({a.label.lower()})" for a in held)


def approvals_held(message: Message, approvals: Iterable[Approval] | None = None) -> tuple[ApprovalHeld, ...]:
    """Which approvals the current version has and which it still needs, by the one rule of approval
    (comms/policy.py, approvals_by_side): every side is held exactly when the release counts the message
    approved."""
    by = approvals_by_side(message, message.approvals.all() if approvals is None else approvals)
    return tuple(ApprovalHeld(side, held.approver if held else None) for side, held in by.items())


class IncidentFacts:
    """What the steps of one incident's messages need, each read once (and only if needed) however many
    of its messages a board or a list shows."""

    def __init__(self, incident: Incident):

        self.incident = incident
        self.gates = gate_facts(incident)
        self._briefing: Any = ...
        self._holders: dict[frozenset[str], tuple[Named, ...]] = {}

    def staff_briefing(self) -> Message | None:
        """The staff briefing on its way, if there is one: finishing it clears the staff gate."""
        if self._briefing is ...:
            self._briefing = self.incident.messages.filter(
                audience__in=STAFF_BRIEFING_AUDIENCES, status__in=BEFORE_RELEASE
            ).order_by("-updated_at", "-id").only("pk", "subject", "status", "incident_id").first()
        return self._briefing

    def holders(self, roles: frozenset[str]) -> tuple[Named, ...]:
        """The active members in these roles, the strategic lead first."""
        if roles not in self._holders:
            order = {role: n for n, role in enumerate(MemberRole.values)}
            found = sorted(self.incident.memberships.active().filter(role__in=sorted(roles)).select_related("user"),
                           key=lambda m: (order[m.role], m.user.display_name))
            self._holders[roles] = tuple(
                Named(m.user.username, m.user.display_name, m.get_role_display().split(" (")[0].lower())
                for m in found)
        return self._holders[roles]


def _step(code: Gate, message: Message, viewer: Actor, facts: IncidentFacts) -> Step:
    here = reverse("message-detail", args=[message.pk])
    incident = message.incident
    if code == Gate.APPROVAL_REQUIRED:
        if message.status == MessageStatus.DRAFT:
            return Step("Submit it for approval", f"{here}#message-actions",
                        messages.allows(viewer, Action.SUBMIT, message))
        if message.status == MessageStatus.CHANGES_REQUESTED:
            return Step("Make the changes asked for, then submit it again", reverse("message-edit", args=[message.pk]),
                        messages.allows(viewer, Action.EDIT, message))
        needed = " and ".join(a.label.lower() for a in approvals_held(message) if not a.held)
        return Step(f"Approve it (still needed: {needed})" if needed else "Approve it", f"{here}#message-actions",
                    messages.allows(viewer, Action.APPROVE, message))
    if code == Gate.IDENTIFIER_FOUND:
        return Step("Edit the message to take out the protected identifier",
                    reverse("message-edit", args=[message.pk]), messages.allows(viewer, Action.EDIT, message))
    if code == Gate.IDENTIFIER_PART_FOUND:
        return Step("Confirm that it does not identify the child or family, giving a reason",
                    f"{here}#confirm-parts", messages.allows(viewer, Action.CONFIRM_IDENTIFIER_PARTS, message),
                    facts.holders(PART_CONFIRMER_ROLES))
    if code == Gate.STAFF_NOT_BRIEFED:
        briefing = facts.staff_briefing()
        if briefing is not None:  # in the same incident, so anyone who sees this message may open it
            return Step(f"See the staff briefing “{briefing.subject}” through to release "
                        f"(it is {briefing.get_status_display().lower()})",
                        reverse("message-detail", args=[briefing.pk]), True)
        return Step("Draft the staff briefing", reverse("message-new", args=[incident.pk]) + "?audience=all_staff",
                    incident_comms.allows(viewer, Action.DRAFT, incident))
    if code == Gate.FAMILY_NOT_INFORMED:
        return Step("Record that the family has been told",
                    reverse("comms-home", args=[incident.pk]) + "#family_informed_at",
                    incident_comms.allows(viewer, Action.RECORD_FAMILY_INFORMED, incident),
                    facts.holders(FAMILY_RECORDERS))
    raise ValueError(f"No step is known for the gate {code!r}.")  # comms/policy.py: WAITING_FOR names them all


def release_progress(message: Message, viewer: Actor, cache: dict[int, Any] | None = None) -> ReleaseProgress:
    """What the message has, what it still needs before it can be released, and what the person looking can
    do about it. Pass one `cache` for a list of messages: each incident's facts are then read once."""

    approvals = approvals_held(message)
    if message.is_finished:
        return ReleaseProgress(approvals, (), finished=True, overridable=False, you_may_override=False)
    cache = {} if cache is None else cache
    if message.incident_id not in cache:
        cache[message.incident_id] = IncidentFacts(message.incident)
    facts = cache[message.incident_id]
    failing = failing_gates(message, facts.gates)
    if message.status == MessageStatus.SCHEDULED:
        # At its embargo time the worker releases past the gates overridden when it was scheduled.
        failing = [(code, reason) for code, reason in failing if code not in message.overridden_gates]
    blockers = tuple(
        Blocker(code, reason, _step(code, message, viewer, facts),
                facts.holders(OVERRIDERS) if code in OVERRIDABLE_GATES else ())
        for code, reason in failing
    )
    can_override = overridable([b.code for b in blockers])
    you_may = can_override and messages.allows(viewer, Action.OVERRIDE_GATE, message) and (
        messages.allows(viewer, Action.RELEASE, message) or messages.allows(viewer, Action.SCHEDULE, message))
    return ReleaseProgress(approvals, blockers, finished=False, overridable=can_override, you_may_override=you_may)


def with_release_progress(items: list[Message], viewer: Actor) -> list[Message]:
    """Each message with its `release_progress`, for a board: a few reads per incident, none per card."""
    cache: dict[int, Any] = {}
    for message in items:
        message.release_progress = release_progress(message, viewer, cache)
    return items

def approvals_line(held: tuple[ApprovalHeld, ...]) -> str:
    """"Communications ✓ · Command —": which approvals the current version has, and which it still needs."""
    return " · ".join(f"{a.label} {'✓' if a.held else '—'}" for a in held)
