"""Every WebSocket route, one per kind of live page."""

from django.urls import path, re_path

from clocks.consumers import ClocksBoardConsumer
from comms.consumers import ApprovalsBoardConsumer
from core.live import NoSuchSocket
from incidents.consumers import IncidentConsumer, NowConsumer
from support.consumers import FollowUpsBoardConsumer

websocket_urlpatterns = [
    path("ws/incidents/<int:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/boards/approvals/", ApprovalsBoardConsumer.as_asgi()),
    path("ws/boards/follow-ups/", FollowUpsBoardConsumer.as_asgi()),
    path("ws/boards/clocks/", ClocksBoardConsumer.as_asgi()),
    path("ws/me/now/", NowConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),  # anything else: refused, not a server error
]
