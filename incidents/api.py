"""REST API for the incident workspace. Thin: parse with a serializer, call the service for a change or
a selector for a read, present. Nothing here checks permission: the service guards, the selectors fetch
through the policy. Errors: 400 field messages, 403 visible-but-not-allowed, 404 not
visible (restricted incidents do not exist for outsiders), 409 refused by the incident's current state."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.policy import MAX_ID, parse_id

from . import selectors, services
from .history import HISTORY_CURSOR, history
from .membership import member_add, member_change_role, member_remove
from .models import ApiToken, Incident, IncidentKind, IncidentStatus, MemberRole, Membership, TimelineEvent
from .now import now_for
from .search import search
from .serializers import (
    ApiTokenMadeSerializer,
    ApiTokenMakeSerializer,
    ApiTokenSerializer,
    DecisionRecordSerializer,
    DecisionSerializer,
    HistoryEntrySerializer,
    IncidentOpenSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    MemberAddSerializer,
    MemberChangeSerializer,
    MemberRemoveSerializer,
    MembershipSerializer,
    NowSerializer,
    SearchQuerySerializer,
    SearchSerializer,
    TimelineEventSerializer,
    TokenRequestSerializer,
    TransitionSerializer,
)
from .tokens import api_token_make, api_token_revoke


def _parse(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def with_leads(queryset):
    """Incidents with their active leads prefetched, so lists cost a fixed number of queries."""
    return queryset.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.active().filter(role=MemberRole.LEAD).select_related("user"))
    )


def _incident_response(incident_id: int, request, code=status.HTTP_200_OK) -> Response:
    incident = with_leads(Incident.objects.filter(pk=incident_id)).get()
    return Response(IncidentSerializer(incident, context={"request": request}).data, status=code)


class TokenApi(APIView):
    """Exchange a username and password for a new API token (throttled like the sign-in page). Give it a
    `name` and, if it needs fewer than the most, the `days` it should work for. The token is in this answer
    only: Harbour keeps a digest of it, and nobody can read it again."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: ApiTokenMadeSerializer}, auth=[])
    def post(self, request):
        data = _parse(TokenRequestSerializer, request)
        # The plain HttpRequest: django-axes and people/signin.py count failures on it, and axes' middleware
        # answers a pause (429).
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:  # which accounts there are: no schema can say
            raise InvalidInput({"non_field_errors": ["Those details do not match a Harbour account."]})
        token, key = api_token_make(actor=user, name=data.get("name", "Made with a password"),
                                             days=data.get("days"))
        return Response(ApiTokenMadeSerializer(token, context={"key": key}).data)


class ApiTokenListApi(APIView):
    """Your own API tokens: those that work, and those that stopped in the last 90 days, newest first."""

    pagination_class = None

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        return Response(ApiTokenSerializer(selectors.api_tokens_of(request.user), many=True).data)

    @extend_schema(request=ApiTokenMakeSerializer, responses={201: ApiTokenMadeSerializer})
    def post(self, request):
        """Make a token (the answer holds it, this once), signed in with a browser session. A request
        made with a token is refused (403): make one with your password at `POST /api/auth/token/`."""
        data = _parse(ApiTokenMakeSerializer, request)
        through = request.auth if isinstance(request.auth, ApiToken) else None
        token, key = api_token_make(actor=request.user, through=through, **data)
        return Response(ApiTokenMadeSerializer(token, context={"key": key}).data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    @extend_schema(request=None, responses=ApiTokenSerializer)
    def post(self, request, token_id: int):
        """Revoke one of your tokens: it stops working at once (a program may revoke the token it uses)."""
        token = api_token_revoke(actor=request.user, token_id=token_id)
        return Response(ApiTokenSerializer(token).data)


class IncidentListApi(generics.ListAPIView):
    """Incidents you can see, newest first, a page at a time. Filter with `?status=` and `?kind=`."""

    serializer_class = IncidentSerializer
    keyset = selectors.INCIDENTS

    def get_queryset(self):
        queryset = selectors.visible_incidents(self.request.user)
        status_filter = self.request.query_params.get("status")
        if status_filter is not None:  # given, even empty, it must be one of them
            if status_filter not in IncidentStatus.values:
                raise serializers.ValidationError({"status": [f"Choose from: {', '.join(IncidentStatus.values)}."]})
            queryset = queryset.filter(status=status_filter)
        kind = self.request.query_params.get("kind")
        if kind is not None:
            if kind not in IncidentKind.values:
                raise serializers.ValidationError({"kind": [f"Choose from: {', '.join(IncidentKind.values)}."]})
            queryset = queryset.filter(kind=kind)
        return with_leads(queryset)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=IncidentStatus.values),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=IncidentKind.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=IncidentOpenSerializer, responses={201: IncidentSerializer})
    def post(self, request):
        """Open an incident (senior leaders). You become its lead."""
        incident = services.incident_open(actor=request.user, **_parse(IncidentOpenSerializer, request))
        # Presented as written, with its lead: not read back.
        return Response(IncidentSerializer(incident, context={"request": request}).data, status=status.HTTP_201_CREATED)


class IncidentDetailApi(APIView):
    @extend_schema(responses=IncidentSerializer)
    def get(self, request, incident_id: int):
        selectors.incident_for(request.user, incident_id)
        return _incident_response(incident_id, request)

    @extend_schema(request=IncidentUpdateSerializer, responses=IncidentSerializer)
    def patch(self, request, incident_id: int):
        """Change an incident's details (lead or tactical lead)."""
        changes = _parse(IncidentUpdateSerializer, request)
        services.incident_update(actor=request.user, incident_id=incident_id, changes=changes)
        return _incident_response(incident_id, request)


