from django.urls import path

from . import views

urlpatterns = [
    path("incidents/<int:incident_id>/ladder/", views.notification_record, name="notification-record"),
    path("obligations/<int:obligation_id>/done/", views.obligation_done, name="obligation-done"),
    path("obligations/<int:obligation_id>/not-applicable/", views.obligation_not_applicable,
         name="obligation-not-applicable"),
    path("clocks/", views.clocks_board, name="clocks-board"),
    path("clocks/panel/", views.clocks_board_panel, name="clocks-board-panel"),
]
