"""Staff support changes. Opt-in by design: a request exists only because the person asked."""

from __future__ import annotations

from django.db import transaction

from incidents.models import OrgRole, User
from incidents.services import save_audited

from .models import SupportRequest, SupportSource, SupportStatus


def support_request_from_briefing(*, person: User, message) -> SupportRequest:
    """"I would like to talk to someone", ticked when acknowledging a briefing. Seen by the person,
    the incident's wellbeing lead and the organisation's wellbeing leads; never by the message's senders."""
    with transaction.atomic():
        request, _ = SupportRequest.objects.get_or_create(
            person=person, message=message,
            defaults={"incident": message.incident, "source": SupportSource.BRIEFING, "status": SupportStatus.OPEN},
        )
    return request


def support_request_set_status(*, actor: User, request_id: int, status: str) -> SupportRequest:
    """A wellbeing lead records where a request stands. Outcomes only: no notes about what was said."""
    from django.http import Http404

    from config.errors import InvalidInput

    from .permissions import support_requests_visible_to

    if status not in SupportStatus.values:
        raise InvalidInput({"status": [f"Choose from: {', '.join(SupportStatus.values)}."]})
    with transaction.atomic():
        request = support_requests_visible_to(actor).select_for_update().filter(pk=request_id).first()
        if request is None:
            raise Http404("No such support request.")
        if request.person_id == actor.pk and not actor.has_org_role(OrgRole.WELLBEING_LEAD):
            from config.errors import PermissionDenied

            raise PermissionDenied("A wellbeing lead records the progress of your request.")
        request.status = status
        save_audited(request, actor)
    return request
