from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("me/tokens/", api.ApiTokenListApi.as_view(), name="api-token-list"),
    path("me/tokens/<int:token_id>/revoke/", api.ApiTokenRevokeApi.as_view(), name="api-token-revoke"),
    path("incidents/", api.IncidentListApi.as_view(), name="api-incident-list"),
    path("incidents/<int:incident_id>/", api.IncidentDetailApi.as_view(), name="api-incident-detail"),
    path("incidents/<int:incident_id>/transition/", api.IncidentTransitionApi.as_view(), name="api-incident-transition"),
    path("incidents/<int:incident_id>/members/", api.MemberListApi.as_view(), name="api-member-list"),
    path("incidents/<int:incident_id>/members/<str:username>/", api.MemberDetailApi.as_view(), name="api-member-detail"),
    path("incidents/<int:incident_id>/decisions/", api.DecisionListApi.as_view(), name="api-decision-list"),
    path("incidents/<int:incident_id>/decisions/<int:decision_id>/", api.DecisionDetailApi.as_view(),
         name="api-decision-detail"),
    path("incidents/<int:incident_id>/timeline/", api.TimelineApi.as_view(), name="api-timeline"),
    path("incidents/<int:incident_id>/history/", api.HistoryApi.as_view(), name="api-history"),
    path("me/now/", api.NowApi.as_view(), name="api-now"),
    path("search/", api.SearchApi.as_view(), name="api-search"),
]
