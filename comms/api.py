"""REST API for communications. Thin: parse, call the service for a change or a selector for a read.
Nothing here checks permission: the services guard, the selectors fetch through comms/policy.py.
Gate refusals answer 409 with {"gate", "detail"}; every action answers 200 with the updated message."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.policy import MAX_ID, parse_id

from . import media, protect, releases, selectors, services
from .models import Message
from .policy import Action
from .serializers import (
    AcknowledgeSerializer,
    ApproveSerializer,
    CommentSerializer,
    ConfirmPartsSerializer,
    DeliverySerializer,
    FamilyInformedRecordSerializer,
    FamilyInformedSerializer,
    HoldingTemplateSerializer,
    IdentifierAddSerializer,
    IdentifierSerializer,
    InboxItemSerializer,
    MediaEnquiryPatchSerializer,
    MediaEnquirySerializer,
    MediaEnquiryWriteSerializer,
    MessageDraftSerializer,
    MessageEditSerializer,
    MessageSerializer,
    ReasonSerializer,
    ReleaseSerializer,
    VersionSerializer,
)

VERSION_NUMBER = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _message_response(request, message_id: int, code=status.HTTP_200_OK) -> Response:
    message = selectors.messages_with_details(
        Message.objects.filter(pk=message_id)
    ).get()
    return Response(MessageSerializer(message, context={"request": request}).data, status=code)


class IncidentMessagesApi(generics.ListAPIView):
    """The incident's messages, most recently changed first, a page at a time."""

    serializer_class = MessageSerializer
    keyset = selectors.MESSAGES

    def get_queryset(self):
        return selectors.incident_messages(selectors.incident_for(self.request.user, self.kwargs["incident_id"]))

    @extend_schema(request=MessageDraftSerializer, responses={201: MessageSerializer})
    def post(self, request, incident_id: int):
        """Draft a message (the incident's leads, its comms lead, and comms officers who are members)."""
        message = services.message_draft(actor=request.user, incident_id=incident_id,
                                         **_parse(MessageDraftSerializer, request))
        return _message_response(request, message.pk, status.HTTP_201_CREATED)


class MessageDetailApi(APIView):
    @extend_schema(responses=MessageSerializer)
    def get(self, request, message_id: int):
        selectors.message_for(request.user, message_id)
        return _message_response(request, message_id)

    @extend_schema(request=MessageEditSerializer, responses=MessageSerializer)
    def patch(self, request, message_id: int):
        """Edit before release. After submission, any edit voids every approval and returns it to draft."""
        services.message_edit(actor=request.user, message_id=message_id, changes=_parse(MessageEditSerializer, request))
        return _message_response(request, message_id)


class MessageVersionsApi(APIView):
    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request, message_id: int):
        message = selectors.message_for(request.user, message_id)
        return Response(VersionSerializer(message.versions.select_related("author"), many=True).data)


