"""What protects the child and family: the incident's protected identifiers (added and removed; the
timeline says that something was protected, never what) and the record that the family was informed. Each
moves what blocks the incident's open messages (comms/gates.py), so their approvals boards redraw.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, Http404, InvalidInput
from core.policy import parse_id
from core.text import checked_text
from incidents import services as incident_services
from incidents.services import delete_audited, save_audited
from people.models import User

from .identifier_text import normalise
from .models import CommsEvent, FamilyInformed, IdentifierKind, ProtectedIdentifier
from .policy import Action
from .services import CLOCK_SKEW, gates_moved, locked_incident

# --- protected identifiers, family informed ---------------------------------------------------------------


def identifier_add(*, actor: User, incident_id: int, value: str, kind: str) -> ProtectedIdentifier:
    errors: dict[str, list[str]] = {}
    value = " ".join(checked_text(errors, ProtectedIdentifier, "value", value,
                                  missing="Enter the name, address, school or other detail to protect.").split())
    if value and not normalise(value):
        errors["value"] = ["Enter some letters or numbers."]
    if kind not in IdentifierKind.values:
        errors["kind"] = [f"Choose the kind from: {', '.join(IdentifierKind.values)}."]
    with transaction.atomic():
        incident = locked_incident(actor, Action.PROTECT_IDENTIFIERS, incident_id)
        if errors:
            raise InvalidInput(errors)
        if incident.protected_identifiers.filter(value__iexact=value).exists():
            raise Conflict("That identifier is already protected for this incident.", code="already_protected")
        identifier = ProtectedIdentifier(incident=incident, value=value, kind=kind, added_by=actor)
        save_audited(identifier, actor)
        # The timeline is seen by every member: it says that something was protected, never what.
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.IDENTIFIER_ADDED,
            summary=f"{actor.display_name} added a protected {identifier.get_kind_display().lower()}",
            data={"kind": kind},
        )
        gates_moved(incident)
    return identifier


def identifier_remove(*, actor: User, incident_id: int, identifier_id: int) -> None:
    with transaction.atomic():
        incident = locked_incident(actor, Action.PROTECT_IDENTIFIERS, incident_id)
        identifier = incident.protected_identifiers.filter(pk=parse_id(identifier_id) or 0).first()
        if identifier is None:
            raise Http404("No such protected identifier.")
        delete_audited(identifier, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.IDENTIFIER_REMOVED,
            summary=f"{actor.display_name} removed a protected {identifier.get_kind_display().lower()}",
            data={"kind": identifier.kind},
        )
        gates_moved(incident)


def family_informed_record(
    *, actor: User, incident_id: int, informed_at: dt.datetime, informed_by: str, note: str = ""
) -> FamilyInformed:
    errors: dict[str, list[str]] = {}
    informed_by = checked_text(errors, FamilyInformed, "informed_by", informed_by,
                               missing="Say who told the family, for example the police family liaison officer.")
    note = checked_text(errors, FamilyInformed, "note", note)
    if not isinstance(informed_at, dt.datetime) or timezone.is_naive(informed_at):
        errors["informed_at"] = ["Enter when the family was told as a date and time."]
    elif informed_at > timezone.now() + CLOCK_SKEW:
        errors["informed_at"] = ["The time the family was told cannot be in the future."]
    with transaction.atomic():
        incident = locked_incident(actor, Action.RECORD_FAMILY_INFORMED, incident_id)
        if errors:
            raise InvalidInput(errors)
        record = FamilyInformed(incident=incident, informed_at=informed_at, informed_by=informed_by, note=note,
                                recorded_by=actor)
        save_audited(record, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.FAMILY_INFORMED,
            summary=f"{actor.display_name} recorded that the family was informed "
                    f"({timezone.localtime(informed_at):%d %b %H:%M}, by {informed_by})",
            data={"informed_at": informed_at.isoformat()},
        )
        gates_moved(incident)
    return record
