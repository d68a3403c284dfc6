"""The release gates: what stops a message being released now, and why, in plain words.

The only place the rules of release are written, so the console, the API, the boards and the worker's
scheduled release all apply the same ones: approval (one for internal messages, two for the rest), no
protected identifier (comms/identifiers.py: the one check the editor shows as the author types), staff
briefed before the press, and the family told first after a death.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import identifiers as identifier_matching
from .models import (
    AWAITING_APPROVAL,
    PUBLIC_AUDIENCES,
    STAFF_BRIEFING_AUDIENCES,
    Message,
    MessageStatus,
    ProtectedIdentifier,
)
from .policy import Gate, approval_complete

# --- approval ---------------------------------------------------------------------------------------------


def approvals_needed(message: Message) -> str:
    """How many approvals the message needs, in words: one for internal messages, two for the rest."""
    return "one" if message.is_internal else "two"


def identifier_findings(message: Message, identifiers: Iterable[ProtectedIdentifier] | None = None
                        ) -> identifier_matching.Findings:
    """The protected identifiers in the message's subject and text, and the parts of others found alone:
    the one check (comms/identifiers.py) the editor shows as the author types and the gates decide on."""
    if identifiers is None:
        identifiers = message.incident.protected_identifiers.all()
    return identifier_matching.message_findings(message.subject, message.body, identifiers)


def parts_confirmed(message: Message, findings: identifier_matching.Findings) -> bool:
    """Whether the comms lead has confirmed, for this version, every part of an identifier found in it."""
    covered: set[str] = set()
    for confirmation in message.part_confirmations.all():  # prefetched by comms.selectors for lists
        if confirmation.voided_at is None and confirmation.version == message.version:
            covered.update(confirmation.covers)
    return findings.part_keys <= covered


# --- release gates ---------------------------------------------------------------------------------------

IDENTIFIER_DETAIL = (
    "The message contains something that could identify the child or family (a protected identifier). "
    "Remove it before this message can be approved or released."
)


def _part_detail(findings: identifier_matching.Findings) -> str:
    return (f"The message contains a word that is part of a protected {findings.part_kinds}, on its own. It may "
            "not point to the child or family here, but the incident's comms lead must confirm that, giving a "
            "reason for the decision log, before this version can be released. Or take the word out.")


@dataclass(frozen=True)
class GateFacts:
    """What the gates need to know about an incident, fetched once however many messages are checked."""

    identifiers: list
    staff_briefed: bool
    family_informed: bool


def gate_facts(incident) -> GateFacts:
    return GateFacts(
        identifiers=list(incident.protected_identifiers.all()),
        staff_briefed=Message.objects.filter(
            incident=incident, audience__in=STAFF_BRIEFING_AUDIENCES, status=MessageStatus.RELEASED
        ).exists(),
        family_informed=incident.family_informed.exists(),
    )


def failing_gates(message: Message, facts: GateFacts | None = None) -> list[tuple[Gate, str]]:
    """Every gate that stops this message being released now, in the order they are explained."""
    facts = facts or gate_facts(message.incident)
    gates: list[tuple[Gate, str]] = []
    if message.status in AWAITING_APPROVAL or not approval_complete(message, message.approvals.all()):
        needed = "one approval" if message.is_internal else (
            "two approvals: one from communications and one from the incident's command"
        )
        gates.append((Gate.APPROVAL_REQUIRED, f"The current version is not fully approved. It needs {needed}."))
    if not message.is_internal:
        findings = identifier_findings(message, facts.identifiers)
        if findings.found:
            gates.append((Gate.IDENTIFIER_FOUND, IDENTIFIER_DETAIL))
        elif findings.parts and not parts_confirmed(message, findings):
            # Once a whole identifier is out, what is left of it is for the comms lead to weigh.
            gates.append((Gate.IDENTIFIER_PART_FOUND, _part_detail(findings)))
    if message.audience in PUBLIC_AUDIENCES:
        if not facts.staff_briefed:
            gates.append((Gate.STAFF_NOT_BRIEFED,
                          "Staff must hear before the press: release an internal briefing to affected staff first."))
        if message.incident.is_death and not facts.family_informed:
            gates.append((Gate.FAMILY_NOT_INFORMED,
                          "The family must be told first. The lead or tactical lead records when they were informed."))
    return gates
