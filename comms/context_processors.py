"""What every page needs from communications: the unread count in the header, and the enums templates
compare against (`message.status == MessageStatus.APPROVED`), so no template spells a status itself."""

from .models import Audience, MessageStatus
from .selectors import unread_count


def comms(request):
    context = {"MessageStatus": MessageStatus, "Audience": Audience}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # How many briefings are waiting to be read: shown calmly next to "Inbox" in the header.
        context["inbox_unread"] = unread_count(user)
    return context
