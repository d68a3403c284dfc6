"""REST API for staff support. Thin: parse with a serializer, call a service for a change or a selector
for a read, present at the reader's tier. Nothing here checks permission: the services guard and the
selectors fetch through support/policy.py. 400 field messages, 403 seen but not yours to do, 404 not
seen (a follow-up or register entry hidden from you does not exist), 409 refused by its state."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policy import MAX_ID, parse_id
from people.models import User

from . import debriefing, selectors, services
from .calendar import calendar_bytes
from .models import AffectedPerson, Debrief, FollowUp, FollowUpStatus
from .policy import IncidentAction
from .serializers import (
    AffectedPersonSerializer,
    AttendanceSerializer,
    CancelSerializer,
    CheckInAddSerializer,
    CompleteSerializer,
    CountsSerializer,
    DebriefCancelSerializer,
    DebriefChangeSerializer,
    DebriefScheduleSerializer,
    DebriefSerializer,
    ExposureSerializer,
    FollowUpChangeSerializer,
    FollowUpSerializer,
    RegisterAddSerializer,
    RegisterChangeSerializer,
    RsvpSerializer,
)


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _entry(request, entry, code=status.HTTP_200_OK) -> Response:
    return Response(AffectedPersonSerializer(entry, context={"request": request}).data, status=code)


def _follow_up(request, item, code=status.HTTP_200_OK) -> Response:
    return Response(FollowUpSerializer(item, context={"request": request}).data, status=code)


class RegisterApi(generics.ListAPIView):
    """The incident's exposure register: who was affected and how. The lead, tactical lead and wellbeing
    leads see it; other members get 403 (they may read the counts); outsiders 404."""

    serializer_class = AffectedPersonSerializer
    keyset = selectors.REGISTER
    keyset_model = AffectedPerson

    def get_queryset(self):
        incident = selectors.incident_for(self.request.user, self.kwargs["incident_id"])
        return selectors.register_of(self.request.user, incident)

    @extend_schema(request=RegisterAddSerializer, responses={201: AffectedPersonSerializer})
    def post(self, request, incident_id: int):
        """Add a person to the register. Their check-ins are created from the organisation's default plan
        and returned in `follow_ups`; their supporter is their line manager unless you choose someone."""
        entry = services.register_add(actor=request.user, incident_id=incident_id, **_parse(RegisterAddSerializer, request))
        return _entry(request, entry, status.HTTP_201_CREATED)


class CountsApi(APIView):
    @extend_schema(responses=CountsSerializer)
    def get(self, request, incident_id: int):
        """How staff support stands in the incident, as counts of people: never whose. Any member may read
        them; a count that could point to someone is withheld (`count` null, `suppressed` true)."""
        incident = selectors.incident_for(request.user, incident_id, IncidentAction.SEE_COUNTS)
        return Response(CountsSerializer(selectors.counts(incident)).data)


class RegisterEntryApi(APIView):
    @extend_schema(responses=AffectedPersonSerializer)
    def get(self, request, entry_id: int):
        return _entry(request, selectors.entry(request.user, entry_id))

    @extend_schema(request=RegisterChangeSerializer, responses=AffectedPersonSerializer)
    def patch(self, request, entry_id: int):
        """Either choose another supporter (`supporter`, the person themself or a wellbeing lead; every open
        follow-up moves), or say differently how they were affected (`exposure` with `reason`)."""
        data = _parse(RegisterChangeSerializer, request)
        if "supporter" in data:
            entry = services.register_choose_supporter(
                actor=request.user, entry_id=entry_id, supporter=data["supporter"],
                supporter_kind=data.get("supporter_kind"), reason=data.get("reason", ""))
        else:
            entry = services.register_change(actor=request.user, entry_id=entry_id, exposure=data["exposure"],
                                             reason=data.get("reason", ""))
        return _entry(request, entry)


class DeclineAllApi(APIView):
    @extend_schema(request=None, responses=AffectedPersonSerializer)
    def post(self, request, entry_id: int):
        """The person declines every check-in still to come. No reason is asked."""
        return _entry(request, services.register_decline_all(actor=request.user, entry_id=entry_id))


class CheckInAddApi(APIView):
    @extend_schema(request=CheckInAddSerializer, responses={201: FollowUpSerializer})
    def post(self, request, entry_id: int):
        """Add a check-in before a trigger date (an inquest, a review's publication, the anniversary)."""
        item = services.register_add_check_in(actor=request.user, entry_id=entry_id,
                                              **_parse(CheckInAddSerializer, request))
        return _follow_up(request, item, status.HTTP_201_CREATED)


def _flag(params, name: str) -> bool:
    """A yes/no query parameter: true/false (or 1/0), once; anything else is a 400 saying so."""
    values = params.getlist(name)
    if not values:
        return False
    if len(values) > 1 or values[0].lower() not in ("true", "false", "1", "0"):
        raise serializers.ValidationError({name: ["Give true or false."]})
    return values[0].lower() in ("true", "1")


def _status(params) -> str | None:
    """`?status=`, once, one of the states; given but empty is a 400 like any other state that is not one."""
    values = params.getlist("status")
    if not values:
        return None
    if len(values) > 1 or values[0] not in FollowUpStatus.values:
        raise serializers.ValidationError({"status": [f"Choose one of: {', '.join(FollowUpStatus.values)}."]})
    return values[0]


def _number(params, name: str) -> int | None:
    values = params.getlist(name)
    if not values:
        return None
    found = parse_id(values[0]) if len(values) == 1 else None
    if found is None:
        raise serializers.ValidationError({name: ["Give the incident's id, a whole number."]})
    return found


class FollowUpsApi(generics.ListAPIView):
    """The follow-ups you may see, soonest due first, each at the tier you may see it."""

    serializer_class = FollowUpSerializer
    keyset = selectors.FOLLOW_UPS
    keyset_model = FollowUp

    def get_queryset(self):
        params = self.request.query_params
        return selectors.follow_ups_for(self.request.user, mine=_flag(params, "mine"), team=_flag(params, "team"),
                                        incident=_number(params, "incident"), status=_status(params))

    @extend_schema(parameters=[
        OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only those you offer."),
        OpenApiParameter("team", OpenApiTypes.BOOL, description="Only your direct reports'."),
        OpenApiParameter("incident", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
        OpenApiParameter("status", OpenApiTypes.STR, enum=["scheduled", "completed", "declined", "cancelled"]),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FollowUpApi(APIView):
    @extend_schema(responses=FollowUpSerializer)
    def get(self, request, follow_up_id: int):
        return _follow_up(request, selectors.follow_up(request.user, follow_up_id))

    @extend_schema(request=FollowUpChangeSerializer, responses=FollowUpSerializer)
    def patch(self, request, follow_up_id: int):
        """Move it (`due_at`) or hand it to someone else (`assignee`), with the `reason`."""
        data = _parse(FollowUpChangeSerializer, request)
        if "due_at" in data:
            item = services.follow_up_reschedule(actor=request.user, follow_up_id=follow_up_id,
                                                 due_at=data["due_at"], reason=data["reason"])
        else:
            item = services.follow_up_reassign(actor=request.user, follow_up_id=follow_up_id,
                                               assignee=data["assignee"], reason=data["reason"])
        return _follow_up(request, item)


class CompleteApi(APIView):
    @extend_schema(request=CompleteSerializer, responses=FollowUpSerializer)
    def post(self, request, follow_up_id: int):
        """Record that the check-in happened: its outcome, and privately a note."""
        item = services.follow_up_complete(actor=request.user, follow_up_id=follow_up_id,
                                           **_parse(CompleteSerializer, request))
        return _follow_up(request, item)


class DeclineApi(APIView):
    @extend_schema(request=None, responses=FollowUpSerializer)
    def post(self, request, follow_up_id: int):
        """Decline this check-in. No reason is asked; it is recorded as a choice."""
        return _follow_up(request, services.follow_up_decline(actor=request.user, follow_up_id=follow_up_id))


class RearrangeApi(APIView):
    @extend_schema(request=None, responses=FollowUpSerializer)
    def post(self, request, follow_up_id: int):
        """Ask for another time. Your supporter is told."""
        return _follow_up(request, services.follow_up_request_rearrange(actor=request.user, follow_up_id=follow_up_id))


class CancelApi(APIView):
    @extend_schema(request=CancelSerializer, responses=FollowUpSerializer)
    def post(self, request, follow_up_id: int):
        """A wellbeing lead cancels a check-in no longer needed, saying why."""
        item = services.follow_up_cancel(actor=request.user, follow_up_id=follow_up_id,
                                         **_parse(CancelSerializer, request))
        return _follow_up(request, item)


class MySupportApi(APIView):
    @extend_schema(responses=inline_serializer("MySupport", {
        "register": AffectedPersonSerializer(many=True), "follow_ups": FollowUpSerializer(many=True),
        "requests": serializers.ListField(child=serializers.DictField()),
        "who_sees": serializers.DictField(child=serializers.CharField()),
    }))
    def get(self, request):
        """Everything Harbour holds about your own support, and who can see each part."""
        mine = selectors.my_support(request.user)
        context = {"request": request}
        return Response({
            "register": AffectedPersonSerializer(mine["register"], many=True, context=context).data,
            "follow_ups": FollowUpSerializer(mine["follow_ups"], many=True, context=context).data,
            "requests": [{"id": r.pk, "created_at": r.created_at.isoformat(), "status": r.status,
                          "source": r.source} for r in mine["requests"]],
            "who_sees": selectors.WHO_SEES,
        })


class ExposureApi(generics.ListAPIView):
    """People on the register of two or more incidents in the last 12 months, by name. Wellbeing
    leads only."""

    serializer_class = ExposureSerializer
    keyset = selectors.EXPOSURE
    keyset_model = User

    def get_queryset(self):
        return selectors.cumulative_exposure(self.request.user)


# --- debriefs -------------------------------------------------------------------------------------------


def _debrief(request, item, code=status.HTTP_200_OK) -> Response:
    return Response(DebriefSerializer(item, context={"request": request}).data, status=code)


class DebriefsApi(generics.ListAPIView):
    """The incident's debriefs you may see, soonest first: all of them for those arranging them (the
    incident's leads, wellbeing leads, facilitators), your own invitations otherwise."""

    serializer_class = DebriefSerializer
    keyset = selectors.DEBRIEFS
    keyset_model = Debrief

    def get_queryset(self):
        incident = selectors.incident_for(self.request.user, self.kwargs["incident_id"])
        return selectors.debriefs_of(self.request.user, incident)

    @extend_schema(request=DebriefScheduleSerializer, responses={201: DebriefSerializer})
    def post(self, request, incident_id: int):
        """Arrange a debrief: each invitee and the facilitator get a calendar invitation (sent in office
        hours). A start in the past is a 400; a facilitator already booked then is a 409; a facilitator
        directly involved in the incident needs `confirm_facilitator_involved`."""
        item = debriefing.debrief_schedule(actor=request.user, incident_id=incident_id,
                                         **_parse(DebriefScheduleSerializer, request))
        return _debrief(request, item, status.HTTP_201_CREATED)


class DebriefApi(APIView):
    @extend_schema(responses=DebriefSerializer)
    def get(self, request, debrief_id: int):
        return _debrief(request, selectors.debrief(request.user, debrief_id))

    @extend_schema(request=DebriefChangeSerializer, responses=DebriefSerializer)
    def patch(self, request, debrief_id: int):
        """Change the time, length, place, facilitator or invitees (everyone gets the invitation again,
        anyone removed a cancellation), or record a cold debrief's `learning_notes` for the incident."""
        item = debriefing.debrief_change(actor=request.user, debrief_id=debrief_id,
                                       **_parse(DebriefChangeSerializer, request))
        return _debrief(request, item)


class DebriefCancelApi(APIView):
    @extend_schema(request=DebriefCancelSerializer, responses=DebriefSerializer)
    def post(self, request, debrief_id: int):
        """Cancel it, saying why: every calendar is told."""
        item = debriefing.debrief_cancel(actor=request.user, debrief_id=debrief_id,
                                       **_parse(DebriefCancelSerializer, request))
        return _debrief(request, item)


class DebriefRsvpApi(APIView):
    @extend_schema(request=RsvpSerializer, responses=DebriefSerializer)
    def post(self, request, debrief_id: int):
        """Your answer: accepted, declined or tentative. Coming is your choice."""
        debriefing.debrief_rsvp(actor=request.user, debrief_id=debrief_id, **_parse(RsvpSerializer, request))
        return _debrief(request, selectors.debrief(request.user, debrief_id))


class DebriefAttendanceApi(APIView):
    @extend_schema(request=AttendanceSerializer, responses=DebriefSerializer)
    def post(self, request, debrief_id: int):
        """Who came (facilitator or a wellbeing lead, once it has started). Everyone invited and not named
        did not."""
        item = debriefing.debrief_record_attendance(actor=request.user, debrief_id=debrief_id,
                                                  **_parse(AttendanceSerializer, request))
        return _debrief(request, item)


class DebriefCalendarApi(APIView):
    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR})
    def get(self, request, debrief_id: int):
        """The debrief as an iCalendar invitation (or cancellation), as it was last sent to you: an invitee's
        copy names only the organiser and them, as the JSON does; those arranging it see everyone invited."""
        from django.http import HttpResponse

        item = selectors.debrief(request.user, debrief_id)
        ics = calendar_bytes(debriefing.invitation_of(item, reader=request.user, cancel=not item.is_scheduled))
        response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="debrief-{item.pk}.ics"'
        return response