class IncidentTransitionApi(APIView):
    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    def post(self, request, incident_id: int):
        """Move the status: open → stabilising → closed; closed → open reopens. A reason is required."""
        data = _parse(TransitionSerializer, request)
        services.incident_transition(actor=request.user, incident_id=incident_id, **data)
        return _incident_response(incident_id, request)


class MemberListApi(generics.ListAPIView):
    """The incident's members, in the order they were added, a page at a time."""

    serializer_class = MembershipSerializer
    keyset = selectors.MEMBERS

    def get_queryset(self):
        return selectors.members(selectors.incident_for(self.request.user, self.kwargs["incident_id"]))

    @extend_schema(request=MemberAddSerializer, responses={201: MembershipSerializer})
    def post(self, request, incident_id: int):
        """Add a member, saying why (lead or tactical lead)."""
        membership = member_add(
            actor=request.user, incident_id=incident_id, **_parse(MemberAddSerializer, request)
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    @extend_schema(request=MemberChangeSerializer, responses=MembershipSerializer)
    def patch(self, request, incident_id: int, username: str):
        """Change a member's role, saying why."""
        membership = member_change_role(
            actor=request.user, incident_id=incident_id, username=username, **_parse(MemberChangeSerializer, request)
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, parameters=[MemberRemoveSerializer], responses={204: None})
    def delete(self, request, incident_id: int, username: str):
        """Remove a member, saying why (`?reason=`, or `{"reason"}` as a JSON body). Their open pages and
        sockets lose access at once."""
        data = request.data if request.data else {"reason": request.query_params.get("reason", "")}
        reason = MemberRemoveSerializer(data=data)
        reason.is_valid(raise_exception=True)
        member_remove(
            actor=request.user, incident_id=incident_id, username=username, reason=reason.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DecisionListApi(generics.ListAPIView):
    """The decision log, newest decision first, a page at a time. Entries are never edited or deleted:
    PUT, PATCH and DELETE answer 405."""

    serializer_class = DecisionSerializer
    keyset = selectors.DECISIONS

    def get_queryset(self):
        return selectors.decisions(selectors.incident_for(self.request.user, self.kwargs["incident_id"]))

    @extend_schema(request=DecisionRecordSerializer, responses={201: DecisionSerializer})
    def post(self, request, incident_id: int):
        """Record a decision (any member but observers). To correct an entry, record a new one with `corrects`;
        to record an entry's review, a new one with `reviews`."""
        entry = services.decision_record(
            actor=request.user, incident_id=incident_id, **_parse(DecisionRecordSerializer, request)
        )
        entry.is_corrected = False  # nothing can correct or review an entry that did not exist a moment ago
        entry.reviewed_in_number = None
        return Response(DecisionSerializer(entry).data, status=status.HTTP_201_CREATED)


class DecisionDetailApi(APIView):
    @extend_schema(responses=DecisionSerializer)
    def get(self, request, incident_id: int, decision_id: int):
        incident = selectors.incident_for(request.user, incident_id)
        entry = selectors.decisions(incident).filter(pk=decision_id).first()
        if entry is None:
            return Response({"detail": "No such decision in this incident."}, status=status.HTTP_404_NOT_FOUND)
        return Response(DecisionSerializer(entry).data)


class TimelineApi(generics.ListAPIView):
    """The incident's timeline, newest first, a page at a time. With `?after=<id>`, only later events,
    oldest first (what a client that lost its socket needs to catch up; follow `next` for more)."""

    serializer_class = TimelineEventSerializer
    keyset_model = TimelineEvent

    @property
    def keyset(self):
        return selectors.CATCH_UP if "after" in self.request.query_params else selectors.TIMELINE

    def get_queryset(self):
        incident = selectors.incident_for(self.request.user, self.kwargs["incident_id"])
        after = self.request.query_params.get("after")
        if after is not None:
            after = 0 if after == "0" else parse_id(after)
            if after is None:
                raise serializers.ValidationError({"after": ["Give the id of the last event you saw."]})
        return selectors.timeline(incident.pk, after=after)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([event.as_payload() for event in page])

    @extend_schema(parameters=[OpenApiParameter("after", {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                                                description="The id of the last event you saw (0: from the start).")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class HistoryApi(generics.ListAPIView):
    """Field-level audit of the incident, its memberships, decision log and communications: who changed
    what, when, newest first, a page at a time."""

    serializer_class = HistoryEntrySerializer
    cursor_kinds = HISTORY_CURSOR

    def get_queryset(self):
        incident = selectors.incident_for(self.request.user, self.kwargs["incident_id"])
        return lambda cursor, size: history(incident, cursor, size)

    def list(self, request, *args, **kwargs):
        entries = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([entry.as_payload() for entry in entries])


# --- what needs me now -------------------------------------------------------------------------------------


class NowApi(APIView):
    @extend_schema(responses=NowSerializer)
    def get(self, request):
        """Everything that waits on you, soonest first: approvals, releases and what blocks them, deadlines
        due or overdue, decisions due for review, check-ins and debriefs, unread briefings, requests for
        support (wellbeing leads) and media enquiries past their deadline. Each says why it is yours and
        links to where you act on it."""
        return Response(NowSerializer({"items": now_for(request.user)}).data)


# --- search ------------------------------------------------------------------------------------------------


class SearchApi(APIView):
    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchSerializer)
    def get(self, request):
        """Incidents, decisions and messages you can see, by words or by an incident's reference, best match
        first, at most 50. What you may not see is never found, nor counted."""
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = search(request.user, query.validated_data["q"])
        return Response(SearchSerializer({"query": found.query, "results": found.hits}).data)
