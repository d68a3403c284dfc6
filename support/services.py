"""Staff support changes. Opt-in by design: a request exists only because the person asked."""

from __future__ import annotations

from django.db import transaction

from incidents.models import MemberRole, OrgRole, User

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


def support_team_ids(incident) -> set[int]:
    """Who looks after support requests for an incident: its wellbeing lead(s) and the organisation's."""
    leads = set(incident.memberships.active().filter(role=MemberRole.WELLBEING_LEAD).values_list("user_id", flat=True))
    leads.update(User.objects.filter(groups__name=OrgRole.WELLBEING_LEAD, is_active=True).values_list("pk", flat=True))
    return leads
