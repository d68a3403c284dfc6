"""REST API of the statutory clocks. Thin: parse with a serializer, call the service for a change or a
selector for a read, present. Nothing here checks permission: the service guards, the selectors fetch
through the policy. Errors as everywhere: 400 field messages, 403 visible-but-not-allowed, 404 not visible,
409 refused by the obligation's current state."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors as incident_selectors

from . import selectors, services
from .serializers import (
    ClockSerializer,
    NotificationRecordSerializer,
    NotificationSerializer,
    ObligationDoneSerializer,
    ObligationNotApplicableSerializer,
    ObligationSerializer,
    PlaybookSerializer,
)


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ObligationListApi(generics.ListAPIView):
    """The incident's obligations, in its playbook's order: each deadline, its basis, when it is due, and
    whether it is done, found not to apply, or overdue."""

    serializer_class = ObligationSerializer
    keyset = selectors.OBLIGATIONS

    def get_queryset(self):
        return selectors.obligations_of(incident_selectors.incident_for(self.request.user, self.kwargs["incident_id"]))


def _obligation_response(request, obligation_id: int) -> Response:
    obligation = selectors.obligation_for(request.user, obligation_id)
    return Response(ObligationSerializer(obligation, context={"request": request}).data)


class ObligationDoneApi(APIView):
    @extend_schema(request=ObligationDoneSerializer, responses=ObligationSerializer)
    def post(self, request, obligation_id: int):
        """Record it done, with its reference (lead, tactical lead, or the role the playbook names). Clocks
        that wait for it start."""
        services.obligation_done(actor=request.user, obligation_id=obligation_id,
                                 **_parse(ObligationDoneSerializer, request))
        return _obligation_response(request, obligation_id)


class ObligationNotApplicableApi(APIView):
    @extend_schema(request=ObligationNotApplicableSerializer, responses=ObligationSerializer)
    def post(self, request, obligation_id: int):
        """Record that it does not apply, and why. The reason is written to the decision log."""
        services.obligation_not_applicable(actor=request.user, obligation_id=obligation_id,
                                           **_parse(ObligationNotApplicableSerializer, request))
        return _obligation_response(request, obligation_id)


class ClocksApi(generics.ListAPIView):
    """Every pending obligation of the incidents you can see whose clock has started, soonest first."""

    serializer_class = ClockSerializer
    keyset = selectors.CLOCKS

    def get_queryset(self):
        return selectors.clocks(self.request.user)


class PlaybookListApi(generics.ListAPIView):
    """The playbooks: what each kind of incident obliges, and its need-to-know ladder."""

    serializer_class = PlaybookSerializer
    keyset = selectors.PLAYBOOKS

    def get_queryset(self):
        return selectors.playbooks()


class NotificationListApi(generics.ListAPIView):
    """The need-to-know ladder as climbed: who was told, how, when and by whom, in the order they were told."""

    serializer_class = NotificationSerializer
    keyset = selectors.NOTIFICATIONS

    def get_queryset(self):
        return selectors.notifications_of(incident_selectors.incident_for(self.request.user, self.kwargs["incident_id"]))

    @extend_schema(request=NotificationRecordSerializer, responses={201: NotificationSerializer})
    def post(self, request, incident_id: int):
        """Record a step (lead or tactical lead): once per step; telling the Director fulfils its obligation."""
        notification = services.notification_record(actor=request.user, incident_id=incident_id,
                                                    **_parse(NotificationRecordSerializer, request))
        return Response(NotificationSerializer(notification).data, status=status.HTTP_201_CREATED)
