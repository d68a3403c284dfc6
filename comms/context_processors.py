"""What every page needs from communications: the enums templates compare against
(`message.status == MessageStatus.APPROVED`), so no template spells a status itself."""

from .models import Audience, MessageStatus


def comms(request):
    return {"MessageStatus": MessageStatus, "Audience": Audience}
