from .models import InboxItem


def inbox(request):
    """How many briefings are waiting to be read: shown calmly next to "Inbox" in the header."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"inbox_unread": InboxItem.objects.filter(recipient=user, acknowledged_at__isnull=True).count()}
