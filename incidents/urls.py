from django.urls import path

from . import views

urlpatterns = [
    path("", views.now, name="now"),
    path("now/panel/", views.now_panel, name="now-panel"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_open, name="incident-open"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:incident_id>/edit/", views.incident_edit, name="incident-edit"),
    path("incidents/<int:incident_id>/summary/", views.incident_summary, name="incident-summary"),
    path("incidents/<int:incident_id>/panels/<slug:panel>/", views.incident_panel, name="incident-panel"),
    path("incidents/<int:incident_id>/transition/", views.incident_transition, name="incident-transition"),
    path("incidents/<int:incident_id>/members/add/", views.member_add, name="member-add"),
    path("incidents/<int:incident_id>/members/<str:username>/", views.member_manage, name="member-manage"),
    path("incidents/<int:incident_id>/decisions/new/", views.decision_record, name="decision-record"),
    path("incidents/<int:incident_id>/decisions/choices/", views.decision_choices, name="decision-choices"),
    path("incidents/<int:incident_id>/people/choices/", views.people_choices, name="people-choices"),
    path("incidents/<int:incident_id>/timeline.csv", views.timeline_csv, name="timeline-csv"),
    path("search/", views.search, name="search"),
    path("me/api-tokens/", views.api_tokens, name="api-tokens"),
    path("me/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
]
