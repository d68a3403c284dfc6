from django.urls import path

from . import views

urlpatterns = [
    path("support/requests/", views.support_requests, name="support-requests"),
    path("support/board/", views.follow_ups_board, name="follow-ups-board"),
    path("support/board/panel/", views.follow_ups_board_panel, name="follow-ups-board-panel"),
    path("support/follow-ups/<int:follow_up_id>/", views.follow_up_detail, name="follow-up"),
    path("support/me/", views.my_support, name="my-support"),
    path("support/register/<int:entry_id>/", views.register_entry, name="register-entry"),
    path("support/exposure/", views.exposure, name="support-exposure"),
    path("incidents/<int:incident_id>/support/", views.incident_support, name="incident-support"),
    path("incidents/<int:incident_id>/support/panel/<str:panel>/", views.incident_support_panel,
         name="incident-support-panel"),
    path("support/debriefs/<int:debrief_id>/", views.debrief_detail, name="debrief"),
]
