"""Who sees support requests: the person who asked, and the organisation's wellbeing leads. Nobody else:
not the message's senders, not line managers, not incident leads. (An incident's wellbeing lead must hold
the organisation's wellbeing-lead role, so they are among those who see them.)"""

from __future__ import annotations

from django.db.models import QuerySet

from incidents.models import OrgRole

from .models import SupportRequest


def support_requests_visible_to(user) -> QuerySet[SupportRequest]:
    if not user or not user.is_authenticated or not user.is_active:
        return SupportRequest.objects.none()
    if user.has_org_role(OrgRole.WELLBEING_LEAD):
        return SupportRequest.objects.all()
    return SupportRequest.objects.filter(person=user)
