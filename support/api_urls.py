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
    path("incidents/<int:incident_id>/debriefs/", api.DebriefsApi.as_view(), name="api-debriefs"),
    path("debriefs/<int:debrief_id>/", api.DebriefApi.as_view(), name="api-debrief"),
    path("debriefs/<int:debrief_id>/cancel/", api.DebriefCancelApi.as_view(), name="api-debrief-cancel"),
    path("debriefs/<int:debrief_id>/rsvp/", api.DebriefRsvpApi.as_view(), name="api-debrief-rsvp"),
    path("debriefs/<int:debrief_id>/attendance/", api.DebriefAttendanceApi.as_view(), name="api-debrief-attendance"),
    path("debriefs/<int:debrief_id>/invite.ics", api.DebriefCalendarApi.as_view(), name="api-debrief-ics"),
]
