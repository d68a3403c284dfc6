from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:incident_id>/obligations/", api.ObligationListApi.as_view(), name="api-obligation-list"),
    path("obligations/<int:obligation_id>/done/", api.ObligationDoneApi.as_view(), name="api-obligation-done"),
    path("obligations/<int:obligation_id>/not-applicable/", api.ObligationNotApplicableApi.as_view(),
         name="api-obligation-not-applicable"),
    path("clocks/", api.ClocksApi.as_view(), name="api-clocks"),
    path("playbooks/", api.PlaybookListApi.as_view(), name="api-playbooks"),
    path("incidents/<int:incident_id>/notifications/", api.NotificationListApi.as_view(),
         name="api-notification-list"),
]
