from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:incident_id>/affected-staff/", api.RegisterApi.as_view(), name="api-affected-staff"),
    path("incidents/<int:incident_id>/support-counts/", api.CountsApi.as_view(), name="api-support-counts"),
    path("affected-staff/<int:entry_id>/", api.RegisterEntryApi.as_view(), name="api-affected-staff-detail"),
    path("affected-staff/<int:entry_id>/decline-all/", api.DeclineAllApi.as_view(), name="api-affected-staff-decline-all"),
    path("affected-staff/<int:entry_id>/check-ins/", api.CheckInAddApi.as_view(), name="api-affected-staff-check-ins"),
    path("follow-ups/", api.FollowUpsApi.as_view(), name="api-follow-ups"),
    path("follow-ups/<int:follow_up_id>/", api.FollowUpApi.as_view(), name="api-follow-up"),
    path("follow-ups/<int:follow_up_id>/complete/", api.CompleteApi.as_view(), name="api-follow-up-complete"),
    path("follow-ups/<int:follow_up_id>/decline/", api.DeclineApi.as_view(), name="api-follow-up-decline"),
    path("follow-ups/<int:follow_up_id>/rearrange/", api.RearrangeApi.as_view(), name="api-follow-up-rearrange"),
    path("follow-ups/<int:follow_up_id>/cancel/", api.CancelApi.as_view(), name="api-follow-up-cancel"),
    path("me/support/", api.MySupportApi.as_view(), name="api-my-support"),
    path("wellbeing/exposure/", api.ExposureApi.as_view(), name="api-wellbeing-exposure"),
]
