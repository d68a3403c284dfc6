from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/incidents/<int:incident_id>/", consumers.IncidentConsumer.as_asgi()),
]
