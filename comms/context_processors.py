from .models import InboxItem


def inbox(request):
    """How many briefings are waiting to be read: shown calmly next to "Inbox" in the header."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from support.permissions import support_requests_visible_to

    return {
        "inbox_unread": InboxItem.objects.filter(recipient=user, acknowledged_at__isnull=True).count(),
        # Wellbeing leads, and anyone with requests of their own, get a link to the support requests.
        "shows_support": user.has_org_role("wellbeing_lead") or support_requests_visible_to(user).exists(),
    }
