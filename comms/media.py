"""Media enquiries: logging one (the first starts the holding statement's clock, through the spine) and
updating it. Same shape as comms/services.py: lock → guard → save (audited) → timeline event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput
from core.policy import parse_id
from core.text import checked_text, is_one_line
from incidents import services as incident_services
from incidents.services import save_audited
from people.models import User

from .models import CommsEvent, EnquiryStatus, MediaEnquiry, Message
from .policy import Action, enquiries, incident_comms
from .services import CLOCK_SKEW, locked_incident

# --- media enquiries -------------------------------------------------------------------------------------

ENQUIRY_FIELDS = ("outlet", "journalist", "contact", "received_at", "deadline", "question", "owner", "status",
                  "response_message")


def _clean_enquiry(incident, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for field, label in (("outlet", "the outlet"), ("journalist", "the journalist's name"),
                         ("contact", "how to contact them"), ("question", "the question")):
        cleaned[field] = checked_text(errors, MediaEnquiry, field, values.get(field), missing=f"Enter {label}.")
    received = values.get("received_at")
    if not isinstance(received, dt.datetime) or timezone.is_naive(received):
        errors["received_at"] = ["Enter when the enquiry came in as a date and time."]
    elif received > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = ["The enquiry cannot have come in the future."]
    deadline = values.get("deadline")
    if deadline is not None and (not isinstance(deadline, dt.datetime) or timezone.is_naive(deadline)):
        errors["deadline"] = ["Enter the deadline as a date and time."]
    elif deadline is not None and isinstance(received, dt.datetime) and deadline < received:
        errors["deadline"] = ["The deadline cannot be before the enquiry came in."]
    if values.get("status") not in EnquiryStatus.values:
        errors["status"] = [f"Choose the status from: {', '.join(EnquiryStatus.values)}."]
    owner = values.get("owner")
    if isinstance(owner, str):
        owner = User.objects.filter(username=owner, is_active=True).first() if is_one_line(owner) else None
        if owner is None:
            errors["owner"] = ["There is no member of staff with that username."]
    if isinstance(owner, User) and not incident_comms.allows(owner, Action.LOG_MEDIA, incident):
        errors["owner"] = [f"{owner.display_name} is not one of this incident's comms or command approvers."]
    cleaned["owner"] = owner
    response = values.get("response_message")
    if response not in (None, ""):
        message_id = response.pk if isinstance(response, Message) else response
        response = incident.messages.filter(pk=parse_id(message_id) or 0).first()
        if response is None:
            errors["response_message"] = ["Choose a message of this incident."]
    cleaned["response_message"] = response or None
    return cleaned, errors


def media_enquiry_log(
    *, actor: User, incident_id: int, outlet: str, journalist: str, contact: str, received_at: dt.datetime,
    question: str, deadline: dt.datetime | None = None, owner: User | str | None = None,
    status: str = EnquiryStatus.OPEN, response_message: int | None = None,
) -> MediaEnquiry:
    with transaction.atomic():
        incident = locked_incident(actor, Action.LOG_MEDIA, incident_id)
        cleaned, errors = _clean_enquiry(incident, {
            "outlet": outlet, "journalist": journalist, "contact": contact, "received_at": received_at,
            "deadline": deadline, "question": question, "owner": owner or actor, "status": status,
            "response_message": response_message,
        })
        if errors:
            raise InvalidInput(errors)
        enquiry = MediaEnquiry(incident=incident, logged_by=actor, **cleaned)
        save_audited(enquiry, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.MEDIA_LOGGED,
            summary=f"{actor.display_name} logged a media enquiry from {enquiry.outlet}"
                    + (f", deadline {timezone.localtime(enquiry.deadline):%d %b %H:%M}" if enquiry.deadline else ""),
            data={"enquiry": enquiry.pk},
        )
        # The first enquiry starts the holding statement's clock (the playbook's `media_enquiry` start).
        incident_services.media_interest(incident=incident, at=timezone.now())
    return enquiry


def media_enquiry_update(*, actor: User, enquiry_id: int, changes: dict[str, Any]) -> MediaEnquiry:
    unknown = sorted(set(changes) - set(ENQUIRY_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in unknown})
    with transaction.atomic():
        locked = MediaEnquiry.objects.select_for_update(of=("self",)).select_related("incident")
        enquiry = enquiries.fetch(actor, Action.LOG_MEDIA, enquiry_id, locked)
        current = {f: getattr(enquiry, f) for f in ENQUIRY_FIELDS}
        cleaned, errors = _clean_enquiry(enquiry.incident, {**current, **changes})
        if errors:
            raise InvalidInput(errors)
        changed = [f for f in ENQUIRY_FIELDS if cleaned[f] != current[f]]
        if not changed:
            return enquiry
        for field in changed:
            setattr(enquiry, field, cleaned[field])
        save_audited(enquiry, actor)
        summary = f"{actor.display_name} updated the enquiry from {enquiry.outlet}"
        if "status" in changed:
            summary += f": {enquiry.get_status_display().lower()}"
        incident_services.record_event(
            incident=enquiry.incident, actor=actor, type=CommsEvent.MEDIA_UPDATED, summary=summary,
            data={"enquiry": enquiry.pk, "fields": changed},
        )
    return enquiry