class MessageDiffApi(APIView):
    @extend_schema(parameters=[OpenApiParameter(name, VERSION_NUMBER, required=True) for name in ("from", "to")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request, message_id: int):
        """A word-level diff of two versions: for each field, runs of `equal`, `delete` and `insert` text."""
        message = selectors.message_for(request.user, message_id)
        numbers = {}
        for key in ("from", "to"):
            numbers[key] = parse_id(request.query_params.get(key))
            if numbers[key] is None:
                raise serializers.ValidationError({key: ["Give a version number."]})
        versions = {v.number: v for v in message.versions.filter(number__in=numbers.values())}
        missing = [key for key, number in numbers.items() if number not in versions]
        if missing:  # which versions there are is the message's, not the schema's to say
            raise InvalidInput({key: ["This message has no such version."] for key in missing})
        return Response(selectors.version_diff(versions[numbers["from"]], versions[numbers["to"]]))


class MessageDeliveriesApi(generics.ListAPIView):
    """Each email's delivery state (comms and command approvers), a page at a time: a briefing to all
    staff has thousands. Acknowledgements are counts only."""

    serializer_class = DeliverySerializer
    keyset = selectors.DELIVERIES

    def get_queryset(self):
        message = selectors.message_for(self.request.user, self.kwargs["message_id"], Action.SEE_DELIVERY)
        return selectors.deliveries_of(message)


class _MessageAction(APIView):
    """POST an action on a message. Subclasses set the input serializer and define act() (the service call)."""

    serializer_class: type[serializers.Serializer] | None = None

    def post(self, request, message_id: int):
        data = _parse(self.serializer_class, request) if self.serializer_class else {}
        self.act(request, message_id, data)
        return _message_response(request, message_id)


class MessageSubmitApi(_MessageAction):
    @extend_schema(request=None, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """Submit the current version for approval."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        services.message_submit(actor=request.user, message_id=message_id)


class MessageApproveApi(_MessageAction):
    serializer_class = ApproveSerializer

    @extend_schema(request=ApproveSerializer, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """Approve one exact version. 409 if it is no longer the current one."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        services.message_approve(actor=request.user, message_id=message_id, version=data["version"])


class MessageRequestChangesApi(_MessageAction):
    serializer_class = CommentSerializer

    @extend_schema(request=CommentSerializer, responses=MessageSerializer)
    def post(self, request, message_id: int):
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        services.message_request_changes(actor=request.user, message_id=message_id, comment=data["comment"])


class MessageReleaseApi(_MessageAction):
    serializer_class = ReleaseSerializer

    @extend_schema(request=ReleaseSerializer, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """Release now, or schedule it for its embargo time. Refused with {"gate", "detail"} and 409."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        releases.message_release(actor=request.user, message_id=message_id, override_reason=data["override_reason"])


class MessageConfirmPartsApi(_MessageAction):
    serializer_class = ConfirmPartsSerializer

    @extend_schema(request=ConfirmPartsSerializer, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """The comms lead confirms that the parts of protected identifiers found on their own in this version
        do not identify the child or family, so it may be released with them (the `identifier_part_found`
        gate). For one exact version: 409 if it is no longer the current one, if a whole identifier is in
        it, or if there is nothing to confirm. Written to the decision log with the reason."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        services.message_confirm_identifier_parts(actor=request.user, message_id=message_id, **data)


class MessageWithdrawApi(_MessageAction):
    serializer_class = ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses=MessageSerializer)
    def post(self, request, message_id: int):
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        services.message_withdraw(actor=request.user, message_id=message_id, reason=data["reason"])


class MessageRetryDeliveriesApi(_MessageAction):
    @extend_schema(request=None, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """Try again the emails of a released message that could not be sent (comms and command approvers).
        Every notice that it was not delivered is closed; a new failure is told again. 409 when there is
        nothing that another try could send."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        releases.message_delivery_retry(actor=request.user, message_id=message_id)


class MessageUndeliveredSeenApi(_MessageAction):
    @extend_schema(request=None, responses=MessageSerializer)
    def post(self, request, message_id: int):
        """"I have seen this": your notice that the message could not be delivered to someone leaves your
        list of what needs you now. 409 when you have none waiting for this message."""
        return super().post(request, message_id)

    def act(self, request, message_id, data):
        releases.undelivered_seen(actor=request.user, message_id=message_id)


class MessageAcknowledgeApi(APIView):
    @extend_schema(request=AcknowledgeSerializer, responses=InboxItemSerializer)
    def post(self, request, message_id: int):
        """"I have read this" (and, if you tick it, "I would like to talk to someone")."""
        data = _parse(AcknowledgeSerializer, request)
        item = releases.message_acknowledge(actor=request.user, message_id=message_id, **data)
        return Response(InboxItemSerializer(item, context={"request": request}).data)


class InboxApi(generics.ListAPIView):
    """Released internal messages addressed to you, newest first, a page at a time."""

    serializer_class = InboxItemSerializer
    keyset = selectors.INBOX

    def get_queryset(self):
        return selectors.inbox_items(self.request.user)


class IdentifiersApi(APIView):
    @extend_schema(responses=IdentifierSerializer(many=True))
    def get(self, request, incident_id: int):
        incident = selectors.incident_for(request.user, incident_id, Action.PROTECT_IDENTIFIERS)
        return Response(IdentifierSerializer(incident.protected_identifiers.select_related("added_by"), many=True).data)

    @extend_schema(request=IdentifierAddSerializer, responses={201: IdentifierSerializer})
    def post(self, request, incident_id: int):
        identifier = protect.identifier_add(actor=request.user, incident_id=incident_id,
                                             **_parse(IdentifierAddSerializer, request))
        return Response(IdentifierSerializer(identifier).data, status=status.HTTP_201_CREATED)


class IdentifierDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, incident_id: int, identifier_id: int):
        protect.identifier_remove(actor=request.user, incident_id=incident_id, identifier_id=identifier_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FamilyInformedApi(APIView):
    @extend_schema(responses=FamilyInformedSerializer(many=True))
    def get(self, request, incident_id: int):
        incident = selectors.incident_for(request.user, incident_id)
        return Response(FamilyInformedSerializer(incident.family_informed.select_related("recorded_by"), many=True).data)

    @extend_schema(request=FamilyInformedRecordSerializer, responses={201: FamilyInformedSerializer})
    def post(self, request, incident_id: int):
        """Record that the family has been informed (lead or tactical lead)."""
        record = protect.family_informed_record(actor=request.user, incident_id=incident_id,
                                                 **_parse(FamilyInformedRecordSerializer, request))
        return Response(FamilyInformedSerializer(record).data, status=status.HTTP_201_CREATED)


class MediaEnquiriesApi(APIView):
    @extend_schema(responses=MediaEnquirySerializer(many=True))
    def get(self, request, incident_id: int):
        incident = selectors.incident_for(request.user, incident_id)
        return Response(MediaEnquirySerializer(selectors.media_enquiries(incident), many=True).data)

    @extend_schema(request=MediaEnquiryWriteSerializer, responses={201: MediaEnquirySerializer})
    def post(self, request, incident_id: int):
        enquiry = media.media_enquiry_log(actor=request.user, incident_id=incident_id,
                                             **_parse(MediaEnquiryWriteSerializer, request))
        return Response(MediaEnquirySerializer(enquiry).data, status=status.HTTP_201_CREATED)


class MediaEnquiryDetailApi(APIView):
    @extend_schema(responses=MediaEnquirySerializer)
    def get(self, request, enquiry_id: int):
        return Response(MediaEnquirySerializer(selectors.enquiry_for(request.user, enquiry_id)).data)

    @extend_schema(request=MediaEnquiryPatchSerializer, responses=MediaEnquirySerializer)
    def patch(self, request, enquiry_id: int):
        enquiry = media.media_enquiry_update(actor=request.user, enquiry_id=enquiry_id,
                                                changes=_parse(MediaEnquiryPatchSerializer, request))
        return Response(MediaEnquirySerializer(enquiry).data)


class HoldingTemplatesApi(APIView):
    @extend_schema(responses=HoldingTemplateSerializer(many=True))
    def get(self, request, incident_id: int):
        """Holding statements prepared for this kind of incident, with today's date and the service filled in."""
        from django.conf import settings

        incident = selectors.incident_for(request.user, incident_id, Action.DRAFT)
        return Response([
            {"id": t.pk, "name": t.name, **selectors.fill_template(t, service_area=settings.HARBOUR_SERVICE_AREA)}
            for t in selectors.holding_templates(incident)
        ])
