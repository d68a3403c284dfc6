"""Staff support changes. Opt-in by design: a request exists only because the person asked."""

from __future__ import annotations

from django.db import transaction

from config.errors import InvalidInput
from incidents.models import User
from incidents.services import save_audited

from .models import SupportRequest, SupportSource, SupportStatus
from .policy import Action, requests


def support_request_from_briefing(*, person: User, message) -> SupportRequest:
    """"I would like to talk to someone", ticked when acknowledging a briefing (comms checks that the
    briefing is in the person's own inbox). Seen by the person and the wellbeing leads; never by the
    message's senders."""
    with transaction.atomic():
        request, _ = SupportRequest.objects.get_or_create(
            person=person, message=message,
            defaults={"incident": message.incident, "source": SupportSource.BRIEFING, "status": SupportStatus.OPEN},
        )
    return request


def support_request_set_status(*, actor: User, request_id: int, status: str) -> SupportRequest:
    """A wellbeing lead records where a request stands. Outcomes only: no notes about what was said."""
    if status not in SupportStatus.values:
        raise InvalidInput({"status": [f"Choose from: {', '.join(SupportStatus.values)}."]})
    with transaction.atomic():
        request = requests.fetch(actor, Action.SET_STATUS, request_id, SupportRequest.objects.select_for_update())
        request.status = status
        save_audited(request, actor)
    return request
