"""Who sees support requests: the person, the incident's wellbeing lead(s) and the organisation's
wellbeing leads. Nobody else: not the message's senders, not line managers, not incident leads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from incidents.models import MemberRole, OrgRole

from .models import SupportRequest


def support_requests_visible_to(user) -> QuerySet[SupportRequest]:
    if not user or not user.is_authenticated or not user.is_active:
        return SupportRequest.objects.none()
    if user.has_org_role(OrgRole.WELLBEING_LEAD):
        return SupportRequest.objects.all()
    return SupportRequest.objects.filter(
        Q(person=user)
        | Q(incident__memberships__user=user, incident__memberships__role=MemberRole.WELLBEING_LEAD,
            incident__memberships__removed_at__isnull=True)
    ).distinct()
