"""Every WebSocket route, one per kind of live page."""

from django.urls import path

from comms.consumers import ApprovalsBoardConsumer
from incidents.consumers import IncidentConsumer

websocket_urlpatterns = [
    path("ws/incidents/<int:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/boards/approvals/", ApprovalsBoardConsumer.as_asgi()),
]
