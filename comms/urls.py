from django.urls import path

from . import views

urlpatterns = [
    path("incidents/<int:incident_id>/comms/", views.comms_home, name="comms-home"),
    path("incidents/<int:incident_id>/comms/new/", views.message_new, name="message-new"),
    path("incidents/<int:incident_id>/comms/check/", views.identifier_check, name="comms-identifier-check"),
    path("incidents/<int:incident_id>/comms/people/", views.recipient_choices, name="comms-recipient-choices"),
    path("incidents/<int:incident_id>/comms/family-informed/", views.family_informed, name="comms-family-informed"),
    path("incidents/<int:incident_id>/comms/identifiers/", views.identifiers, name="comms-identifiers"),
    path("incidents/<int:incident_id>/media/", views.media_log, name="comms-media"),
    path("incidents/<int:incident_id>/media/panel/", views.media_panel, name="comms-media-panel"),
    path("media/<int:enquiry_id>/", views.media_enquiry, name="media-enquiry"),
    path("messages/<int:message_id>/", views.message_detail, name="message-detail"),
    path("messages/<int:message_id>/panel/", views.message_panel, name="message-panel"),
    path("messages/<int:message_id>/edit/", views.message_edit, name="message-edit"),
    path("messages/<int:message_id>/diff/", views.message_diff, name="message-diff"),
    path("messages/<int:message_id>/print/", views.message_print, name="message-print"),
    path("messages/<int:message_id>/<slug:action>/", views.message_action, name="message-action"),
    path("approvals/", views.approvals_board, name="approvals-board"),
    path("approvals/panel/", views.approvals_board_panel, name="approvals-board-panel"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:message_id>/", views.inbox_item, name="inbox-item"),
]
